import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRootLogger } from '@parley/logger';
import { openEmbeddedRegistry, type Registry } from '@parley/registry';
import { openStore, type Store } from '@parley/store';
import { tempDir } from '@parley/testkit';
import { buildApi } from './index';

// What the API gives away besides data: headers on every answer, and what lands in its logs.
const ADMIN = 'hardening-test-admin-token-0123456789';
let dir: string;
let store: Store;
let registry: Registry;
let app: FastifyInstance;
const logLines: string[] = [];

beforeAll(async () => {
  dir = await tempDir('parley-hardening-');
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  const logger = createRootLogger({ level: 'trace', destination: sink });
  store = await openStore({ location: { dataDir: dir }, log: logger });
  registry = await openEmbeddedRegistry({ log: logger });
  app = await buildApi({ logger, manufacturerToken: ADMIN, store, registry, health: async () => ({ ok: true, components: {} }), policy: { kAnonymity: 5, emergencyCommandClasses: [] } });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('API hardening', () => {
  it('sends security headers and no-store on data routes', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/devices', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    const denied = await app.inject({ method: 'GET', url: '/v1/devices' });
    expect(denied.headers['x-content-type-options']).toBe('nosniff');
  });

  it('never logs tokens, device secrets or claim codes, even at trace level', async () => {
    const made = await app.inject({ method: 'POST', url: '/v1/devices', headers: { authorization: `Bearer ${ADMIN}` }, payload: { model: 'fridge-x1', firmware: '1.0.0', count: 1 } });
    const device = made.json().devices[0] as { secret: string; claimCode: string; id: string };
    const owner = (await app.inject({ method: 'POST', url: '/v1/accounts', payload: { kind: 'owner' } })).json();
    const ownerToken = owner.token.token as string;
    await app.inject({ method: 'POST', url: '/v1/claims', headers: { authorization: `Bearer ${ownerToken}` }, payload: { deviceId: device.id, claimCode: device.claimCode } });
    await app.inject({ method: 'GET', url: '/v1/devices', headers: { authorization: `Bearer ${ownerToken.slice(0, -3)}abc` } });
    const all = logLines.join('');
    expect(all.length).toBeGreaterThan(0);
    expect(all).toContain(device.id); // the log does say what happened…
    // The secret part of `prl_tok_<id>_<secret>` may itself contain '_' (base64url), so cut at the third '_' only.
    const tokenSecret = /^prl_tok_[0-9a-z]+_(.+)$/.exec(ownerToken)?.[1];
    expect(tokenSecret).toHaveLength(43);
    for (const secret of [ADMIN, ownerToken, tokenSecret!, device.secret, device.claimCode]) expect(all).not.toContain(secret); // …but not with what
  });

  it('refuses plaintext and non-public destinations by default (SSRF), and never logs their secrets', async () => {
    const made = await app.inject({ method: 'POST', url: '/v1/devices', headers: { authorization: `Bearer ${ADMIN}` }, payload: { model: 'fridge-x1', firmware: '1.0.0', count: 1 } });
    const device = made.json().devices[0] as { claimCode: string; id: string };
    const owner = (await app.inject({ method: 'POST', url: '/v1/accounts', payload: { kind: 'owner' } })).json();
    const headers = { authorization: `Bearer ${owner.token.token as string}` };
    await app.inject({ method: 'POST', url: '/v1/claims', headers, payload: { deviceId: device.id, claimCode: device.claimCode } });
    const create = (payload: object) => app.inject({ method: 'POST', url: `/v1/devices/${device.id}/destinations`, headers, payload: { name: 'Hook', metrics: ['power_w'], ...payload } });
    const refused = async (payload: object) => (await create(payload)).json().error.code as string;
    expect(await refused({ kind: 'webhook', url: 'http://hooks.example.com/in' })).toBe('insecure_destination');
    expect(await refused({ kind: 'mqtt', url: 'mqtt://broker.example.com', topic: 't' })).toBe('insecure_destination');
    for (const url of ['https://127.0.0.1/in', 'https://localhost:8443/in', 'https://169.254.169.254/latest', 'https://10.0.0.7/in', 'https://[::1]/in']) {
      expect(await refused({ kind: 'webhook', url }), url).toBe('destination_not_public');
    }
    expect(await refused({ kind: 'webhook', url: 'https://hooks.example.com/in', metrics: [] })).toBe('invalid_destination_scope');
    expect(await refused({ kind: 'smtp', url: 'https://hooks.example.com/in' })).toBe('invalid_request');
    const hook = await create({ kind: 'webhook', url: 'https://hooks.example.com/in' });
    expect(hook.statusCode).toBe(201);
    const broker = await create({ kind: 'mqtt', url: 'mqtts://broker.example.com:8883', topic: 'home/fridge', username: 'me', password: 'mqtt-password-do-not-log' });
    expect(broker.statusCode).toBe(201);
    expect(broker.json().destination).toMatchObject({ hasPassword: true });
    expect(JSON.stringify(broker.json())).not.toContain('mqtt-password-do-not-log');
    const all = logLines.join('');
    expect(all).toContain(hook.json().destination.id);
    for (const secret of [hook.json().secret as string, 'mqtt-password-do-not-log']) expect(all).not.toContain(secret);
  });

  it('answers 429 with Retry-After when an account or an address goes over its rate', async () => {
    const limited = await buildApi({
      logger: createRootLogger({ level: 'silent' }),
      manufacturerToken: ADMIN,
      store,
      registry,
      health: async () => ({ ok: true, components: {} }),
      policy: { kAnonymity: 5, emergencyCommandClasses: [] },
      requestsPerMinute: 10,
      authFailuresPerMinute: 4,
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 11; i++) statuses.push((await limited.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${ADMIN}` } })).statusCode);
      expect(statuses.slice(0, 10).every((s) => s === 200)).toBe(true);
      const over = await limited.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${ADMIN}` } });
      expect(over.statusCode).toBe(429);
      expect(over.json().error.code).toBe('rate_limited');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);

      const bad = () => limited.inject({ method: 'GET', url: '/v1/me', headers: { authorization: 'Bearer prl_tok_0000000000000000_' + 'B'.repeat(43) } });
      expect([(await bad()).statusCode, (await bad()).statusCode]).toEqual([401, 401]);
      expect((await bad()).statusCode).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
