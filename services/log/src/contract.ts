import { describe, expect, it, onTestFinished } from 'vitest';
import type { AppendRecord, LogBatch, LogConsumer, LogRecord, TelemetryLog } from './telemetry-log';

/**
 * What an implementation hands the contract suite for one test.
 * - `log`: a freshly opened, empty log.
 * - `reopen`: opens the same storage again; the suite has closed the previous log first.
 * - `cleanup`: closes whatever is still open and removes the storage. Called after every test.
 */
export interface TelemetryLogFixture {
  log: TelemetryLog;
  reopen: () => Promise<TelemetryLog>;
  cleanup: () => Promise<void>;
}

/**
 * The behaviour every {@link TelemetryLog} implementation must have (the aedes-persistence
 * pattern): the file log runs it in `file-log.contract.int.test.ts`, the Kafka log in
 * `kafka-log.contract.int.test.ts`.
 *
 * Import from `@parley/log/contract` in test files only: this module loads vitest.
 *
 * Conventions the suite pins down beyond the interface's comments:
 * - offsets are per partition: they increase within a partition, records of one key share a
 *   partition, and delivery order is defined only within a partition (the file log has one
 *   partition, Kafka several);
 * - a group that never committed reads from the oldest retained record, and its lag counts every
 *   retained record;
 * - `append`/`consume` after `close()` reject with an error whose `code` is `log_closed`.
 */
export function describeTelemetryLog(name: string, factory: () => Promise<TelemetryLogFixture>): void {
  describe(`TelemetryLog contract: ${name}`, () => {
    async function setup(): Promise<TelemetryLogFixture> {
      const fixture = await factory();
      onTestFinished(() => fixture.cleanup());
      return fixture;
    }

    it('delivers appended records with their key, value, headers and timestamp, offsets increasing per partition', async () => {
      const { log } = await setup();
      const input: AppendRecord[] = [
        { key: 'dev-a', value: Buffer.from([0, 1, 2, 255]), headers: { verdict: 'ok', topic: 'devices/dev-a/up' }, timestamp: 1_700_000_000_000 },
        { key: 'dev-b', value: Buffer.alloc(0), timestamp: 1_700_000_000_001 },
        { key: 'dev-ä', value: Buffer.from('ünïcode'), headers: { détail: 'ü' }, timestamp: 1_700_000_000_002 },
      ];
      const results = await log.append(input);
      expect(results).toHaveLength(3);
      expectIncreasingPerPartition(results);

      const seen = await consumeUntil(log, 'g', 3);
      expect(seen).toHaveLength(3);
      const byPosition = new Map(seen.map((r) => [position(r), r]));
      results.forEach((result, i) => {
        const r = byPosition.get(position(result));
        expect(r, `record ${i} at ${position(result)}`).toBeDefined();
        if (!r) return;
        expect(r.key).toBe(input[i]!.key);
        expect(Buffer.compare(r.value, input[i]!.value)).toBe(0);
        expect(r.headers).toEqual(input[i]!.headers ?? {});
        expect(r.timestamp).toBe(input[i]!.timestamp);
      });
    });

    it('gives later appends higher offsets and stamps a default timestamp', async () => {
      const { log } = await setup();
      const before = Date.now();
      const [first] = await log.append([{ key: 'k', value: Buffer.from('1') }]);
      const [second, third] = await log.append([
        { key: 'k', value: Buffer.from('2') },
        { key: 'k', value: Buffer.from('3') },
      ]);
      expect([second!.partition, third!.partition]).toEqual([first!.partition, first!.partition]);
      expectIncreasing([first!.offset, second!.offset, third!.offset]);
      const seen = await consumeUntil(log, 'g', 3);
      expect(seen[0]!.timestamp).toBeGreaterThanOrEqual(before);
      expect(seen[0]!.timestamp).toBeLessThanOrEqual(Date.now());
    });

    it('keeps the append order of each key while many keys append concurrently', async () => {
      const { log } = await setup();
      const keys = ['k0', 'k1', 'k2', 'k3', 'k4'];
      const perKey = 40;
      await Promise.all(
        keys.map(async (key) => {
          for (let seq = 0; seq < perKey; seq++) await log.append([{ key, value: Buffer.from(String(seq)) }]);
        }),
      );
      const seen = await consumeUntil(log, 'g', keys.length * perKey);
      expectIncreasingPerPartition(seen);
      for (const key of keys) {
        const seqs = seen.filter((r) => r.key === key).map((r) => Number(r.value.toString()));
        expect(seqs).toEqual(Array.from({ length: perKey }, (_, i) => i));
      }
    });

    it('never delivers more than maxBatchRecords in one batch', async () => {
      const { log } = await setup();
      await log.append(records('k', 25));
      const batches: LogBatch[] = [];
      await consumeUntil(log, 'g', 25, { maxBatchRecords: 10, onBatch: (b) => batches.push(b) });
      expect(batches.every((b) => b.records.length >= 1 && b.records.length <= 10)).toBe(true);
      expect(batches.reduce((n, b) => n + b.records.length, 0)).toBe(25);
    });

    it('delivers a partial batch instead of waiting for maxBatchRecords', async () => {
      const { log } = await setup();
      await log.append(records('k', 3));
      const seen = await consumeUntil(log, 'g', 3, { maxBatchRecords: 1000, maxBatchWaitMs: 20 });
      expect(seen).toHaveLength(3);
    });

    it('wakes a waiting consumer when records are appended', async () => {
      const { log } = await setup();
      const seen: LogRecord[] = [];
      const consumer = await log.consume({ group: 'g', maxBatchRecords: 100, maxBatchWaitMs: 0, handler: async (b) => void seen.push(...b.records) });
      onTestFinished(() => consumer.stop());
      await log.append(records('k', 2));
      await waitFor(() => seen.length === 2, 'the consumer to receive records appended after it started');
      await log.append(records('k', 1));
      await waitFor(() => seen.length === 3, 'the consumer to receive a later append');
    });

    it('commits only after the handler succeeds and redelivers the same records after a handler error', async () => {
      const { log } = await setup();
      await log.append(records('k', 5));
      const deliveries: bigint[][] = [];
      const errors: number[] = [];
      let fail = true;
      const consumer = await log.consume({
        group: 'g',
        maxBatchRecords: 100,
        maxBatchWaitMs: 0,
        handler: async (b) => {
          deliveries.push(b.records.map((r) => r.offset));
          if (fail) throw new Error('store down');
        },
        onHandlerError: (_err, attempt) => void errors.push(attempt),
      });
      onTestFinished(() => consumer.stop());
      await waitFor(() => errors.length >= 2, 'two handler failures');
      expect((await log.lag('g')).lag).toBe(5n);
      expect(errors.slice(0, 2)).toEqual([1, 2]);
      fail = false;
      await waitFor(async () => (await log.lag('g')).lag === 0n, 'the batch to be committed after the handler recovered');
      expect(deliveries.length).toBeGreaterThanOrEqual(3);
      // Every delivery, failed or not, starts at the first uncommitted record.
      for (const d of deliveries) expect(d).toEqual(deliveries[0]);
    });

    it('stop() waits for the in-flight batch and its commit', async () => {
      const { log } = await setup();
      await log.append(records('k', 3));
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let started = false;
      const consumer = await log.consume({
        group: 'g',
        maxBatchRecords: 100,
        maxBatchWaitMs: 0,
        handler: async () => {
          started = true;
          await gate;
        },
      });
      await waitFor(() => started, 'the handler to start');
      let stopped = false;
      const stopping = consumer.stop().then(() => (stopped = true));
      await new Promise((r) => setImmediate(r));
      expect(stopped).toBe(false);
      release();
      await stopping;
      expect((await log.lag('g')).lag).toBe(0n);
    });

    it('keeps committed offsets across close/reopen: no redelivery of committed, redelivery of uncommitted', async () => {
      const fixture = await setup();
      let log = fixture.log;
      const firstFive = await log.append(records('k', 5));
      expect(await consumeUntil(log, 'g', 5)).toHaveLength(5);
      await waitFor(async () => (await log.lag('g')).lag === 0n, 'the first five to be committed');

      const nextFive = await log.append(records('k', 5, 5));
      let delivered = 0;
      const failing = await log.consume({
        group: 'g',
        maxBatchRecords: 100,
        maxBatchWaitMs: 0,
        handler: async () => {
          delivered++;
          throw new Error('not now');
        },
      });
      await waitFor(() => delivered >= 1, 'the uncommitted batch to be delivered (and fail) once');
      await failing.stop();
      await log.close();

      log = await fixture.reopen();
      expect((await log.lag('g')).lag).toBe(5n);
      const seen = await consumeUntil(log, 'g', 5);
      expect(seen.map((r) => r.offset)).toEqual(nextFive.map((r) => r.offset));
      expect(seen.some((r) => firstFive.some((f) => f.offset === r.offset))).toBe(false);
      expect(seen.map((r) => r.value.toString())).toEqual(['5', '6', '7', '8', '9']);
    });

    it('lets consumer groups progress independently', async () => {
      const { log } = await setup();
      await log.append(records('k', 4));
      const stuck = await log.consume({
        group: 'stuck',
        maxBatchRecords: 100,
        maxBatchWaitMs: 0,
        handler: async () => {
          throw new Error('always failing');
        },
      });
      onTestFinished(() => stuck.stop());
      const a = await consumeUntil(log, 'a', 4);
      const b = await consumeUntil(log, 'b', 4);
      expect(a.map((r) => r.offset)).toEqual(b.map((r) => r.offset));
      await waitFor(async () => (await log.lag('a')).lag === 0n && (await log.lag('b')).lag === 0n, 'groups a and b to commit');
      expect((await log.lag('stuck')).lag).toBe(4n);
    });

    it('reports lag as appended minus committed records', async () => {
      const { log } = await setup();
      expect(await log.lag('g')).toEqual({ group: 'g', lag: 0n });
      await log.append(records('k', 7));
      expect((await log.lag('g')).lag).toBe(7n);
      await consumeUntil(log, 'g', 7);
      await waitFor(async () => (await log.lag('g')).lag === 0n, 'lag 0 after consuming everything');
      await log.append(records('k', 3));
      expect((await log.lag('g')).lag).toBe(3n);
    });

    it('rejects append and consume after close with log_closed; close is idempotent', async () => {
      const { log } = await setup();
      await log.append(records('k', 1));
      await log.close();
      await log.close();
      await expect(log.append(records('k', 1))).rejects.toMatchObject({ code: 'log_closed' });
      await expect(log.consume({ group: 'g', maxBatchRecords: 1, maxBatchWaitMs: 0, handler: async () => {} })).rejects.toMatchObject({
        code: 'log_closed',
      });
    });

    it('completes appends that are pending when close() is called', async () => {
      const { log, reopen } = await setup();
      const pending = Array.from({ length: 50 }, (_, i) => log.append([{ key: 'k', value: Buffer.from(String(i)) }]));
      await log.close();
      const results = await Promise.all(pending);
      const reopened = await reopen();
      const seen = await consumeUntil(reopened, 'g', 50);
      expect(new Set(seen.map(position))).toEqual(new Set(results.map((r) => position(r[0]!))));
    });

    it('makes every acknowledged concurrent append durable with the right bytes', async () => {
      const fixture = await setup();
      const n = 500;
      const values = Array.from({ length: n }, (_, i) => Buffer.from(`value-${i}-${'x'.repeat(i % 50)}`));
      const results = await Promise.all(values.map((value, i) => fixture.log.append([{ key: `dev-${i % 7}`, value }])));
      const positions = results.map((r) => position(r[0]!));
      expect(new Set(positions).size).toBe(n);
      await fixture.log.close();

      const log = await fixture.reopen();
      const byPosition = new Map((await consumeUntil(log, 'g', n, { maxBatchRecords: 64 })).map((r) => [position(r), r]));
      values.forEach((value, i) => {
        const r = byPosition.get(positions[i]!);
        expect(r, `record at ${positions[i]}`).toBeDefined();
        expect(Buffer.compare(r!.value, value)).toBe(0);
        expect(r!.key).toBe(`dev-${i % 7}`);
      });
    });
  });
}

function records(key: string, n: number, from = 0): AppendRecord[] {
  return Array.from({ length: n }, (_, i) => ({ key, value: Buffer.from(String(from + i)) }));
}

/** "partition:offset", unique per record in a log. */
function position(r: { partition: number; offset: bigint }): string {
  return `${r.partition}:${r.offset}`;
}

function expectIncreasingPerPartition(records: { partition: number; offset: bigint }[]): void {
  const byPartition = new Map<number, bigint[]>();
  for (const r of records) byPartition.set(r.partition, [...(byPartition.get(r.partition) ?? []), r.offset]);
  for (const offsets of byPartition.values()) expectIncreasing(offsets);
}

function expectIncreasing(offsets: bigint[]): void {
  for (let i = 1; i < offsets.length; i++) expect(offsets[i]! > offsets[i - 1]!, `offset ${offsets[i]} after ${offsets[i - 1]}`).toBe(true);
}

/**
 * Consumes with `group` until `n` records were handled, stops the consumer (which waits for the
 * commit of the last batch) and returns the records in delivery order.
 */
async function consumeUntil(
  log: TelemetryLog,
  group: string,
  n: number,
  opts: { maxBatchRecords?: number; maxBatchWaitMs?: number; onBatch?: (b: LogBatch) => void } = {},
): Promise<LogRecord[]> {
  const seen: LogRecord[] = [];
  const consumer: LogConsumer = await log.consume({
    group,
    maxBatchRecords: opts.maxBatchRecords ?? 100,
    maxBatchWaitMs: opts.maxBatchWaitMs ?? 0,
    handler: async (batch) => {
      opts.onBatch?.(batch);
      seen.push(...batch.records);
    },
  });
  try {
    await waitFor(() => seen.length >= n, `${n} records for group ${group} (have ${seen.length})`);
  } finally {
    await consumer.stop();
  }
  return seen;
}

/** Polls a condition; a deadline turns a hang into a clear failure (not a timing assertion). */
async function waitFor(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 15_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
