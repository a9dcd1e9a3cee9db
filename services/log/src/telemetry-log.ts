/**
 * The durable log between the MQTT broker and the ingester. Two implementations share this
 * contract: the embedded file log (default) and Kafka (cluster mode, `openKafkaLog`). Both must pass
 * `describeTelemetryLog` (see contract.ts).
 *
 * Semantics every implementation guarantees:
 * - `append` resolves only once every record in the call is durable (fsync'd / acknowledged by all
 *   in-sync replicas). If it rejects, none of the records may be assumed durable — the caller must
 *   not acknowledge them to the device.
 * - Records with the same key keep their append order for consumers.
 * - Delivery to a consumer group is at-least-once: a batch's offsets are committed only after its
 *   handler resolved; after a crash or a handler error the batch is delivered again.
 */
export interface AppendRecord {
  /** Partitioning/ordering key: the device id. */
  key: string;
  value: Buffer;
  /** Small string metadata (authenticated device id, receive time, verdict). Never secrets. */
  headers?: Record<string, string>;
  /** Append time in ms since epoch; defaults to now. */
  timestamp?: number;
}

export interface LogRecord {
  /** Partition the record lives in (the file log has exactly one: 0). */
  partition: number;
  /** Offset within the partition; strictly increasing, never reused. */
  offset: bigint;
  key: string;
  value: Buffer;
  headers: Record<string, string>;
  timestamp: number;
}

export interface AppendResult {
  partition: number;
  offset: bigint;
}

export interface LogBatch {
  records: LogRecord[];
}

export interface ConsumeOptions {
  /** Consumer group: offsets are tracked per group and survive restarts. */
  group: string;
  /** Deliver at most this many records per batch. */
  maxBatchRecords: number;
  /** Once a batch has at least one record, wait at most this long for it to fill up. */
  maxBatchWaitMs: number;
  /**
   * Handles one batch. Offsets are committed after it resolves. If it throws, nothing is committed
   * and the same records are delivered again after a backoff.
   */
  handler: (batch: LogBatch) => Promise<void>;
  /** Called when the handler failed and the batch will be retried (for logs/metrics). */
  onHandlerError?: (err: unknown, attempt: number) => void;
}

export interface LogConsumer {
  /** Stops fetching, waits for the in-flight batch (and its commit) to finish. */
  stop(): Promise<void>;
}

export interface ConsumerLag {
  group: string;
  /** Records appended but not yet committed by the group, summed over partitions. */
  lag: bigint;
}

export interface TelemetryLog {
  append(records: AppendRecord[]): Promise<AppendResult[]>;
  consume(options: ConsumeOptions): Promise<LogConsumer>;
  lag(group: string): Promise<ConsumerLag>;
  /** Flushes and closes; pending appends either complete durably or reject. Idempotent. */
  close(): Promise<void>;
}
