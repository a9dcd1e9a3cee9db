import { open, utimes } from 'node:fs/promises';
import { silentLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { captureLogger, readAll, tempDir, waitFor } from './__fixtures__/test-helpers';
import { openFileLog, type FileLogOptions } from './file-log';
import { decodeRecord } from './record-codec';
import { listSegmentFiles } from './segment-files';
import type { TelemetryLog } from './telemetry-log';

const SEGMENT_BYTES = 1024;
/** ~140 bytes framed: 7 records per 1 KiB segment. */
const payload = (i: number): Buffer => Buffer.from(`${i}`.padEnd(100, '.'));

async function fill(dir: string, n: number, options: Partial<FileLogOptions> = {}): Promise<void> {
  const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES, ...options });
  for (let i = 0; i < n; i++) await log.append([{ key: 'dev', value: payload(i) }]);
  await log.close();
}

/** Consumes exactly the first `n` records with `group` and commits them. */
async function consumeFirst(log: TelemetryLog, group: string, n: number): Promise<void> {
  const total = (await log.lag(group)).lag;
  let done = 0;
  const consumer = await log.consume({
    group,
    maxBatchRecords: n,
    maxBatchWaitMs: 0,
    handler: async (b) => {
      if (done >= n) throw new Error('only the first batch');
      done += b.records.length;
    },
  });
  await waitFor(async () => (await log.lag(group)).lag === total - BigInt(n), `${group} to commit ${n}`);
  await consumer.stop();
}

async function totalBytes(dir: string): Promise<number> {
  return (await listSegmentFiles(dir)).reduce((n, s) => n + s.size, 0);
}

describe('file log segments', () => {
  it('rolls at segmentBytes, names each segment by its first offset and reads across segments', async () => {
    const dir = await tempDir();
    const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES });
    for (let i = 0; i < 30; i++) await log.append([{ key: 'dev', value: payload(i) }]);
    // Concurrent appends form groups; a group never overfills a segment either.
    await Promise.all(Array.from({ length: 70 }, (_, i) => log.append([{ key: 'dev', value: payload(30 + i) }])));

    const segments = await listSegmentFiles(dir);
    expect(segments.length).toBeGreaterThanOrEqual(100 / 7);
    for (const s of segments) {
      expect(s.size).toBeLessThanOrEqual(SEGMENT_BYTES);
      const fh = await open(s.path, 'r');
      const head = Buffer.alloc(s.size);
      await fh.read(head, 0, s.size, 0);
      await fh.close();
      const first = decodeRecord(head, 0);
      expect(first.kind === 'record' && first.record.offset).toBe(s.base);
    }
    const all = await readAll(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => BigInt(i)));
    await log.close();

    const reopened = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES });
    expect((await reopened.append([{ key: 'dev', value: payload(100) }]))[0]!.offset).toBe(100n);
    await reopened.close();
  });
});

describe('file log retention', () => {
  it('deletes the oldest consumed segments beyond maxBytes, never the active one', async () => {
    const dir = await tempDir();
    await fill(dir, 60);
    const log0 = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES });
    await consumeFirst(log0, 'ingester', 60);
    await log0.close();

    const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES, retention: { maxBytes: 3000 } });
    const segments = await listSegmentFiles(dir);
    expect(await totalBytes(dir)).toBeLessThanOrEqual(3000);
    expect(segments[0]!.base).toBeGreaterThan(0n);
    // A new group starts at the oldest retained record; the retained range is contiguous.
    const rest = await readAll(log, 'newcomer');
    expect(rest[0]!.offset).toBe(segments[0]!.base);
    expect(rest[rest.length - 1]!.offset).toBe(59n);
    expect((await log.lag('ingester')).lag).toBe(0n);
    await log.close();
  });

  it('applies size retention while running, on roll and on its timer', async () => {
    const dir = await tempDir();
    const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES, retention: { maxBytes: 3000, checkIntervalMs: 10 } });
    const consumer = await log.consume({ group: 'ingester', maxBatchRecords: 100, maxBatchWaitMs: 0, handler: async () => {} });
    for (let i = 0; i < 100; i++) await log.append([{ key: 'dev', value: payload(i) }]);
    await waitFor(async () => (await log.lag('ingester')).lag === 0n, 'the consumer to catch up');
    await waitFor(async () => (await totalBytes(dir)) <= 3000, 'retention to bring the log under maxBytes');
    await consumer.stop();
    await log.close();
  });

  it('keeps segments a known group has not consumed and says so in the log', async () => {
    const dir = await tempDir();
    await fill(dir, 60);
    const log0 = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES });
    await consumeFirst(log0, 'slow', 10);
    await log0.close();

    const captured = captureLogger();
    const log = await openFileLog({ dir, log: captured.logger, segmentBytes: SEGMENT_BYTES, retention: { maxBytes: 1 } });
    const segments = await listSegmentFiles(dir);
    // The first kept segment is the one holding offset 10, the group's next record.
    expect(segments[0]!.base).toBeLessThanOrEqual(10n);
    expect(segments[1]!.base).toBeGreaterThan(10n);
    const held = captured.lines().find((l) => String(l.msg).startsWith('retention held back'));
    expect(held).toMatchObject({ groups: ['slow'], segmentBase: segments[0]!.base.toString() });
    expect((await log.lag('slow')).lag).toBe(50n);
    await log.close();
  });

  it('deletes unconsumed segments when deleteUnconsumed is set; the group skips ahead', async () => {
    const dir = await tempDir();
    await fill(dir, 60);
    const log0 = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES });
    await consumeFirst(log0, 'slow', 10);
    await log0.close();

    const captured = captureLogger();
    const log = await openFileLog({ dir, log: captured.logger, segmentBytes: SEGMENT_BYTES, retention: { maxBytes: 1, deleteUnconsumed: true } });
    const segments = await listSegmentFiles(dir);
    expect(segments).toHaveLength(1);
    expect(captured.lines().some((l) => String(l.msg).includes('have not read') && (l.groups as string[]).includes('slow'))).toBe(true);
    const rest = await readAll(log, 'slow');
    expect(rest[0]!.offset).toBe(segments[0]!.base);
    await log.close();
  });

  it('deletes closed segments older than maxAgeMs and keeps the active one however old', async () => {
    const dir = await tempDir();
    await fill(dir, 30);
    const before = await listSegmentFiles(dir);
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    for (const s of before) await utimes(s.path, twoDaysAgo, twoDaysAgo);

    const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES, retention: { maxAgeMs: 86_400_000 } });
    const after = await listSegmentFiles(dir);
    expect(after.map((s) => s.base)).toEqual([before[before.length - 1]!.base]);
    expect((await log.append([{ key: 'dev', value: payload(30) }]))[0]!.offset).toBe(30n);
    await log.close();
  });

  it('keeps young segments under an age policy', async () => {
    const dir = await tempDir();
    await fill(dir, 30);
    const before = await listSegmentFiles(dir);
    const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: SEGMENT_BYTES, retention: { maxAgeMs: 86_400_000 } });
    expect(await listSegmentFiles(dir)).toHaveLength(before.length);
    await log.close();
  });
});
