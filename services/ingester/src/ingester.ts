import { fromUplinkRecord, type LogBatch, type LogConsumer, type TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { Store, UplinkRow } from '@parley/store';
import { inlineConverter, threadConverter } from './convert-thread';
import type { ConvertedBatch } from './convert';
import { LatencyWindow } from './latency';

export interface IngesterOptions {
  log: TelemetryLog;
  store: Store;
  logger: Logger;
  /** Consumer group; one group = one copy of the data in the store. */
  group?: string;
  maxBatchRecords?: number;
  maxBatchWaitMs?: number;
  /** Records per insert within a batch (default 10,000); the next chunk converts during this one's insert. */
  chunkRecords?: number;
  /** Called when a device reports a firmware version different from the last one seen. */
  onFirmware?: (deviceId: string, firmware: string) => Promise<void>;
  /**
   * Called after a batch is stored, for every uplink that carries command results (to close the
   * loop on commands). A failure is logged, never retried through the log: the results are stored.
   */
  onCommandResults?: (deviceId: string, results: UplinkRow['commandResults']) => Promise<void>;
  /** Called after each stored batch with its uplinks (live tail). Must not throw. */
  onStored?: (uplinks: readonly UplinkRow[]) => void;
  /** The devices `onStored` wants rows of (the live tail's subscribers); all when omitted. */
  storedFor?: () => ReadonlySet<string>;
  /**
   * Where records are decoded and encoded for the store: on a worker thread (default), which keeps
   * that work and its garbage off the thread serving MQTT and HTTP, or on this thread.
   */
  convertOn?: 'worker' | 'main';
  /**
   * A log (the cluster mode's dead-letter topic) that also receives every rejected record, exactly
   * as it was logged, for tools other than the store. Appended before the batch is committed, so
   * nothing is missed (a re-delivered batch may append a record twice).
   */
  deadLetterLog?: TelemetryLog;
}

export interface IngesterStats {
  batches: number;
  records: number;
  uplinks: number;
  deadLetters: number;
  failedBatches: number;
  lastBatchRecords: number;
  lastInsertMs: number;
  /** p50/p99 ms from broker receive to queryable, over recent records. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

export interface Ingester {
  stats(): IngesterStats;
  resetLatency(): void;
  /** Finishes the batch in flight (insert + offset commit), then stops. */
  stop(): Promise<void>;
}

export const INGESTER_GROUP = 'ingester';

/**
 * Moves records from the log into the store in batches. Offsets are committed by the log only
 * after `handle` resolved, i.e. after the inserts succeeded; a failed insert throws, nothing is
 * committed, and the log re-delivers the batch (duplicates collapse on the idempotency key).
 */
export async function startIngester(options: IngesterOptions): Promise<Ingester> {
  const logger = options.logger.child({ component: 'ingester' });
  const latency = new LatencyWindow();
  const firmwareSeen = new Map<string, string>();
  const stats = { batches: 0, records: 0, uplinks: 0, deadLetters: 0, failedBatches: 0, lastBatchRecords: 0, lastInsertMs: 0 };

  const converter = options.convertOn === 'main' ? inlineConverter() : threadConverter(logger);
  const noDevices: ReadonlySet<string> = new Set();

  const chunkRecords = options.chunkRecords ?? 10_000;

  /**
   * A batch is stored in chunks, and the next chunk is converted (on the worker) while this one is
   * inserted, so neither waits for the other. Offsets are still committed only after the handler
   * resolved, i.e. after every chunk's insert.
   */
  async function handle(batch: LogBatch): Promise<void> {
    const rowsFor = !options.onStored ? noDevices : (options.storedFor?.() ?? null);
    const entries = batch.records.map(fromUplinkRecord);
    const convert = (first: number) => converter.convert(entries.slice(first, first + chunkRecords), rowsFor);
    let insertMs = 0;
    const stored = { uplinks: 0, deadLetters: 0 };
    let next = convert(0);
    try {
      for (let first = 0; first < entries.length; first += chunkRecords) {
        const c = await next;
        if (first + chunkRecords < entries.length) next = convert(first + chunkRecords);
        const started = performance.now();
        await storeChunk(c, batch.records.slice(first, first + chunkRecords));
        insertMs += performance.now() - started;
        stored.uplinks += c.uplinks;
        stored.deadLetters += c.dead.length;
      }
    } finally {
      // A failed insert leaves the next chunk's conversion running: its outcome is not wanted.
      next.catch(() => undefined);
    }
    // Counted once the whole batch is stored: a batch that fails part-way comes again whole.
    stats.lastInsertMs = insertMs;
    stats.uplinks += stored.uplinks;
    stats.deadLetters += stored.deadLetters;
    stats.batches++;
    stats.records += batch.records.length;
    stats.lastBatchRecords = batch.records.length;
  }

  async function storeChunk(c: ConvertedBatch, records: LogBatch['records']): Promise<void> {
    await options.store.insertEncodedUplinks(c.uplinksTsv, c.uplinks);
    await options.store.insertDeadLetters(c.dead);
    if (options.deadLetterLog && c.deadIndexes.length > 0) {
      const dead = c.deadIndexes.map((i) => records[i]!);
      await options.deadLetterLog.append(dead.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })));
    }
    const done = Date.now();
    for (const receivedAtMs of c.receivedAtMs) latency.add(done - receivedAtMs);
    for (const d of c.dead) logger.info({ deviceId: d.deviceId, reason: d.reason, source: d.source }, 'dead letter stored');
    if (options.onFirmware) await trackFirmware(c.firmware);
    if (options.onCommandResults) await reportResults(c.commandResults);
    if (c.rows.length > 0) options.onStored?.(c.rows);
  }

  async function reportResults(results: ConvertedBatch['commandResults']): Promise<void> {
    for (const r of results) {
      try {
        await options.onCommandResults!(r.deviceId, r.results);
      } catch (err) {
        logger.warn({ err, deviceId: r.deviceId }, 'could not record command results');
      }
    }
  }

  async function trackFirmware(changes: ConvertedBatch['firmware']): Promise<void> {
    for (const [deviceId, firmware] of changes) {
      if (firmwareSeen.get(deviceId) === firmware) continue;
      firmwareSeen.set(deviceId, firmware);
      try {
        await options.onFirmware!(deviceId, firmware);
      } catch (err) {
        // Firmware bookkeeping must never hold telemetry back; the next message retries it.
        firmwareSeen.delete(deviceId);
        logger.warn({ err, deviceId }, 'could not record firmware version');
      }
    }
  }

  const consumer: LogConsumer = await options.log.consume({
    group: options.group ?? INGESTER_GROUP,
    maxBatchRecords: options.maxBatchRecords ?? 20_000,
    maxBatchWaitMs: options.maxBatchWaitMs ?? 100,
    handler: handle,
    onHandlerError: (err, attempt) => {
      stats.failedBatches++;
      logger.error({ err, attempt }, 'batch failed; offsets not committed, retrying with backoff');
    },
  });
  logger.info({ group: options.group ?? INGESTER_GROUP }, 'ingester started');

  return {
    stats() {
      const [p50, p99] = latency.percentiles([50, 99]);
      return { ...stats, latencyP50Ms: p50 ?? null, latencyP99Ms: p99 ?? null };
    },
    resetLatency: () => latency.reset(),
    async stop() {
      await consumer.stop();
      await converter.stop();
      logger.info('ingester stopped');
    },
  };
}
