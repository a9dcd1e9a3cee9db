import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@parley/logger';
import { openStore, type Store, type UplinkRow } from './index';

// A hand-computable fleet: six devices, two firmware versions, two hours, one metric.
// d1..d4 run 1.0.0 and report power_w = 10·k + i (device k = 1..4, i = 1..3 per hour);
// d5..d6 run 2.0.0 and report 100·k. Each device sends three messages in each of two hours.
let dir: string;
let store: Store;
const H0 = Date.UTC(2026, 2, 1, 10, 0, 0);
const HOUR = 3_600_000;

function msg(device: number, hour: number, i: number): UplinkRow {
  const t = H0 + hour * HOUR + i * 60_000;
  const firmware = device <= 4 ? '1.0.0' : '2.0.0';
  const value = device <= 4 ? 10 * device + i : 100 * device;
  return {
    deviceId: `d${device}`,
    bootId: 'b',
    seq: hour * 10 + i,
    deviceTimeMs: t,
    receivedAtMs: t + 5,
    firmware,
    schemaVersion: 1,
    samples: [{ metric: 'power_w', value, timeMs: t }],
    events: i === 1 ? [{ code: 'door_open', severity: 'info', timeMs: t, message: '', attributes: {} }] : [],
    commandResults: [],
    raw: Buffer.from('x'),
    source: `p0:${device}-${hour}-${i}`,
  };
}

const all = (q: Partial<Parameters<Store['fleetMetric']>[0]> = {}) =>
  store.fleetMetric({ metric: 'power_w', fromMs: H0, toMs: H0 + 2 * HOUR, excludeDevices: [], minDevices: 1, ...q });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-rollups-'));
  store = await openStore({ location: { dataDir: dir }, log: silentLogger() });
  const rows: UplinkRow[] = [];
  for (let d = 1; d <= 6; d++) for (let h = 0; h < 2; h++) for (let i = 1; i <= 3; i++) rows.push(msg(d, h, i));
  await store.insertUplinks(rows);
  // A re-delivered duplicate is collapsed in raw reads (FINAL); see the README on rollups.
  await store.upsertDevices([1, 2, 3].map((d) => ({ deviceId: `d${d}`, model: 'fridge-x1', tags: d === 1 ? ['region:eu', 'cohort:beta'] : ['region:eu'] })));
  await store.upsertDevices([4, 5, 6].map((d) => ({ deviceId: `d${d}`, model: 'washer-w2' })));
});

afterAll(async () => {
  await store?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('hourly rollups', () => {
  it('give the exact count, min, max and mean per firmware', async () => {
    const r = await all();
    expect(r.suppressedGroups).toBe(0);
    const [a, b] = r.groups;
    // 1.0.0: devices 1..4 × 2 hours × values 10k+1..10k+3 → min 11, max 43, mean = 10·2.5 + 2 = 27.
    expect(a).toMatchObject({ time: null, firmware: '1.0.0', devices: 4, samples: 24, min: 11, max: 43 });
    expect(a!.avg).toBeCloseTo(27, 10);
    // 2.0.0: devices 5 and 6, constant 500 and 600.
    expect(b).toMatchObject({ firmware: '2.0.0', devices: 2, samples: 12, min: 500, max: 600 });
    expect(b!.avg).toBeCloseTo(550, 10);
    // t-digest quantiles are approximate; on this small set they stay within the data's range and order.
    expect(a!.p50).toBeGreaterThanOrEqual(11);
    expect(a!.p50).toBeLessThanOrEqual(a!.p95);
    expect(a!.p99).toBeLessThanOrEqual(43);
  });

  it('agree with the raw samples hour by hour', async () => {
    const r = await all({ bucket: 'hour' });
    expect(r.groups.map((g) => [g.time, g.firmware, g.devices, g.samples])).toEqual([
      [new Date(H0).toISOString(), '1.0.0', 4, 12],
      [new Date(H0).toISOString(), '2.0.0', 2, 6],
      [new Date(H0 + HOUR).toISOString(), '1.0.0', 4, 12],
      [new Date(H0 + HOUR).toISOString(), '2.0.0', 2, 6],
    ]);
    for (const g of r.groups) {
      const raw = await store.metricSeries({ deviceId: 'd1', metric: 'power_w', fromMs: Date.parse(g.time!), toMs: Date.parse(g.time!) + HOUR, bucketSeconds: 3600 });
      if (g.firmware === '1.0.0') expect(raw.buckets[0]).toMatchObject({ count: 3, min: 11, max: 13 });
    }
    const day = await all({ bucket: 'day' });
    expect(day.groups.map((g) => [g.time, g.samples])).toEqual([
      [new Date(Date.UTC(2026, 2, 1)).toISOString(), 24],
      [new Date(Date.UTC(2026, 2, 1)).toISOString(), 12],
    ]);
  });

  it('leave out opted-out devices and suppress groups under k', async () => {
    const r = await all({ excludeDevices: ['d1', 'd5'], minDevices: 2 });
    expect(r.groups).toMatchObject([{ firmware: '1.0.0', devices: 3, samples: 18, min: 21 }]);
    expect(r.suppressedGroups).toBe(1); // 2.0.0 has one device left
  });

  it('filter by model through the device dimension', async () => {
    const r = await all({ model: 'fridge-x1' });
    expect(r.groups).toMatchObject([{ firmware: '1.0.0', devices: 3 }]);
    expect(await store.countDevices()).toBe(6);
    expect((await all({ tag: 'cohort:beta' })).groups).toMatchObject([{ firmware: '1.0.0', devices: 1 }]);
    expect((await all({ tag: 'region:eu', model: 'fridge-x1' })).groups).toMatchObject([{ devices: 3 }]);
    expect(await store.fleetActivity({ hours: 1, nowMs: H0 + 2 * HOUR, excludeDevices: [], tag: 'region:eu' })).toEqual({ devices: 3, active: 3, silent: 0 });
  });

  it('compare firmware versions: device-days, errors and reboots per device-day, error-free hours', async () => {
    const t = H0 + 30 * 60_000;
    await store.insertUplinks([
      {
        ...msg(5, 0, 9),
        samples: [],
        events: [
          { code: 'compressor_fault', severity: 'error', timeMs: t, message: 'stall', attributes: {} },
          { code: 'boot', severity: 'info', timeMs: t, message: '', attributes: {} },
        ],
      },
    ]);
    const [a, b] = await store.firmwareComparison({ versions: ['1.0.0', '2.0.0'], fromMs: H0, toMs: H0 + 2 * HOUR, excludeDevices: [], minDevices: 1 });
    expect(a).toEqual({ firmware: '1.0.0', devices: 4, deviceDays: 4, deviceHours: 8, errorsPerDeviceDay: 0, rebootsPerDeviceDay: 0, stableHoursShare: 1 });
    expect(b).toEqual({ firmware: '2.0.0', devices: 2, deviceDays: 2, deviceHours: 4, errorsPerDeviceDay: 0.5, rebootsPerDeviceDay: 0.5, stableHoursShare: 0.75 });
    const k3 = await store.firmwareComparison({ versions: ['1.0.0', '2.0.0'], fromMs: H0, toMs: H0 + 2 * HOUR, excludeDevices: [], minDevices: 3 });
    expect(k3[1]).toMatchObject({ firmware: '2.0.0', devices: null, errorsPerDeviceDay: null });
    const fridges = await store.firmwareComparison({ versions: ['1.0.0'], model: 'fridge-x1', fromMs: H0, toMs: H0 + 2 * HOUR, excludeDevices: ['d3'], minDevices: 1 });
    expect(fridges[0]).toMatchObject({ devices: 2, deviceHours: 4 });
  });

  it('count active and silent devices', async () => {
    expect(await store.fleetActivity({ hours: 1, nowMs: H0 + 2 * HOUR, excludeDevices: [] })).toEqual({ devices: 6, active: 6, silent: 0 });
    expect(await store.fleetActivity({ hours: 1, nowMs: H0 + 5 * HOUR, excludeDevices: ['d1'] })).toEqual({ devices: 5, active: 0, silent: 5 });
    expect(await store.fleetActivity({ hours: 1, nowMs: H0 + 2 * HOUR, excludeDevices: [], model: 'washer-w2' })).toEqual({ devices: 3, active: 3, silent: 0 });
  });

  it("give a device's hourly means and its cohort's per-device means", async () => {
    expect(await store.deviceHourly({ deviceId: 'd1', fromMs: H0, toMs: H0 + 2 * HOUR })).toEqual([
      { metric: 'power_w', hour: H0, samples: 3, mean: 12 },
      { metric: 'power_w', hour: H0 + HOUR, samples: 3, mean: 12 },
    ]);
    const cohort = await store.cohortMeans({ model: 'fridge-x1', firmware: '1.0.0', fromMs: H0, toMs: H0 + 2 * HOUR, excludeDevices: [] });
    expect(cohort.sort((x, y) => x.deviceId.localeCompare(y.deviceId))).toEqual([
      { metric: 'power_w', deviceId: 'd1', mean: 12 },
      { metric: 'power_w', deviceId: 'd2', mean: 22 },
      { metric: 'power_w', deviceId: 'd3', mean: 32 },
    ]);
  });

  it('break events down by code and firmware, and rank devices by error rate', async () => {
    const scope = { fromMs: H0, toMs: H0 + 2 * HOUR, excludeDevices: [] };
    const breakdown = await store.eventBreakdown({ ...scope, minDevices: 2 });
    expect(breakdown.rows).toEqual([
      { time: null, code: 'door_open', severity: 'info', firmware: '1.0.0', events: 8, devices: 4 },
      { time: null, code: 'door_open', severity: 'info', firmware: '2.0.0', events: 4, devices: 2 },
    ]);
    const hourly = await store.eventBreakdown({ ...scope, minDevices: 2, bucket: 'hour', firmware: '1.0.0' });
    expect(hourly.rows.map((r) => [r.time, r.events])).toEqual([
      [new Date(H0).toISOString(), 4],
      [new Date(H0 + HOUR).toISOString(), 4],
    ]);
    await store.upsertDevices([{ deviceId: 'd7', model: 'washer-w2' }]);
    expect(await store.silentDevices({ sinceMs: H0 + HOUR, excludeDevices: [], limit: 10 })).toEqual([{ deviceId: 'd7', model: 'washer-w2', lastHour: null }]);
    const later = await store.silentDevices({ sinceMs: H0 + 3 * HOUR, excludeDevices: ['d1'], limit: 3, model: 'fridge-x1' });
    expect(later).toEqual([
      { deviceId: 'd2', model: 'fridge-x1', lastHour: new Date(H0 + HOUR).toISOString() },
      { deviceId: 'd3', model: 'fridge-x1', lastHour: new Date(H0 + HOUR).toISOString() },
    ]);
    expect(breakdown.suppressedGroups).toBe(2); // compressor_fault and boot: one device each
    expect(await store.topErrorDevices({ ...scope, limit: 5 })).toEqual([{ deviceId: 'd5', firmware: '2.0.0', errors: 1, deviceDays: 1, errorsPerDay: 1 }]);
    const means = await store.deviceMeans({ ...scope, metric: 'power_w', model: 'fridge-x1' });
    expect(means.sort((a, b) => a.deviceId.localeCompare(b.deviceId)).map((m) => m.mean)).toEqual([12, 22, 32]);
  });

  it('lose an erased device window', async () => {
    const counts = await store.eraseDeviceWindow({ deviceId: 'd2', fromMs: H0 + HOUR, toMs: H0 + 2 * HOUR });
    expect(counts).toMatchObject({ uplinks: 3, samples: 3, metric_hourly: 1, event_hourly: 1, metric_daily: 1, activity_daily: 1 });
    // The rest of the day (hour 0) stays in the daily rollups: d2's mean is still 22, from 3 samples.
    const means = await store.deviceMeans({ fromMs: H0, toMs: H0 + 2 * HOUR, excludeDevices: [], metric: 'power_w', model: 'fridge-x1' });
    expect(means.find((m) => m.deviceId === 'd2')?.mean).toBe(22);
    const [fw] = await store.firmwareComparison({ versions: ['1.0.0'], model: 'fridge-x1', fromMs: H0, toMs: H0 + 2 * HOUR, excludeDevices: [], minDevices: 1 });
    expect(fw).toMatchObject({ devices: 3, deviceDays: 3, deviceHours: 5 });
    const r = await all({ bucket: 'hour' });
    expect(r.groups.find((g) => g.time === new Date(H0 + HOUR).toISOString() && g.firmware === '1.0.0')).toMatchObject({ devices: 3, samples: 9 });
    // The erased hour is rebuilt in the fleet-level rollup too.
    await store.fleetRollupIdle();
    const rebuilt = await all({ bucket: 'hour' });
    expect(rebuilt.source).toBe('fleet');
    expect(rebuilt.groups.find((g) => g.time === new Date(H0 + HOUR).toISOString() && g.firmware === '1.0.0')).toMatchObject({ devices: 3, samples: 9 });
  });
});

describe('fleet-level rollup', () => {
  const strip = (r: Awaited<ReturnType<typeof all>>) => r.groups.map(({ p50, p95, p99, ...exact }) => ({ ...exact, avg: Math.round(exact.avg * 1e9) / 1e9 }));

  it('answers with the same figures as the per-device rollups once it is current', async () => {
    await all(); // records the current opt-outs (none) and the dimension
    await store.fleetRollupIdle();
    const fleet = await all({ bucket: 'hour' });
    expect(fleet.source).toBe('fleet');
    const perDevice = await all({ bucket: 'hour', tag: 'region:eu' }); // a tag filter needs the per-device rollups…
    expect(perDevice.source).toBe('device');
    const fridges = await all({ bucket: 'hour', model: 'fridge-x1' }); // …a model filter does not
    expect(fridges.source).toBe('fleet');
    expect(strip(fridges)).toEqual(strip(perDevice)); // region:eu = the three fridges
    for (const [i, g] of fridges.groups.entries()) {
      expect(g.p50).toBeCloseTo(perDevice.groups[i]!.p50, 6);
      expect(g.p99).toBeCloseTo(perDevice.groups[i]!.p99, 6);
    }
  });

  it('applies an opt-out at once, and to data that arrives later', async () => {
    await all();
    await store.fleetRollupIdle();
    const before = await all({ firmware: '2.0.0' });
    expect(before).toMatchObject({ source: 'fleet', groups: [{ devices: 2, samples: 12 }] });
    // d5 opts out: the first answer already leaves it out (per-device rollups while its days are rebuilt)…
    const now = await all({ firmware: '2.0.0', excludeDevices: ['d5'] });
    expect(now.groups).toMatchObject([{ devices: 1, samples: 6, min: 600 }]);
    await store.fleetRollupIdle();
    const rebuilt = await all({ firmware: '2.0.0', excludeDevices: ['d5'] });
    expect(rebuilt).toMatchObject({ source: 'fleet', groups: [{ devices: 1, samples: 6, min: 600 }] });
    // …and its new data never enters the fleet rollup.
    await store.insertUplinks([{ ...msg(5, 1, 7), source: 'p0:late-d5' }]);
    expect(await all({ firmware: '2.0.0', excludeDevices: ['d5'] })).toMatchObject({ source: 'fleet', groups: [{ devices: 1, samples: 6 }] });
    // Opting back in brings its whole history back.
    await all({ firmware: '2.0.0' });
    await store.fleetRollupIdle();
    expect(await all({ firmware: '2.0.0' })).toMatchObject({ source: 'fleet', groups: [{ devices: 2, samples: 13 }] });
  });

  it('files data under the model of a device the dimension already knows', async () => {
    await all();
    await store.fleetRollupIdle();
    await store.upsertDevices([{ deviceId: 'd9', model: 'dryer-d4' }]);
    await store.insertUplinks([{ ...msg(6, 0, 1), deviceId: 'd9', source: 'p0:d9' }]);
    // Straight from the fleet rollup: nothing was filed under model '' that would need a rebuild.
    expect(await all({ model: 'dryer-d4' })).toMatchObject({ source: 'fleet', groups: [{ firmware: '2.0.0', devices: 1, samples: 1 }] });
  });

  it('files data of a device the dimension did not know yet under its model once it does', async () => {
    await store.insertUplinks([{ ...msg(8, 0, 1), deviceId: 'd8', source: 'p0:d8' }]);
    await all();
    await store.fleetRollupIdle();
    expect((await all({ model: 'heatpump-h3' })).groups).toEqual([]);
    await store.upsertDevices([{ deviceId: 'd8', model: 'heatpump-h3' }]);
    await all();
    await store.fleetRollupIdle();
    expect(await all({ model: 'heatpump-h3' })).toMatchObject({ source: 'fleet', groups: [{ firmware: '2.0.0', devices: 1, samples: 1, min: 800 }] });
  });
});
