import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer, type RecordMetadata } from 'kafkajs';
import type { Logger } from '@parley/logger';
import { kafkaWriteFailedError } from './kafka-errors';
import type { AppendRecord, AppendResult } from './telemetry-log';

export interface KafkaAppenderOptions {
  kafka: Kafka;
  topic: string;
  /** Partition of a key, fixed for the life of the appender (see kafka-log.ts). */
  partitionFor: (key: string) => number;
  /** Every append settles within this long of its call: acknowledged, or rejected. */
  appendTimeoutMs: number;
  /** How long the partition leader may wait for the in-sync replicas (produce `timeout`). */
  ackTimeoutMs: number;
  /** Largest number of records / approximate bytes sent in one produce request. */
  maxSendRecords: number;
  maxSendBytes: number;
  /** Appends beyond this many queued bytes are rejected at once (the deadline alone bounds time, not memory). */
  maxQueuedBytes: number;
  log: Logger;
}

interface Pending {
  messages: Message[];
  partitions: number[];
  bytes: number;
  deadline: number;
  resolve: (results: AppendResult[]) => void;
  reject: (err: unknown) => void;
}

/** Framing overhead per record in a v2 record batch, roughly (varints, attributes, deltas). */
const RECORD_OVERHEAD_BYTES = 24;

/**
 * Sends appends to Kafka with one produce request in flight at a time, gathering the appends that
 * arrive meanwhile into the next request (group commit, like the file log's fdatasync groups).
 *
 * Why one in flight: the idempotent producer numbers each partition's batches; with one request in
 * flight a retry can never overtake a later batch, so per-key order holds and kafkajs' sequence
 * bookkeeping stays simple. Throughput comes from the group size, not from parallel requests.
 *
 * Why a fresh producer after every failed request: when a request's outcome is unknown (timeout,
 * broker gone), the next batch would reuse sequence numbers the broker may already have seen and
 * be silently dropped as a "duplicate". A new producer id starts clean. kafkajs' own retries are
 * finite for the same reason: the append must fail in bounded time so the broker withholds the
 * PUBACK and the device's QoS1 retry keeps the data.
 */
export class KafkaAppender {
  private readonly queue: Pending[] = [];
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private running: Promise<void> | null = null;
  private failures = 0;
  private queuedBytes = 0;

  constructor(private readonly o: KafkaAppenderOptions) {}

  /** Connects the first producer (so a misconfiguration shows at open, not at the first append). */
  async connect(): Promise<void> {
    await this.ensureProducer();
  }

  append(records: AppendRecord[]): Promise<AppendResult[]> {
    const now = Date.now();
    const messages: Message[] = new Array<Message>(records.length);
    const partitions: number[] = new Array<number>(records.length);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      const partition = this.o.partitionFor(r.key);
      const key = Buffer.from(r.key);
      messages[i] = { key, value: r.value, partition, timestamp: String(r.timestamp ?? now), headers: r.headers };
      partitions[i] = partition;
      bytes += key.length + r.value.length + RECORD_OVERHEAD_BYTES + headerBytes(r.headers);
    }
    if (this.queuedBytes + bytes > this.o.maxQueuedBytes && this.queue.length > 0) {
      return Promise.reject(
        kafkaWriteFailedError(this.o.topic, records.length, new Error(`${this.queuedBytes} bytes are already waiting for Kafka (limit ${this.o.maxQueuedBytes})`)),
      );
    }
    this.queuedBytes += bytes;
    return new Promise((resolve, reject) => {
      this.queue.push({ messages, partitions, bytes, deadline: now + this.o.appendTimeoutMs, resolve, reject });
      // Started a microtask later, so `running` is always set before drain() can clear it.
      this.running ??= Promise.resolve().then(() => this.drain());
    });
  }

  /** Resolves once every append accepted so far has settled. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Flushes, then disconnects the producer. */
  async close(): Promise<void> {
    await this.flush();
    await this.dropProducer();
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        this.expireQueued();
        const group = this.takeGroup();
        if (group.length === 0) continue;
        await this.sendGroup(group);
      }
    } finally {
      // Reset in the same turn as the empty-queue check: an append arriving in between would
      // otherwise see a drain still "running" and wait forever.
      this.running = null;
    }
  }

  /** Rejects queued appends whose deadline passed while an earlier request was in flight. */
  private expireQueued(): void {
    const now = Date.now();
    while (this.queue.length > 0 && this.queue[0]!.deadline <= now) {
      const p = this.queue.shift()!;
      this.queuedBytes -= p.bytes;
      p.reject(kafkaWriteFailedError(this.o.topic, p.messages.length, new Error('timed out waiting behind an earlier request')));
    }
  }

  /** Whole appends from the head of the queue, within the record/byte limits (always at least one). */
  private takeGroup(): Pending[] {
    const group: Pending[] = [];
    let records = 0;
    let bytes = 0;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (group.length > 0 && (records + next.messages.length > this.o.maxSendRecords || bytes + next.bytes > this.o.maxSendBytes)) break;
      group.push(this.queue.shift()!);
      records += next.messages.length;
      bytes += next.bytes;
    }
    this.queuedBytes -= bytes;
    return group;
  }

  private async sendGroup(group: Pending[]): Promise<void> {
    const messages = group.length === 1 ? group[0]!.messages : group.flatMap((p) => p.messages);
    // Queue order = deadline order, so the first member's deadline is the group's.
    const remaining = group[0]!.deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no acknowledgement within ${this.o.appendTimeoutMs} ms`)), Math.max(0, remaining));
    });
    let abandoned = false;
    const attempt = (async () => {
      const producer = await this.ensureProducer();
      // Timed out while connecting: the group was rejected, and the next group may already be
      // using this producer — sending now would put two requests in flight.
      if (abandoned) throw new Error('abandoned after the append timeout');
      return producer.send({ topic: this.o.topic, acks: -1, timeout: this.o.ackTimeoutMs, compression: CompressionTypes.None, messages });
    })();
    try {
      const metadata = await Promise.race([attempt, timeout]);
      const results = assignOffsets(group, metadata);
      this.failures = 0;
      for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!);
    } catch (err) {
      abandoned = true;
      attempt.catch(() => undefined); // a timed-out request may still settle later; nobody waits for it
      this.failures++;
      const level = this.failures === 1 ? 'error' : 'warn';
      this.o.log[level]({ err, records: messages.length, appends: group.length, consecutiveFailures: this.failures }, 'Kafka append failed; rejecting the group and starting a fresh producer');
      for (const p of group) p.reject(kafkaWriteFailedError(this.o.topic, p.messages.length, err));
      // Not awaited: closing sockets to a dead broker can take seconds, and the appends queued
      // behind this group are on the clock. The next group connects a new producer.
      void this.dropProducer();
    } finally {
      clearTimeout(timer);
    }
  }

  private ensureProducer(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      const producer = this.o.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        // Records carry an explicit partition (see kafka-log.ts); this only silences kafkajs' v2 notice.
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        // Finite on purpose, see the class comment; the whole append is bounded by appendTimeoutMs.
        retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      try {
        await producer.connect();
      } catch (err) {
        await producer.disconnect().catch(() => undefined);
        throw err;
      }
      this.producer = producer;
      return producer;
    })().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async dropProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = null;
    if (!producer) return;
    // disconnect() only closes sockets; bound it anyway, a wedged close must not stall appends.
    await Promise.race([producer.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}

/**
 * Maps produce responses back to each append: kafkajs keeps the order of messages within a
 * partition, and the broker assigns them consecutive offsets from the batch's base offset.
 */
function assignOffsets(group: Pending[], metadata: RecordMetadata[]): AppendResult[][] {
  const next = new Map<number, bigint>();
  for (const m of metadata) {
    if (m.errorCode !== 0 || m.baseOffset === undefined) throw new Error(`partition ${m.partition} answered error code ${m.errorCode}`);
    next.set(m.partition, BigInt(m.baseOffset));
  }
  return group.map((p) =>
    p.partitions.map((partition) => {
      const offset = next.get(partition);
      if (offset === undefined) throw new Error(`no produce response for partition ${partition}`);
      next.set(partition, offset + 1n);
      return { partition, offset };
    }),
  );
}

function headerBytes(headers: Record<string, string> | undefined): number {
  if (!headers) return 0;
  let n = 0;
  for (const k in headers) n += k.length + headers[k]!.length + 4;
  return n;
}
