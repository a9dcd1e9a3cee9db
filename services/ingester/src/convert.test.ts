import { describe, expect, it } from 'vitest';
import type { UplinkLogEntry } from '@parley/log';
import { testUplinkBytes } from '@parley/testkit';
import { convertBatch, detachForPosting, packEntries, unpackEntries } from './convert';

const entry = (deviceId: string, payload: Uint8Array, n: number, verdict = 'ok'): UplinkLogEntry => ({
  deviceId,
  topic: `devices/${deviceId}/up`,
  receivedAtMs: 1_000 + n,
  verdict,
  detail: verdict === 'ok' ? '' : 'rejected by the broker',
  payload: Buffer.from(payload),
  source: `p0:${n}`,
});

const batch = (): UplinkLogEntry[] => [
  entry('a', testUplinkBytes('a', 1, { firmware: '1.0' }), 0),
  entry('a', testUplinkBytes('a', 2, { firmware: '1.0' }), 1),
  entry('b', Buffer.from([0xff, 0xff]), 2),
  entry('a', testUplinkBytes('a', 3, { firmware: '1.1', commandResults: [{ commandId: 'c1', status: 'succeeded', timeMs: 0, detail: 'ok' }] }), 3),
  entry('b', testUplinkBytes('b', 1, { firmware: '2.0' }), 4),
  entry('c', Buffer.from([1]), 5, 'payload_too_large'),
];

describe('convertBatch', () => {
  it('keeps the uplinks, their receive times, firmware changes, command results and dead letters apart', () => {
    const c = convertBatch(batch(), null);
    expect(c.uplinks).toBe(4);
    expect([...c.receivedAtMs]).toEqual([1000, 1001, 1003, 1004]);
    expect(c.firmware).toEqual([
      ['a', '1.0'],
      ['a', '1.1'],
      ['b', '2.0'],
    ]);
    expect(c.commandResults).toEqual([{ deviceId: 'a', results: [expect.objectContaining({ commandId: 'c1', status: 'succeeded', detail: 'ok' })] }]);
    expect(c.dead.map((d) => [d.deviceId, d.reason])).toEqual([
      ['b', 'decode_failed'],
      ['c', 'payload_too_large'],
    ]);
    expect(c.deadIndexes).toEqual([2, 5]);
    expect(c.rows.map((r) => `${r.deviceId}:${r.seq}`)).toEqual(['a:1', 'a:2', 'a:3', 'b:1']);
    // One TSV line per uplink.
    expect(Buffer.from(c.uplinksTsv).toString('latin1').split('\n').filter(Boolean)).toHaveLength(4);
  });

  it('returns whole rows only for the devices asked for', () => {
    expect(convertBatch(batch(), new Set(['b'])).rows.map((r) => r.deviceId)).toEqual(['b']);
    expect(convertBatch(batch(), new Set()).rows).toEqual([]);
  });

  it('survives packing for another thread unchanged', () => {
    const entries = batch();
    const packed = packEntries(entries);
    expect(packed.payloads.byteLength).toBe(entries.reduce((n, e) => n + e.payload.length, 0));
    const back = unpackEntries(packed);
    expect(back.map((e) => ({ ...e, payload: e.payload.toString('hex') }))).toEqual(entries.map((e) => ({ ...e, payload: e.payload.toString('hex') })));
    expect(convertBatch(back, null)).toEqual(convertBatch(entries, null));
  });

  it('gives posted binaries their own memory, so posting never copies the whole payload buffer', () => {
    const back = unpackEntries(packEntries(batch()));
    const c = convertBatch(back, null);
    const transfer = detachForPosting(c);
    for (const b of [...c.dead.map((d) => d.raw), ...c.rows.map((r) => r.raw), c.uplinksTsv]) {
      expect(b.byteOffset).toBe(0);
      expect(b.buffer.byteLength).toBe(b.byteLength);
    }
    expect(transfer).toContain(c.uplinksTsv.buffer);
  });
});
