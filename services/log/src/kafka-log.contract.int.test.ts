import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKafka, type KafkaCluster } from '@parley/kafka-runner';
import { silentLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AppendStream, Collector, missingOrDuplicated, waitFor } from './__fixtures__/kafka-workload';
import { describeTelemetryLog } from './contract';
import { openKafkaLog, type KafkaLogOptions } from './kafka-log';
import type { TelemetryLog } from './telemetry-log';

// One single-node Kafka (KRaft, from the Maven jars; the first run downloads them) for this file.
let kafka: KafkaCluster;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-kafka-contract-'));
  kafka = await startKafka({ brokers: 1, dir, log: silentLogger() });
});

afterAll(async () => {
  await kafka?.stop({ signal: 'SIGKILL' });
  if (dir) await rm(dir, { recursive: true, force: true });
});

let topics = 0;

/** Options for a log on a fresh topic: 3 partitions, so the suite sees per-partition offsets. */
function freshLogOptions(name: string): KafkaLogOptions {
  const topic = `${name}-${process.pid}-${++topics}`;
  return {
    brokers: kafka.bootstrapServers,
    topic,
    partitions: 3,
    clientId: 'parley-contract',
    log: silentLogger(),
    // Group ids are cluster-wide: keep each test's 'g' apart from the others'.
    groupIdPrefix: `${topic}.`,
    // consumer stop() waits for the fetch in flight; the suite stops consumers often.
    idleFetchWaitMs: 100,
  };
}

describeTelemetryLog('Kafka log', async () => {
  const options = freshLogOptions('contract');
  const opened: TelemetryLog[] = [];
  const open = async (): Promise<TelemetryLog> => {
    const log = await openKafkaLog(options);
    opened.push(log);
    return log;
  };
  return {
    log: await open(),
    reopen: open,
    cleanup: async () => {
      for (const log of opened) await log.close();
    },
  };
});

describe('Kafka log consumer groups', () => {
  it('splits partitions between two members of a group and hands them over when one stops, losing nothing', async () => {
    const log = await openKafkaLog(freshLogOptions('members'));
    onTestFinished(() => log.close());
    const a = await new Collector().start(log, 'ingester');
    onTestFinished(() => a.stop());
    const stream = new AppendStream(log, 6, 2);
    onTestFinished(() => stream.stop());
    await stream.ackedMore(100);
    const b = await new Collector().start(log, 'ingester');
    onTestFinished(() => b.stop());
    await stream.ackedMore(200);
    await waitFor(() => b.seen.size > 0, 'the second member to get partitions and records');
    await a.stop();
    await stream.ackedMore(200);
    await stream.stop();

    await waitFor(() => [...stream.acked.values()].every((p) => a.seen.has(p) || b.seen.has(p)), 'every acknowledged record to be consumed by the group');
    expect(missingOrDuplicated(stream, a, b)).toEqual([]);
    await waitFor(async () => (await log.lag('ingester')).lag === 0n, 'the group to commit everything');
  });
});
