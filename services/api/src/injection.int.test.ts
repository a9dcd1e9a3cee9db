import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type Registry } from '@parley/registry';
import { openStore, type Store } from '@parley/store';
import { tempDir } from '@parley/testkit';
import { buildApi } from './index';

/*
 * Hostile values in every query parameter of every GET route the OpenAPI document lists (so new
 * routes are covered without editing this file): SQL and ClickHouse parameter syntax, path
 * traversal, control characters, huge and unicode strings. Each must be answered with a 4xx or a
 * normal 200 — never a 5xx — and must not change or drop data.
 */
const ADMIN = 'injection-test-admin-token-0123456789';
const HOSTILE = [
  "' OR 1=1 --",
  "'; DROP TABLE uplinks; --",
  '{d:String}',
  ') UNION SELECT * FROM system.users --',
  '../../../../etc/passwd',
  '\u0000\u0001\u001b[2J',
  'x'.repeat(10_000),
  '𝕡𝕒𝕣𝕝𝕖𝕪',
  '-1',
  '99999999999999999999',
];

let dir: string;
let store: Store;
let registry: Registry;
let app: FastifyInstance;
let deviceId: string;

beforeAll(async () => {
  dir = await tempDir('parley-injection-');
  const log = silentLogger();
  store = await openStore({ location: { dataDir: dir }, log });
  registry = await openEmbeddedRegistry({ log });
  app = await buildApi({ logger: log, manufacturerToken: ADMIN, store, registry, health: async () => ({ ok: true, components: {} }), policy: { kAnonymity: 5, emergencyCommandClasses: [] }, requestsPerMinute: 1_000_000 });
  const [d] = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 });
  deviceId = d!.id;
  await store.insertUplinks([
    { deviceId, bootId: 'b', seq: 1, deviceTimeMs: Date.now() - 1000, receivedAtMs: Date.now() - 900, firmware: '1.0.0', schemaVersion: 1, samples: [{ metric: 'power_w', value: 1, timeMs: Date.now() - 1000 }], events: [], commandResults: [], raw: Buffer.from('x'), source: 'p0:1' },
  ]);
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('hostile query parameters', () => {
  it('never get a 5xx on any GET route, and leave the data alone', async () => {
    await app.ready();
    const doc = app.swagger() as { paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> };
    const problems: string[] = [];
    let calls = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      const op = methods['get'];
      if (!op || path.endsWith('/live')) continue; // the live tail streams until closed
      const url = path.replace('{id}', deviceId).replace('{metric}', 'power_w').replace(/\{(\w+)\}/g, 'tok_0000000000000000');
      for (const name of (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name)) {
        for (const value of HOSTILE) {
          const res = await app.inject({
            method: 'GET',
            url: `${url}?${new URLSearchParams({ [name]: value, ...(name === 'justification' ? {} : { justification: 'fleet-analytics' }) })}`,
            headers: { authorization: `Bearer ${ADMIN}` },
          });
          calls++;
          if (res.statusCode >= 500) problems.push(`${path} ?${name}=${JSON.stringify(value.slice(0, 30))} → ${res.statusCode} ${res.body.slice(0, 120)}`);
        }
      }
    }
    expect(calls).toBeGreaterThan(200);
    expect(problems).toEqual([]);
    const after = await app.inject({ method: 'GET', url: `/v1/devices/${deviceId}/conversation`, headers: { authorization: `Bearer ${ADMIN}`, 'x-parley-justification': 'support-case:1' } });
    expect(after.json().items).toHaveLength(1);
  });

  it('caps page sizes and refuses inverted or unparseable ranges', async () => {
    const get = (q: string) => app.inject({ method: 'GET', url: `/v1/devices/${deviceId}/conversation?${q}`, headers: { authorization: `Bearer ${ADMIN}`, 'x-parley-justification': 'support-case:1' } });
    expect((await get('limit=100000')).statusCode).toBe(400);
    expect((await get('from=2026-02-01&to=2026-01-01')).json().error.code).toBe('invalid_range');
    expect((await get('from=yesterday')).json().error.code).toBe('invalid_time');
    const fleet = await app.inject({ method: 'GET', url: '/v1/fleet/metrics/power_w?from=2000-01-01&justification=fleet-analytics', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(fleet.json().error.code).toBe('range_too_large');
  });

  it('answers 400, not 503, for text the database cannot store', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/v1/devices/${deviceId}/inferences`,
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { code: 'nul_check', title: 'a\u0000b', detail: 'd', evidence: [{ kind: 'url', ref: 'https://example.test' }] },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_text');
  });
});
