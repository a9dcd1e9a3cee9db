import { setTimeout as sleep } from 'node:timers/promises';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '@parley/logger';
import { retryDelayMs } from './consumer';
import type { ConsumeOptions, LogConsumer, LogRecord } from './telemetry-log';

export interface KafkaConsumerSettings {
  kafka: Kafka;
  topic: string;
  /** Kafka group id (the log's prefix + the consume group). */
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  /** Broker-side wait of a fetch that finds nothing (bounds how long stop() waits for an idle fetch). */
  idleFetchWaitMs: number;
  fetchMaxBytesPerPartition: number;
  log: Logger;
}

/** Per-record bytes assumed when turning maxBatchRecords into a fetch minBytes. */
const ASSUMED_RECORD_BYTES = 64;
const MAX_FETCH_MIN_BYTES = 1024 * 1024;
/** Pause before re-creating a kafkajs consumer that crashed without restarting itself. */
const RECREATE_DELAY_MS = 1000;

/**
 * One consume() call: a kafkajs group member that hands batches to the handler and commits the
 * next offset only after the handler resolved.
 *
 * - kafkajs batches are per partition; each is cut into chunks of at most maxBatchRecords, and each
 *   chunk is handled, committed (OffsetCommit with the current generation) and only then resolved,
 *   so kafkajs never fetches past an unhandled record.
 * - A failing handler is retried here, inside eachBatch, with the file log's backoff (100 ms
 *   doubling to 5 s), heartbeating meanwhile. It gives the chunk back unresolved — kafkajs fetches
 *   it again from the last resolved offset — when the consumer stops or the group rebalances (a
 *   heartbeat error), so a stuck partition never blocks a rebalance.
 * - Rebalance-safe: a commit after the partition moved fails on the generation check, the error
 *   makes kafkajs rejoin, and the new owner gets the records again (at-least-once).
 * - kafkajs restarts a consumer that crashed on a retriable error; one that gave up (restart false)
 *   is re-created here after a pause, so the group recovers by itself when Kafka returns.
 */
export class KafkaGroupConsumer implements LogConsumer {
  private consumer: Consumer | null = null;
  private readonly abort = new AbortController();
  private stopping: Promise<void> | null = null;
  private recreateTimer: NodeJS.Timeout | null = null;
  private recreating: Promise<void> | null = null;
  /** Attempts of the chunk that failed last, so a redelivery after a rebalance keeps counting. */
  private lastFailure: { partition: number; offset: string; attempts: number } | null = null;

  private constructor(
    private readonly options: ConsumeOptions,
    private readonly s: KafkaConsumerSettings,
    private readonly onStopped: () => void,
  ) {}

  /** Joins the group and starts delivering; rejects if Kafka cannot be reached now. */
  static async start(options: ConsumeOptions, settings: KafkaConsumerSettings, onStopped: () => void): Promise<KafkaGroupConsumer> {
    const c = new KafkaGroupConsumer(options, settings, onStopped);
    c.consumer = await c.create();
    return c;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.abort.abort();
    if (this.recreateTimer) clearTimeout(this.recreateTimer);
    await this.recreating;
    // disconnect() = stop (waits for the in-flight eachBatch, i.e. handler + commit) + LeaveGroup.
    await this.consumer?.disconnect().catch((err: unknown) => this.s.log.warn({ err }, 'Kafka consumer disconnect failed'));
    this.consumer = null;
    this.onStopped();
    this.s.log.info('consumer stopped');
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async create(): Promise<Consumer> {
    const { maxBatchRecords, maxBatchWaitMs } = this.options;
    // maxBatchWaitMs > 0: let the broker hold a fetch until about a full batch arrived or that
    // time passed (fetch.min.bytes / fetch.max.wait.ms). 0: answer as soon as anything is there.
    const waitForFill = maxBatchWaitMs > 0;
    const consumer = this.s.kafka.consumer({
      groupId: this.s.groupId,
      sessionTimeout: this.s.sessionTimeoutMs,
      rebalanceTimeout: Math.max(30_000, this.s.sessionTimeoutMs),
      heartbeatInterval: this.s.heartbeatIntervalMs,
      minBytes: waitForFill ? Math.min(MAX_FETCH_MIN_BYTES, maxBatchRecords * ASSUMED_RECORD_BYTES) : 1,
      maxWaitTimeInMs: waitForFill ? maxBatchWaitMs : this.s.idleFetchWaitMs,
      maxBytesPerPartition: this.s.fetchMaxBytesPerPartition,
      allowAutoTopicCreation: false,
      // Short waits between attempts: after an outage the group should be back within ~2 s of Kafka.
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 2000 },
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.s.log.error({ err: payload.error, restart: payload.restart }, 'Kafka consumer crashed');
      if (!payload.restart) this.scheduleRecreate();
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.s.log.debug({ memberId: payload.memberId, assignment: payload.memberAssignment }, 'joined the consumer group');
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.s.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (err) {
      await consumer.disconnect().catch(() => undefined);
      throw err;
    }
    return consumer;
  }

  private scheduleRecreate(): void {
    if (this.stopped || this.recreateTimer) return;
    this.recreateTimer = setTimeout(() => {
      this.recreateTimer = null;
      this.recreating = (async () => {
        const old = this.consumer;
        this.consumer = null;
        await old?.disconnect().catch(() => undefined);
        if (this.stopped) return;
        try {
          this.consumer = await this.create();
          this.s.log.info('Kafka consumer re-created after a crash');
        } catch (err) {
          this.s.log.warn({ err }, 're-creating the Kafka consumer failed; trying again');
          this.scheduleRecreate();
        }
      })().finally(() => (this.recreating = null));
    }, RECREATE_DELAY_MS);
  }

  private async eachBatch(p: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = p.batch;
    const max = this.options.maxBatchRecords;
    for (let i = 0; i < messages.length; i += max) {
      const chunk = messages.slice(i, i + max);
      if (!(await this.handle(partition, chunk, p))) return;
      const last = chunk[chunk.length - 1]!.offset;
      const next = (BigInt(last) + 1n).toString();
      try {
        await p.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: next }] }] });
      } catch (err) {
        this.s.log.warn({ err, partition, offset: next }, 'offset commit failed after the handler succeeded; the records will be delivered again');
        throw err;
      }
      p.resolveOffset(last);
    }
  }

  /** Runs the handler until it succeeds (true) or the chunk must be given back (false). */
  private async handle(partition: number, chunk: KafkaMessage[], p: EachBatchPayload): Promise<boolean> {
    const records = chunk.map((m) => toLogRecord(partition, m));
    const first = chunk[0]!.offset;
    const prior = this.lastFailure;
    let attempt = prior && prior.partition === partition && prior.offset === first ? prior.attempts : 0;
    for (;;) {
      if (this.stopped || !p.isRunning() || p.isStale()) return false;
      attempt++;
      let rebalancing = false;
      const beat = setInterval(() => void p.heartbeat().catch(() => (rebalancing = true)), this.s.heartbeatIntervalMs);
      try {
        await this.options.handler({ records });
        if (this.lastFailure?.partition === partition) this.lastFailure = null;
        return true;
      } catch (err) {
        this.lastFailure = { partition, offset: first, attempts: attempt };
        try {
          this.options.onHandlerError?.(err, attempt);
        } catch (hookErr) {
          this.s.log.warn({ err: hookErr }, 'onHandlerError threw');
        }
        this.s.log.warn(
          { err, attempt, partition, firstOffset: first, records: records.length, retryInMs: retryDelayMs(attempt) },
          'consumer handler failed; the batch will be delivered again',
        );
      } finally {
        clearInterval(beat);
      }
      if (rebalancing || !(await this.backoff(retryDelayMs(attempt), p))) return false;
    }
  }

  /** Sleeps, heartbeating; false if the consumer stops or the group starts rebalancing meanwhile. */
  private async backoff(ms: number, p: EachBatchPayload): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (this.stopped || !p.isRunning()) return false;
      try {
        await sleep(Math.min(this.s.heartbeatIntervalMs, until - Date.now()), undefined, { signal: this.abort.signal });
        await p.heartbeat();
      } catch {
        return false;
      }
    }
    return !this.stopped && p.isRunning();
  }
}

function toLogRecord(partition: number, m: KafkaMessage): LogRecord {
  return {
    partition,
    offset: BigInt(m.offset),
    key: m.key ? m.key.toString('utf8') : '',
    value: m.value ?? Buffer.alloc(0),
    headers: decodeHeaders(m.headers),
    timestamp: Number(m.timestamp),
  };
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const last = Array.isArray(v) ? v[v.length - 1] : v;
    if (last !== undefined) out[k] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}
