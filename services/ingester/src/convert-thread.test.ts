import { describe, expect, it } from 'vitest';
import type { UplinkLogEntry } from '@parley/log';
import { silentLogger } from '@parley/logger';
import { testUplinkBytes } from '@parley/testkit';
import { convertBatch } from './convert';
import { threadConverter, WORKER_FAILURES_BEFORE_FALLBACK } from './convert-thread';

const entries = (): UplinkLogEntry[] =>
  [1, 2].map((seq) => ({ deviceId: 'd', topic: 'devices/d/up', receivedAtMs: 1000 + seq, verdict: 'ok', detail: '', payload: Buffer.from(testUplinkBytes('d', seq)), source: `p0:${seq}` }));

describe('threadConverter', () => {
  it('converts on a worker thread exactly as on this one, batch after batch', async () => {
    const c = threadConverter(silentLogger());
    try {
      for (let i = 0; i < 3; i++) {
        const batch = entries();
        const out = await c.convert(batch, null);
        const here = convertBatch(batch, null);
        expect(Buffer.from(out.uplinksTsv).equals(Buffer.from(here.uplinksTsv))).toBe(true);
        expect([...out.receivedAtMs]).toEqual([...here.receivedAtMs]);
        expect(out.rows.map((r) => r.seq)).toEqual([1, 2]);
      }
    } finally {
      await c.stop();
    }
  });

  it('fails the batches of a worker that cannot run, then converts on this thread instead of stalling', async () => {
    const c = threadConverter(silentLogger(), new URL('./no-such-worker.ts', import.meta.url));
    try {
      for (let i = 0; i < WORKER_FAILURES_BEFORE_FALLBACK; i++) {
        await expect(c.convert(entries(), null)).rejects.toMatchObject({ code: 'ingest_convert_failed' });
      }
      const out = await c.convert(entries(), null);
      expect(out.uplinks).toBe(2);
    } finally {
      await c.stop();
    }
  });
});
