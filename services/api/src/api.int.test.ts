import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type Registry } from '@parley/registry';
import { openStore, type Store } from '@parley/store';
import { tempDir } from '@parley/testkit';
import { buildApi } from './index';

const TOKEN = 'test-manufacturer-token-123';
let dir: string;
let store: Store;
let registry: Registry;
let app: FastifyInstance;
let deviceId: string;

async function get(url: string, token: string | null = TOKEN) {
  const res = await app.inject({ method: 'GET', url, headers: token ? { authorization: `Bearer ${token}`, 'x-parley-justification': 'support-case:1' } : {} });
  return { status: res.statusCode, body: res.json() };
}

beforeAll(async () => {
  dir = await tempDir('parley-api-');
  const logger = silentLogger();
  store = await openStore({ location: { dataDir: dir }, log: logger });
  registry = await openEmbeddedRegistry({ log: logger });
  const [dev] = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 });
  deviceId = dev!.id;
  await store.insertUplinks([
    {
      deviceId,
      bootId: 'b',
      seq: 1,
      deviceTimeMs: Date.now() - 60_000,
      receivedAtMs: Date.now() - 59_000,
      firmware: '1.0.0',
      schemaVersion: 1,
      samples: [{ metric: 'cabinet.temp_c', value: 4, timeMs: Date.now() - 60_000 }],
      events: [],
      commandResults: [],
      raw: Buffer.from('x'),
      source: 'p0:0',
    },
  ]);
  app = await buildApi({
    logger,
    manufacturerToken: TOKEN,
    store,
    registry,
    policy: { kAnonymity: 5, emergencyCommandClasses: [] },
    health: async () => ({ ok: true, components: { store: { ok: true } } }),
  });
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
});

const protectedRoutes = () => [
  '/v1/devices',
  `/v1/devices/${deviceId}`,
  `/v1/devices/${deviceId}/conversation`,
  `/v1/devices/${deviceId}/metrics`,
  `/v1/devices/${deviceId}/metrics/cabinet.temp_c`,
  '/v1/dead-letters',
];

describe('API authorization', () => {
  it('refuses every data route without a token (401 unauthenticated)', async () => {
    for (const url of protectedRoutes()) {
      const r = await get(url, null);
      expect({ url, status: r.status, code: r.body.error.code }).toEqual({ url, status: 401, code: 'unauthenticated' });
    }
  });

  it('refuses every data route with a wrong token (401 invalid_token)', async () => {
    for (const url of protectedRoutes()) {
      const r = await get(url, 'wrong-token-but-well-formed');
      expect({ url, status: r.status, code: r.body.error.code }).toEqual({ url, status: 401, code: 'invalid_token' });
    }
  });

  it('refuses provisioning without a token', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/devices', payload: { model: 'fridge-x1', firmware: '1.0.0', count: 1 } });
    expect(res.statusCode).toBe(401);
  });

  it('serves health and the OpenAPI document without a token', async () => {
    expect((await get('/healthz', null)).status).toBe(200);
    expect((await get('/readyz', null)).body.ok).toBe(true);
    const doc = await get('/openapi.json', null);
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/v1/devices/{id}/conversation', '/v1/devices/{id}/metrics/{metric}', '/v1/dead-letters', '/healthz']),
    );
  });
});

describe('API parameters', () => {
  it('answers 404 device_not_found for an unknown device on every per-device route', async () => {
    for (const suffix of ['', '/conversation', '/metrics', '/metrics/temp_c']) {
      const r = await get(`/v1/devices/no-such-device${suffix}`);
      expect({ suffix, status: r.status, code: r.body.error.code }).toEqual({ suffix, status: 404, code: 'device_not_found' });
    }
  });

  it.each([
    ['a limit out of range', () => `/v1/devices/${deviceId}/conversation?limit=0`, 'invalid_request'],
    ['a limit over the cap', () => `/v1/devices/${deviceId}/conversation?limit=100000`, 'invalid_request'],
    ['an unknown parameter', () => `/v1/devices/${deviceId}/conversation?colour=red`, 'invalid_request'],
    ['an unparseable time', () => `/v1/devices/${deviceId}/conversation?from=yesterday`, 'invalid_time'],
    ['from after to', () => `/v1/devices/${deviceId}/conversation?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z`, 'invalid_range'],
    ['a forged cursor', () => `/v1/devices/${deviceId}/conversation?cursor=abc`, 'invalid_cursor'],
    ['a bad order', () => `/v1/devices/${deviceId}/conversation?order=sideways`, 'invalid_request'],
    ['a device id with a wildcard', () => '/v1/devices/dev%23/conversation', 'invalid_request'],
    ['a metric name with SQL in it', () => `/v1/devices/${deviceId}/metrics/temp'%20OR%201=1`, 'invalid_request'],
    ['too many buckets', () => `/v1/devices/${deviceId}/metrics/temp_c?from=0&to=2000000000000&bucket=1`, 'too_many_buckets'],
    ['a bad dead-letter reason', () => '/v1/dead-letters?reason=DROP%20TABLE', 'invalid_request'],
  ])('answers 400 for %s', async (_name, url, code) => {
    const r = await get(url());
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.message.length).toBeGreaterThan(10);
  });

  it('answers 404 with a hint for an unknown route', async () => {
    const r = await get('/v1/nope');
    expect(r).toMatchObject({ status: 404, body: { error: { code: 'route_not_found' } } });
  });

  it('returns data for good parameters', async () => {
    const conv = await get(`/v1/devices/${deviceId}/conversation?limit=10&order=asc`);
    expect(conv.status).toBe(200);
    expect(conv.body.items).toHaveLength(1);
    expect(conv.body.items[0]).toMatchObject({ kind: 'uplink', seq: 1, samples: [{ metric: 'cabinet.temp_c', value: 4 }] });
    const series = await get(`/v1/devices/${deviceId}/metrics/cabinet.temp_c?bucket=3600`);
    expect(series.status).toBe(200);
    expect(series.body.buckets[0]).toMatchObject({ count: 1, min: 4, max: 4, last: 4 });
    const list = await get('/v1/devices?limit=10');
    expect(list.body.devices.map((d: { id: string }) => d.id)).toContain(deviceId);
  });

  it('provisions devices and returns each secret once', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/devices',
      headers: { authorization: `Bearer ${TOKEN}` },
      payload: { model: 'washer-w2', firmware: '2.0.0', count: 2 },
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.devices).toHaveLength(2);
    expect(body.devices[0].secret.length).toBeGreaterThan(20);
    const again = await get(`/v1/devices/${body.devices[0].id}`);
    expect(again.body.secret).toBeUndefined();
  });
});
