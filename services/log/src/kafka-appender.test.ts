import type { Kafka, Message, ProducerRecord, RecordMetadata } from 'kafkajs';
import { silentLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { KafkaAppender, type KafkaAppenderOptions } from './kafka-appender';
import { LogErrorCode } from './errors';

/** A stand-in for kafkajs: records each produce request; the test decides how it ends. */
class FakeKafka {
  producersCreated = 0;
  inFlight = 0;
  maxInFlight = 0;
  requests: Message[][] = [];
  /** 'ok' answers like a broker; 'hang' never answers; 'fail' rejects. */
  mode: 'ok' | 'hang' | 'fail' = 'ok';
  private readonly next = new Map<number, bigint>();

  producer() {
    this.producersCreated++;
    return {
      connect: async () => undefined,
      disconnect: async () => undefined,
      send: async (record: ProducerRecord): Promise<RecordMetadata[]> => {
        this.requests.push(record.messages);
        this.inFlight++;
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
        try {
          await new Promise((r) => setTimeout(r, 2));
          if (this.mode === 'hang') await new Promise(() => undefined);
          if (this.mode === 'fail') throw new Error('broker unreachable');
          const byPartition = new Map<number, number>();
          for (const m of record.messages) byPartition.set(m.partition!, (byPartition.get(m.partition!) ?? 0) + 1);
          return [...byPartition].map(([partition, count]) => {
            const base = this.next.get(partition) ?? 0n;
            this.next.set(partition, base + BigInt(count));
            return { topicName: record.topic, partition, errorCode: 0, baseOffset: String(base) };
          });
        } finally {
          this.inFlight--;
        }
      },
    };
  }
}

function appender(fake: FakeKafka, overrides: Partial<KafkaAppenderOptions> = {}): KafkaAppender {
  return new KafkaAppender({
    kafka: fake as unknown as Kafka,
    topic: 't',
    partitionFor: (key) => Number(key.slice(1)) % 3,
    appendTimeoutMs: 300,
    ackTimeoutMs: 200,
    maxSendRecords: 100,
    maxSendBytes: 1024 * 1024,
    maxQueuedBytes: 1024 * 1024,
    log: silentLogger(),
    ...overrides,
  });
}

const rec = (key: string, value = 'v') => ({ key, value: Buffer.from(value) });

describe('KafkaAppender', () => {
  it('gathers concurrent appends into few requests, one in flight, and maps offsets back per partition', async () => {
    const fake = new FakeKafka();
    const a = appender(fake);
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => a.append([rec(`k${i % 4}`, String(i))])));
    expect(fake.maxInFlight).toBe(1);
    expect(fake.requests.length).toBeLessThan(10);
    const positions = results.map(([r]) => `${r!.partition}:${r!.offset}`);
    expect(new Set(positions).size).toBe(60);
    // Per key: partition fixed, offsets increasing in append order.
    for (let k = 0; k < 4; k++) {
      const mine = results.filter((_, i) => i % 4 === k).map(([r]) => r!);
      expect(new Set(mine.map((r) => r.partition))).toEqual(new Set([k % 3]));
      for (let i = 1; i < mine.length; i++) expect(mine[i]!.offset > mine[i - 1]!.offset).toBe(true);
    }
  });

  it('respects maxSendRecords but never splits one append', async () => {
    const fake = new FakeKafka();
    const a = appender(fake, { maxSendRecords: 5 });
    await Promise.all([a.append([rec('k1'), rec('k1'), rec('k1')]), a.append([rec('k2'), rec('k2'), rec('k2')]), a.append(Array.from({ length: 7 }, () => rec('k3')))]);
    expect(fake.requests.map((r) => r.length)).toEqual([3, 3, 7]);
  });

  it('rejects every append with log_write_failed within the timeout when Kafka does not answer, then recovers with a new producer', async () => {
    const fake = new FakeKafka();
    const a = appender(fake);
    await a.append([rec('k1')]);
    fake.mode = 'hang';
    const started = Date.now();
    const settled = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => a.append([rec(`k${i}`)])));
    const elapsed = Date.now() - started;
    expect(settled.every((s) => s.status === 'rejected' && (s.reason as { code?: string }).code === LogErrorCode.writeFailed)).toBe(true);
    // Rejected by the 300 ms send timeout, not left hanging (a hung send would never settle); the
    // margin is wide because a shared machine can stall timers.
    expect(elapsed).toBeLessThan(300 + 5000);

    fake.mode = 'ok';
    const producersBefore = fake.producersCreated;
    await expect(a.append([rec('k1')])).resolves.toHaveLength(1);
    expect(fake.producersCreated).toBe(producersBefore + 1);
  });

  it('rejects appends queued behind a failing request by their own deadline', async () => {
    const fake = new FakeKafka();
    const a = appender(fake, { maxSendRecords: 1 });
    fake.mode = 'hang';
    const started = Date.now();
    const times = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        a.append([rec(`k${i}`)]).then(
          () => -1,
          () => Date.now() - started,
        ),
      ),
    );
    for (const t of times) {
      expect(t).toBeGreaterThanOrEqual(0);
      expect(t).toBeLessThan(300 + 250);
    }
  });

  it('rejects at once when too many bytes are already waiting', async () => {
    const fake = new FakeKafka();
    const a = appender(fake, { maxQueuedBytes: 2000 });
    fake.mode = 'hang';
    const first = a.append([rec('k1', 'x'.repeat(1500))]).catch((e: unknown) => e);
    const second = a.append([rec('k1', 'x'.repeat(1500))]);
    const third = a.append([rec('k1', 'x'.repeat(1500))]);
    await expect(third).rejects.toMatchObject({ code: LogErrorCode.writeFailed });
    await second.catch(() => undefined);
    await first;
  });

  it('flush() waits for every accepted append', async () => {
    const fake = new FakeKafka();
    const a = appender(fake);
    let done = 0;
    for (let i = 0; i < 10; i++) void a.append([rec(`k${i}`)]).then(() => done++);
    await a.flush();
    expect(done).toBe(10);
  });
});
