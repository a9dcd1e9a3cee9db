import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type Registry } from '@parley/registry';
import { openStore, type Store, type UplinkRow } from '@parley/store';
import { tempDir } from '@parley/testkit';
import { buildApi } from './index';

// A seeded fleet of six fridges over the last two days: five ordinary ones and one (`hot`) that
// draws more power than all of them and whose cabinet temperature jumped in the last hour.
const ADMIN = 'insight-test-admin-token';
const HOUR = 3_600_000;
let dir: string;
let store: Store;
let registry: Registry;
let app: FastifyInstance;
let hot: string;
let ownerToken: string;

const get = (url: string, token = ADMIN) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, 'x-parley-justification': 'support-case:9' } });
const post = (url: string, token = ADMIN, payload?: object) =>
  app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${token}`, 'x-parley-justification': 'support-case:9' }, ...(payload ? { payload } : {}) });

beforeAll(async () => {
  dir = await tempDir('parley-insight-');
  const log = silentLogger();
  store = await openStore({ location: { dataDir: dir }, log });
  registry = await openEmbeddedRegistry({ log });
  app = await buildApi({ logger: log, manufacturerToken: ADMIN, store, registry, health: async () => ({ ok: true, components: {} }), policy: { kAnonymity: 5, emergencyCommandClasses: [] } });
  const res = await post('/v1/devices', ADMIN, { model: 'fridge-x1', firmware: '1.5.0', count: 6 });
  const devices = res.json().devices as { id: string; claimCode: string }[];
  hot = devices[0]!.id;
  const now = Date.now();
  const rows: UplinkRow[] = [];
  devices.forEach((d, k) => {
    for (let h = 47; h >= 0; h--) {
      const t = now - h * HOUR - 60_000;
      const temp = d.id === hot && h === 0 ? 12 : 4 + 0.3 * Math.sin(h + k);
      const power = d.id === hot ? 140 : 80 + 5 * k;
      rows.push({
        deviceId: d.id,
        bootId: 'b',
        seq: 100 - h,
        deviceTimeMs: t,
        receivedAtMs: t + 10,
        firmware: '1.5.0',
        schemaVersion: 1,
        samples: [
          { metric: 'cabinet.temp_c', value: temp, timeMs: t },
          { metric: 'power_w', value: power, timeMs: t },
        ],
        events: [],
        commandResults: [],
        raw: Buffer.from('x'),
        source: `p0:${k}-${h}`,
      });
    }
  });
  await store.insertUplinks(rows);
  const owner = (await app.inject({ method: 'POST', url: '/v1/accounts', payload: { kind: 'owner' } })).json();
  ownerToken = owner.token.token;
  expect((await post('/v1/claims', ownerToken, { deviceId: hot, claimCode: devices[0]!.claimCode })).statusCode).toBe(201);
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('device insight and decision help', () => {
  it('finds the seeded spike and places the device above its cohort', async () => {
    const res = await get(`/v1/devices/${hot}/insights`);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.anomalies).toMatchObject([{ metric: 'cabinet.temp_c', mean: 12 }]);
    expect(body.cohort).toMatchObject({ model: 'fridge-x1', firmware: '1.5.0', devices: 6, shown: true });
    expect(body.benchmarks.find((b: { metric: string }) => b.metric === 'power_w')).toMatchObject({ value: 140, percentile: 83, cohortSize: 6 });
    expect(body.findings.map((f: { kind: string }) => f.kind)).toEqual(expect.arrayContaining(['anomaly', 'benchmark']));
    for (const f of body.findings) expect(f.evidence).toMatch(new RegExp(`^/v1/devices/${hot}/metrics/`));
  });

  it('records suggestions as inferences with evidence, once, and the owner can dispute them', async () => {
    const first = await post(`/v1/devices/${hot}/suggestions`);
    expect(first.statusCode).toBe(200);
    const recorded = first.json().recorded as { id: string; code: string; evidence: { kind: string; ref: string }[] }[];
    expect(recorded.map((r) => r.code).sort()).toEqual(['suggestion.energy_high', 'suggestion.temperature_excursion']);
    for (const r of recorded) {
      expect(r.evidence[0]!.kind).toBe('metric');
      // The evidence points at real rows: the series it names has data.
      const series = await get(`/v1/devices/${hot}/metrics/${r.evidence[0]!.ref}?from=${Date.now() - 48 * HOUR}`);
      expect(series.json().buckets.length).toBeGreaterThan(0);
    }
    expect((await post(`/v1/devices/${hot}/suggestions`)).json()).toMatchObject({ recorded: [], alreadyOpen: expect.arrayContaining(['suggestion.energy_high']) });

    const mine = await get(`/v1/devices/${hot}/inferences`, ownerToken);
    expect(mine.json().inferences.map((i: { code: string }) => i.code).sort()).toEqual(['suggestion.energy_high', 'suggestion.temperature_excursion']);
    const energy = recorded.find((r) => r.code === 'suggestion.energy_high')!;
    const disputed = await post(`/v1/inferences/${energy.id}/notes`, ownerToken, { kind: 'dispute', body: 'It is a bigger fridge than the others.' });
    expect(disputed.json().status).toBe('disputed');
  });

  it('keeps the owner to their own period: no history from before the claim', async () => {
    const res = await get(`/v1/devices/${hot}/insights`, ownerToken);
    expect(res.statusCode).toBe(200);
    expect(res.json().anomalies).toEqual([]);
    expect(res.json().trends).toEqual([]);
  });

  it('ranks the hot device first among fleet outliers by deviation, and counts events k-anonymously', async () => {
    const res = await get(`/v1/fleet/outliers?by=deviation&metric=power_w&model=fridge-x1&n=3&justification=fleet-analytics`);
    expect(res.statusCode).toBe(200);
    expect(res.json().devices[0]).toMatchObject({ deviceId: hot, mean: 140 });
    expect(res.json().devices[0].z).toBeGreaterThan(3.5);
    expect((await get('/v1/fleet/outliers?by=deviation&justification=fleet-analytics')).json().error.code).toBe('metric_required');
    const events = await get('/v1/fleet/events?justification=fleet-analytics');
    expect(events.json()).toEqual({ suppressedGroups: 0, events: [] });
  });

  it('compares firmware versions with a metric distribution', async () => {
    const res = await get('/v1/fleet/firmware-comparison?versions=1.5.0,9.9.9&metric=power_w&justification=fleet-analytics');
    const [a, b] = res.json().versions;
    expect(a).toMatchObject({ firmware: '1.5.0', devices: 6, distribution: { min: 85, max: 140 } });
    expect(b).toMatchObject({ firmware: '9.9.9', devices: null, distribution: null });
  });

  it('filters fleet queries by a cohort tag set through the API', async () => {
    expect((await app.inject({ method: 'PUT', url: `/v1/devices/${hot}/tags`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { tags: ['region:eu-west'] } })).json().tags).toEqual(['region:eu-west']);
    const bad = await app.inject({ method: 'PUT', url: `/v1/devices/${hot}/tags`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { tags: ['EU West'] } });
    expect(bad.statusCode).toBe(400);
    // One tagged device is below k = 5: suppressed.
    const tagged = await get('/v1/fleet/metrics/power_w?tag=region:eu-west&justification=fleet-analytics');
    expect(tagged.json()).toMatchObject({ groups: [], suppressedGroups: 1 });
    expect((await get('/v1/fleet/activity?tag=region:eu-west&justification=fleet-analytics')).json()).toMatchObject({ devices: 1 });
  });

  it('lists silent devices and gives an hourly event trend', async () => {
    // Every seeded device reported within the last hour, so none is silent over 24 hours.
    expect((await get('/v1/fleet/silent?hours=24&justification=fleet-analytics')).json()).toEqual({ hours: 24, devices: [] });
    const trend = await get('/v1/fleet/events?bucket=day&justification=fleet-analytics');
    expect(trend.statusCode).toBe(200);
    expect(trend.json()).toEqual({ suppressedGroups: 0, events: [] });
  });
});
