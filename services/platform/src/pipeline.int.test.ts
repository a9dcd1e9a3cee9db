import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet } from '@parley/firmware-sim';
import { startIngester } from '@parley/ingester';
import { silentLogger } from '@parley/logger';
import type { ProvisionedDevice } from '@parley/registry';
import { connectDevice, publishAndWait, testUplinkBytes as uplink, waitFor } from '@parley/testkit';
import { startTestPlatform, type TestPlatform } from './testing';

// One platform for the file: chDB allows one data directory per process.
let p: TestPlatform;
let fleetDevices: ProvisionedDevice[];

type Item = { kind: string; id: string; seq?: number; bootId?: string; samples?: unknown[] };

/** Every conversation item of a device, oldest first, following cursors. */
async function conversation(deviceId: string): Promise<Item[]> {
  const items: Item[] = [];
  let cursor = '';
  for (let page = 0; page < 100; page++) {
    const res = await p.request('GET', `/v1/devices/${deviceId}/conversation?order=asc&limit=200${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    if (!res.body.nextCursor) return items;
    cursor = res.body.nextCursor;
  }
  throw new Error('too many pages');
}

beforeAll(async () => {
  p = await startTestPlatform();
  fleetDevices = [
    ...(await p.registry.provisionDevices({ model: 'fridge-x1', firmware: '1.4.2', count: 1 })),
    ...(await p.registry.provisionDevices({ model: 'washer-w2', firmware: '2.0.1', count: 1 })),
    ...(await p.registry.provisionDevices({ model: 'heatpump-h3', firmware: '3.1.0', count: 1 })),
  ];
});

afterAll(async () => {
  await p?.destroy();
});

describe('end to end: simulator → broker → log → ingester → chDB → API', () => {
  it('turns every acknowledged simulated message into queryable history, in order', async () => {
    const fleet = await startFleet({
      brokerUrl: p.mqttUrl,
      devices: fleetDevices.map((d) => ({ id: d.id, secret: d.secret, model: d.model, firmware: d.firmware })),
      messagesPerSecond: 90,
      seed: 7,
      log: silentLogger(),
    });
    await waitFor('150 acknowledged messages', () => fleet.stats().acked >= 150, 20_000);
    await fleet.stop();
    const acked = fleet.stats().acked;
    expect(await p.drain(10_000)).toBe(true);

    let total = 0;
    for (const d of fleetDevices) {
      const items = (await conversation(d.id)).filter((i) => i.kind === 'uplink');
      expect(items.length).toBeGreaterThan(0);
      // Within a boot, seq strictly increases and has no gaps (the simulator never loses a message).
      const byBoot = new Map<string, number[]>();
      for (const i of items) byBoot.set(i.bootId!, [...(byBoot.get(i.bootId!) ?? []), i.seq!]);
      for (const seqs of byBoot.values()) {
        const sorted = [...seqs].sort((a, b) => a - b);
        expect(sorted).toEqual(Array.from({ length: sorted.length }, (_, k) => sorted[0]! + k));
      }
      expect(items.every((i) => (i.samples?.length ?? 0) > 0)).toBe(true);
      total += items.length;

      const metrics = await p.request('GET', `/v1/devices/${d.id}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.body.metrics.length).toBeGreaterThan(0);
      const metric = metrics.body.metrics[0].metric as string;
      const series = await p.request('GET', `/v1/devices/${d.id}/metrics/${metric}?bucket=3600`);
      expect(series.status).toBe(200);
      expect(series.body.buckets.reduce((n: number, b: { count: number }) => n + b.count, 0)).toBe(metrics.body.metrics[0].count);
    }
    expect(total).toBe(acked);

    // The registry learned the firmware the devices reported.
    const dev = await p.request('GET', `/v1/devices/${fleetDevices[0]!.id}`);
    expect(dev.body.firmware).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('shows a message once when the device re-sends it and when the log re-delivers it', async () => {
    const [dev] = await p.registry.provisionDevices({ model: 'fridge-x1', firmware: '1.4.2', count: 1 });
    const conn = await connectDevice(p.mqttUrl, dev!);
    try {
      const msgs = [1, 2, 3].map((s) => uplink(dev!.id, s));
      for (const m of msgs) await publishAndWait(conn.client, `devices/${dev!.id}/up`, m);
      await publishAndWait(conn.client, `devices/${dev!.id}/up`, msgs[1]!); // re-sent after a "lost" PUBACK
    } finally {
      await conn.close();
    }
    expect(await p.drain()).toBe(true);
    expect((await conversation(dev!.id)).map((i) => i.seq)).toEqual([1, 2, 3]);

    // Forced re-delivery: a second consumer group replays the whole log into the same store.
    const replay = await startIngester({ log: p.log, store: p.store, logger: silentLogger(), group: 'replay' });
    try {
      await waitFor('the replay to catch up', async () => (await p.log.lag('replay')).lag === 0n, 20_000);
    } finally {
      await replay.stop();
    }
    expect((await conversation(dev!.id)).map((i) => i.seq)).toEqual([1, 2, 3]);
    for (const d of fleetDevices) {
      const items = await conversation(d.id);
      expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    }
  });

  it('keeps malformed and invalid payloads as dead letters with a precise reason, and counts them for the device', async () => {
    const [dev] = await p.registry.provisionDevices({ model: 'washer-w2', firmware: '2.0.1', count: 1 });
    const garbage = Buffer.from([0xff, 0xff, 0xff, 0x0a, 0x09, 0x00, 0x5c]);
    const conn = await connectDevice(p.mqttUrl, dev!);
    try {
      await publishAndWait(conn.client, `devices/${dev!.id}/up`, garbage);
      await publishAndWait(conn.client, `devices/${dev!.id}/up`, uplink(dev!.id, 1, { samples: [{ metric: 'temp_c', value: Number.NaN, timeMs: 0 }] }));
      await publishAndWait(conn.client, `devices/${dev!.id}/up`, uplink('someone-else', 2));
      await publishAndWait(conn.client, `devices/${dev!.id}/up`, Buffer.alloc(p.config.maxPayloadBytes + 1, 1));
    } finally {
      await conn.close();
    }
    expect(await p.drain()).toBe(true);
    const res = await p.request('GET', `/v1/dead-letters?deviceId=${dev!.id}`);
    expect(res.status).toBe(200);
    const reasons = res.body.items.map((i: { reason: string }) => i.reason).sort();
    expect(reasons).toEqual(['decode_failed', 'device_id_mismatch', 'payload_too_large', 'value_not_finite']);
    const undecodable = res.body.items.find((i: { reason: string }) => i.reason === 'decode_failed');
    expect(Buffer.from(undecodable.rawBase64, 'base64')).toEqual(garbage);
    expect(undecodable).toMatchObject({ deviceId: dev!.id, topic: `devices/${dev!.id}/up`, rawSize: garbage.length });
    expect(undecodable.detail.length).toBeGreaterThan(5);
    const nan = res.body.items.find((i: { reason: string }) => i.reason === 'value_not_finite');
    expect(nan.detail).toContain('samples[0].value');
    const conv = await p.request('GET', `/v1/devices/${dev!.id}/conversation`);
    expect(conv.body).toMatchObject({ items: [], deadLetters: 4 });
  });
});
