import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, Partitioners, type Admin, type KafkaConfig, type PartitionMetadata } from 'kafkajs';
import type { Logger } from '@parley/logger';
import { invalidOptionsError } from './errors';
import { KafkaAppender } from './kafka-appender';
import { KafkaGroupConsumer } from './kafka-consumer';
import { kafkaClosedError, kafkaUnavailableError } from './kafka-errors';
import { kafkajsLevelFor, pinoLogCreator } from './kafka-logging';
import type { AppendRecord, AppendResult, ConsumeOptions, ConsumerLag, LogConsumer, TelemetryLog } from './telemetry-log';

/** Options of {@link openKafkaLog}. */
export interface KafkaLogOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: string[];
  /** The topic holding the telemetry; created if missing. */
  topic: string;
  /**
   * Partition count used when creating the topic. An existing topic keeps its count (adding
   * partitions moves keys to other partitions and breaks per-device order for the records in
   * flight, so it is never done implicitly).
   */
  partitions: number;
  /** Replication factor when creating the topic. Default: the brokers' `default.replication.factor`. */
  replicationFactor?: number;
  /** `min.insync.replicas` of a created topic. Default: the brokers' setting. */
  minInSyncReplicas?: number;
  /** kafkajs client id (shows in broker logs and quotas), e.g. `parley-broker-1`. */
  clientId: string;
  /** Parent logger; the log logs as `component: 'kafka-log'`, kafkajs as `component: 'kafkajs'`. */
  log: Logger;
  /**
   * Prepended to every consume group to form the Kafka group id, so several deployments can share
   * one cluster. Default ''.
   */
  groupIdPrefix?: string;
  /**
   * Every append settles within this long: acknowledged by all in-sync replicas, or rejected with
   * `log_write_failed`. Keep it below the devices' QoS1 retry interval. Default 10 s.
   */
  appendTimeoutMs?: number;
  /** How long opening may take (connect, create the topic, start the producer). Default 30 s. */
  openTimeoutMs?: number;
  /** Consumer group session timeout: a crashed member's partitions move after this. Default 10 s. */
  sessionTimeoutMs?: number;
  /** Consumer heartbeat interval. Default 1 s. */
  heartbeatIntervalMs?: number;
  /**
   * How long an idle fetch waits at the broker before returning empty (when `maxBatchWaitMs` is 0);
   * consumer stop() waits for the current fetch, so this bounds it. Default 500 ms.
   */
  idleFetchWaitMs?: number;
  /** Largest fetch per partition. Default 2 MiB. */
  fetchMaxBytesPerPartition?: number;
  /** Most records / approximate bytes per produce request. Defaults 2,000 and 512 KiB (under Kafka's 1 MiB `max.message.bytes`). */
  maxSendRecords?: number;
  maxSendBytes?: number;
  /**
   * Appends waiting for Kafka beyond this many bytes are rejected at once (`log_write_failed`), so a
   * slow or absent Kafka costs bounded memory as well as bounded time. Default 64 MiB.
   */
  maxQueuedBytes?: number;
  /** TLS / SASL for a real cluster, passed to kafkajs as is. */
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
}

interface Settings {
  groupIdPrefix: string;
  appendTimeoutMs: number;
  openTimeoutMs: number;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  idleFetchWaitMs: number;
  fetchMaxBytesPerPartition: number;
  maxSendRecords: number;
  maxSendBytes: number;
  maxQueuedBytes: number;
}

/** Kafka's legal topic names. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Opens the Kafka-backed {@link TelemetryLog} (cluster mode): creates the topic if missing, connects
 * an idempotent producer, and returns once both worked (rejecting with `log_unavailable` after
 * `openTimeoutMs` otherwise).
 *
 * Guarantees, in Kafka terms:
 * - `append` resolves after the partition leader has the records and every in-sync replica
 *   acknowledged them (acks=-1; with `min.insync.replicas` 2 of 3, an acknowledged record survives
 *   the loss of any one broker). Within `appendTimeoutMs` it rejects instead, and nothing may be
 *   assumed durable.
 * - Records are keyed by device id: one device, one partition (murmur2, as the Java client), so
 *   per-device order holds. Offsets are per partition.
 * - Consumers: at-least-once, offsets committed only after the handler resolved; see
 *   kafka-consumer.ts.
 */
export async function openKafkaLog(options: KafkaLogOptions): Promise<TelemetryLog> {
  const settings = validate(options);
  const log = options.log.child({ component: 'kafka-log', topic: options.topic });
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: 1000,
    requestTimeout: Math.max(5000, Math.min(30_000, settings.appendTimeoutMs)),
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: kafkajsLevelFor(options.log),
    logCreator: pinoLogCreator(options.log),
    ssl: options.ssl,
    sasl: options.sasl,
  });
  const admin = kafka.admin();
  const opening: { appender: KafkaAppender | null; abandoned: boolean } = { appender: null, abandoned: false };
  const cleanup = async (): Promise<void> => {
    await opening.appender?.close().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  };
  const opened = (async () => {
    await admin.connect();
    const partitions = await ensureTopic(admin, options, log);
    const appender = new KafkaAppender({
      kafka,
      topic: options.topic,
      partitionFor: keyPartitioner(options.topic, partitions),
      appendTimeoutMs: settings.appendTimeoutMs,
      ackTimeoutMs: Math.max(1000, settings.appendTimeoutMs - 1000),
      maxSendRecords: settings.maxSendRecords,
      maxSendBytes: settings.maxSendBytes,
      maxQueuedBytes: settings.maxQueuedBytes,
      log,
    });
    opening.appender = appender;
    await appender.connect();
    // Finished after the timeout rejected the open: nobody will close these.
    if (opening.abandoned) await cleanup();
    return { partitions, appender };
  })();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready within ${settings.openTimeoutMs} ms`)), settings.openTimeoutMs);
  });
  try {
    const { partitions, appender } = await Promise.race([opened, timeout]);
    log.info({ brokers: options.brokers, partitions }, 'Kafka log opened');
    return new KafkaLog(options, settings, kafka, admin, appender, log);
  } catch (err) {
    opening.abandoned = true;
    opened.catch(() => undefined);
    await cleanup();
    throw kafkaUnavailableError(`opening topic ${options.topic}`, options.brokers, err);
  } finally {
    clearTimeout(timer);
  }
}

function validate(o: KafkaLogOptions): Settings {
  const problems: string[] = [];
  const int = (name: string, v: number | undefined, min: number): void => {
    if (v !== undefined && (!Number.isInteger(v) || v < min)) problems.push(`${name} must be an integer ≥ ${min} (got ${v})`);
  };
  if (!Array.isArray(o.brokers) || o.brokers.length === 0 || o.brokers.some((b) => typeof b !== 'string' || !/^[^:\s]+:\d+$/.test(b))) {
    problems.push(`brokers must be a non-empty list of host:port (got ${JSON.stringify(o.brokers)})`);
  }
  if (typeof o.topic !== 'string' || !TOPIC_NAME.test(o.topic)) problems.push(`topic must be 1–249 of [a-zA-Z0-9._-] (got ${JSON.stringify(o.topic)})`);
  if (typeof o.clientId !== 'string' || o.clientId.length === 0) problems.push('clientId must be a non-empty string');
  if (o.partitions === undefined) problems.push('partitions is required');
  int('partitions', o.partitions, 1);
  int('replicationFactor', o.replicationFactor, 1);
  int('minInSyncReplicas', o.minInSyncReplicas, 1);
  int('appendTimeoutMs', o.appendTimeoutMs, 100);
  int('openTimeoutMs', o.openTimeoutMs, 100);
  int('sessionTimeoutMs', o.sessionTimeoutMs, 1000);
  int('heartbeatIntervalMs', o.heartbeatIntervalMs, 100);
  int('idleFetchWaitMs', o.idleFetchWaitMs, 10);
  int('fetchMaxBytesPerPartition', o.fetchMaxBytesPerPartition, 1024);
  int('maxSendRecords', o.maxSendRecords, 1);
  int('maxSendBytes', o.maxSendBytes, 1024);
  int('maxQueuedBytes', o.maxQueuedBytes, 1024);
  if (o.minInSyncReplicas !== undefined && o.replicationFactor !== undefined && o.minInSyncReplicas > o.replicationFactor) {
    problems.push(`minInSyncReplicas (${o.minInSyncReplicas}) cannot exceed replicationFactor (${o.replicationFactor}): every append would fail`);
  }
  if (problems.length > 0) throw invalidOptionsError(`invalid Kafka log options: ${problems.join('; ')}`);
  return Object.freeze({
    groupIdPrefix: o.groupIdPrefix ?? '',
    appendTimeoutMs: o.appendTimeoutMs ?? 10_000,
    openTimeoutMs: o.openTimeoutMs ?? 30_000,
    sessionTimeoutMs: o.sessionTimeoutMs ?? 10_000,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? 1000,
    idleFetchWaitMs: o.idleFetchWaitMs ?? 500,
    fetchMaxBytesPerPartition: o.fetchMaxBytesPerPartition ?? 2 * 1024 * 1024,
    maxSendRecords: o.maxSendRecords ?? 2000,
    maxSendBytes: o.maxSendBytes ?? 512 * 1024,
    maxQueuedBytes: o.maxQueuedBytes ?? 64 * 1024 * 1024,
  });
}

/** Creates the topic if missing; returns its partition count. */
async function ensureTopic(admin: Admin, o: KafkaLogOptions, log: Logger): Promise<number> {
  const configEntries = o.minInSyncReplicas !== undefined ? [{ name: 'min.insync.replicas', value: String(o.minInSyncReplicas) }] : [];
  // On a busy machine the new topic's metadata can lag its creation: waitForLeaders then fails with
  // a retriable UNKNOWN_TOPIC_OR_PARTITION. Asking again is safe (an existing topic answers false).
  let created = false;
  await retryRetriable(
    async () => {
      created = (await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: o.topic, numPartitions: o.partitions, replicationFactor: o.replicationFactor ?? -1, configEntries }],
      })) || created;
    },
    () => Promise.resolve(),
  );
  const { topics } = await retryRetriable(() => admin.fetchTopicMetadata({ topics: [o.topic] }), () => Promise.resolve());
  const count = topics[0]?.partitions.length ?? 0;
  if (count === 0) throw new Error(`topic ${o.topic} has no partitions in the cluster metadata`);
  if (created) log.info({ partitions: count, replicationFactor: o.replicationFactor ?? 'broker default' }, 'created the log topic');
  else if (count !== o.partitions) {
    log.warn({ partitions: count, configured: o.partitions }, 'the log topic exists with a different partition count; using it as it is');
  }
  return count;
}

/**
 * The partition of a key: kafkajs' default partitioner (murmur2 like the Java client, so other
 * Kafka clients agree on it) over the partition count seen at open. Fixing the count here, instead
 * of letting the producer read it from fresh metadata, keeps a device's partition stable for the
 * life of the process even if partitions are added, and lets append() know each record's partition.
 */
function keyPartitioner(topic: string, partitions: number): (key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0 }) as PartitionMetadata);
  return (key) => partitioner({ topic, partitionMetadata, message: { key, value: null } });
}

/**
 * Retries an admin call a few times on errors kafkajs marks retriable. kafkajs' admin gives up on
 * most of them at once: right after a topic is created ListOffsets can answer
 * NOT_LEADER_OR_FOLLOWER (the broker has not applied its leadership yet), and after a leader moved
 * the admin's cached metadata points at the old one.
 */
async function retryRetriable<T>(call: () => Promise<T>, beforeRetry: () => Promise<void>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const e = err as { retriable?: unknown; cause?: { retriable?: unknown } };
      if (attempt >= attempts || (e.retriable !== true && e.cause?.retriable !== true)) throw err;
      await sleep(100 * 2 ** (attempt - 1));
      await beforeRetry().catch(() => undefined);
    }
  }
}

class KafkaLog implements TelemetryLog {
  private readonly consumers = new Set<KafkaGroupConsumer>();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly options: KafkaLogOptions,
    private readonly settings: Settings,
    private readonly kafka: Kafka,
    private readonly admin: Admin,
    private readonly appender: KafkaAppender,
    private readonly log: Logger,
  ) {}

  async append(records: AppendRecord[]): Promise<AppendResult[]> {
    if (this.closing) throw kafkaClosedError(this.options.topic);
    if (records.length === 0) return [];
    return this.appender.append(records);
  }

  async consume(options: ConsumeOptions): Promise<LogConsumer> {
    if (this.closing) throw kafkaClosedError(this.options.topic);
    if (typeof options.group !== 'string' || options.group.length === 0) throw invalidOptionsError('group must be a non-empty string');
    if (!Number.isInteger(options.maxBatchRecords) || options.maxBatchRecords < 1) throw invalidOptionsError('maxBatchRecords must be an integer ≥ 1');
    if (!Number.isFinite(options.maxBatchWaitMs) || options.maxBatchWaitMs < 0) throw invalidOptionsError('maxBatchWaitMs must be a number ≥ 0');
    if (typeof options.handler !== 'function') throw invalidOptionsError('handler must be a function');
    const groupId = this.settings.groupIdPrefix + options.group;
    const log = this.log.child({ group: options.group });
    let consumer: KafkaGroupConsumer | null = null;
    try {
      consumer = await KafkaGroupConsumer.start(
        options,
        {
          kafka: this.kafka,
          topic: this.options.topic,
          groupId,
          sessionTimeoutMs: this.settings.sessionTimeoutMs,
          heartbeatIntervalMs: this.settings.heartbeatIntervalMs,
          idleFetchWaitMs: this.settings.idleFetchWaitMs,
          fetchMaxBytesPerPartition: this.settings.fetchMaxBytesPerPartition,
          log,
        },
        () => consumer && this.consumers.delete(consumer),
      );
    } catch (err) {
      throw kafkaUnavailableError(`joining consumer group ${groupId}`, this.options.brokers, err);
    }
    this.consumers.add(consumer);
    log.info({ groupId }, 'consumer started');
    return consumer;
  }

  async lag(group: string): Promise<ConsumerLag> {
    const groupId = this.settings.groupIdPrefix + group;
    const topic = this.options.topic;
    try {
      // Fresh metadata before a retry: the leader of a partition may have moved.
      const refresh = () => this.admin.fetchTopicMetadata({ topics: [topic] }).then(() => undefined);
      const [committed, ends] = await Promise.all([
        retryRetriable(() => this.admin.fetchOffsets({ groupId, topics: [topic] }), refresh),
        retryRetriable(() => this.admin.fetchTopicOffsets(topic), refresh),
      ]);
      const committedBy = new Map((committed.find((t) => t.topic === topic)?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
      let lag = 0n;
      for (const end of ends) {
        const low = BigInt(end.low);
        const high = BigInt(end.high);
        const c = committedBy.get(end.partition) ?? -1n;
        // No commit yet (-1) or a commit below retention: the group reads from the oldest record.
        const from = c < low ? low : c;
        if (high > from) lag += high - from;
      }
      return { group, lag };
    } catch (err) {
      throw kafkaUnavailableError(`reading the lag of group ${groupId}`, this.options.brokers, err);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Appends accepted before close() settle (acknowledged or rejected within appendTimeoutMs).
    await this.appender.close();
    await Promise.all([...this.consumers].map((c) => c.stop()));
    await this.admin.disconnect().catch((err: unknown) => this.log.warn({ err }, 'Kafka admin disconnect failed'));
    this.log.info('Kafka log closed');
  }
}
