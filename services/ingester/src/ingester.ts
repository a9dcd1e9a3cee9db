import { fromUplinkRecord, type LogBatch, type LogConsumer, type LogRecord, type TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { DeadLetterRow, Store, UplinkRow } from '@parley/store';
import { LatencyWindow } from './latency';
import { toRow } from './to-rows';

export interface IngesterOptions {
  log: TelemetryLog;
  store: Store;
  logger: Logger;
  /** Consumer group; one group = one copy of the data in the store. */
  group?: string;
  maxBatchRecords?: number;
  maxBatchWaitMs?: number;
  /** Called when a device reports a firmware version different from the last one seen. */
  onFirmware?: (deviceId: string, firmware: string) => Promise<void>;
  /**
   * Called after a batch is stored, for every uplink that carries command results (to close the
   * loop on commands). A failure is logged, never retried through the log: the results are stored.
   */
  onCommandResults?: (deviceId: string, results: UplinkRow['commandResults']) => Promise<void>;
  /** Called after each stored batch with its uplinks (live tail). Must not throw. */
  onStored?: (uplinks: readonly UplinkRow[]) => void;
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

  async function handle(batch: LogBatch): Promise<void> {
    const uplinks: UplinkRow[] = [];
    const dead: DeadLetterRow[] = [];
    const deadRecords: LogRecord[] = [];
    for (const record of batch.records) {
      const converted = toRow(fromUplinkRecord(record));
      if (converted.kind === 'uplink') uplinks.push(converted.row);
      else {
        dead.push(converted.row);
        deadRecords.push(record);
      }
    }
    const started = performance.now();
    await options.store.insertUplinks(uplinks);
    await options.store.insertDeadLetters(dead);
    if (options.deadLetterLog && deadRecords.length > 0) {
      await options.deadLetterLog.append(deadRecords.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })));
    }
    const done = Date.now();
    stats.lastInsertMs = performance.now() - started;
    for (const r of uplinks) latency.add(done - r.receivedAtMs);
    stats.batches++;
    stats.records += batch.records.length;
    stats.uplinks += uplinks.length;
    stats.deadLetters += dead.length;
    stats.lastBatchRecords = batch.records.length;
    for (const d of dead) logger.info({ deviceId: d.deviceId, reason: d.reason, source: d.source }, 'dead letter stored');
    if (options.onFirmware) await trackFirmware(uplinks);
    if (options.onCommandResults) await reportResults(uplinks);
    options.onStored?.(uplinks);
  }

  async function reportResults(rows: UplinkRow[]): Promise<void> {
    for (const r of rows) {
      if (r.commandResults.length === 0) continue;
      try {
        await options.onCommandResults!(r.deviceId, r.commandResults);
      } catch (err) {
        logger.warn({ err, deviceId: r.deviceId }, 'could not record command results');
      }
    }
  }

  async function trackFirmware(rows: UplinkRow[]): Promise<void> {
    for (const r of rows) {
      if (firmwareSeen.get(r.deviceId) === r.firmware) continue;
      firmwareSeen.set(r.deviceId, r.firmware);
      try {
        await options.onFirmware!(r.deviceId, r.firmware);
      } catch (err) {
        // Firmware bookkeeping must never hold telemetry back; the next message retries it.
        firmwareSeen.delete(r.deviceId);
        logger.warn({ err, deviceId: r.deviceId }, 'could not record firmware version');
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
      logger.info('ingester stopped');
    },
  };
}
