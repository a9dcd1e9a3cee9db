import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startKafka, type KafkaCluster } from '@parley/kafka-runner';
import { silentLogger } from '@parley/logger';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AppendStream, Collector, missingOrDuplicated, orderViolations, waitFor } from './__fixtures__/kafka-workload';
import { LogErrorCode } from './errors';
import { openKafkaLog } from './kafka-log';

const APPEND_TIMEOUT_MS = 3000;
/** Settling an append may take the timeout plus one event-loop hiccup on a busy 2-core machine. */
const REJECT_BOUND_MS = APPEND_TIMEOUT_MS + 2000;

async function cluster(brokers: 1 | 3): Promise<KafkaCluster> {
  const dir = await mkdtemp(join(tmpdir(), `parley-kafka-faults-${brokers}-`));
  const kafka = await startKafka({ brokers, dir, log: silentLogger() });
  onTestFinished(async () => {
    await kafka.stop({ signal: 'SIGKILL' });
    await rm(dir, { recursive: true, force: true });
  });
  return kafka;
}

describe('Kafka log under broker failures', () => {
  it('rejects appends in bounded time while Kafka is down, recovers by itself, and loses no acknowledged record', async () => {
    const kafka = await cluster(1);
    const log = await openKafkaLog({
      brokers: kafka.bootstrapServers,
      topic: 'faults-restart',
      partitions: 3,
      clientId: 'parley-faults',
      log: silentLogger(),
      appendTimeoutMs: APPEND_TIMEOUT_MS,
      idleFetchWaitMs: 100,
      // A restarted coordinator waits this long for the members it remembers before it lets the
      // re-created consumer in (the runner allows session timeouts below Kafka's 6 s floor).
      sessionTimeoutMs: 3000,
      heartbeatIntervalMs: 500,
    });
    onTestFinished(() => log.close());
    const collector = await new Collector().start(log, 'ingester');
    onTestFinished(() => collector.stop());
    const stream = new AppendStream(log, 4, 5);
    onTestFinished(() => stream.stop());

    await stream.ackedMore(200);
    await kafka.stopBroker(0, { signal: 'SIGKILL' });
    // Anything sent from now on cannot be acknowledged: wait for failures to show up.
    await waitFor(() => stream.rejected.length >= 8, 'appends to be rejected while Kafka is down', 20_000);
    const ackedWhileDown = stream.acked.size;
    await sleep(1000);
    expect(stream.acked.size, 'no append may be acknowledged while the only broker is down').toBe(ackedWhileDown);

    await kafka.startBroker(0);
    await stream.ackedMore(200, 45_000);
    await stream.stop();

    expect(stream.rejected.length).toBeGreaterThan(0);
    for (const r of stream.rejected) {
      expect(r.code).toBe(LogErrorCode.writeFailed);
      expect(r.ms, `append of ${r.value} settled after ${r.ms} ms`).toBeLessThanOrEqual(REJECT_BOUND_MS);
    }
    await waitFor(() => [...stream.acked.values()].every((p) => collector.seen.has(p)), 'the group to consume every acknowledged record', 45_000);
    expect(missingOrDuplicated(stream, collector)).toEqual([]);
    expect(orderViolations(stream)).toEqual([]);
    await waitFor(async () => (await log.lag('ingester')).lag === 0n, 'the group to commit everything', 30_000);
  });

  it('loses no acknowledged record when one broker of three dies (replication 3, min.insync.replicas 2)', async () => {
    const kafka = await cluster(3);
    const log = await openKafkaLog({
      brokers: kafka.bootstrapServers,
      topic: 'faults-replicated',
      partitions: 3,
      replicationFactor: 3,
      minInSyncReplicas: 2,
      clientId: 'parley-faults',
      log: silentLogger(),
      appendTimeoutMs: APPEND_TIMEOUT_MS,
      idleFetchWaitMs: 100,
      // As above: a group coordinator that moved waits out remembered members for this long.
      sessionTimeoutMs: 3000,
      heartbeatIntervalMs: 500,
    });
    onTestFinished(() => log.close());
    const collector = await new Collector().start(log, 'ingester');
    onTestFinished(() => collector.stop());
    const stream = new AppendStream(log, 4, 5);
    onTestFinished(() => stream.stop());

    await stream.ackedMore(200);
    // Node 1 is the first voter and usually the controller: kill it to fail over leaders and the quorum.
    await kafka.stopBroker(0, { signal: 'SIGKILL' });
    await stream.ackedMore(300, 45_000);
    await stream.stop();

    for (const r of stream.rejected) expect(r.ms, `append of ${r.value} settled after ${r.ms} ms`).toBeLessThanOrEqual(REJECT_BOUND_MS);
    await waitFor(() => [...stream.acked.values()].every((p) => collector.seen.has(p)), 'the group to consume every acknowledged record', 45_000);
    expect(missingOrDuplicated(stream, collector)).toEqual([]);
    expect(orderViolations(stream)).toEqual([]);
  });
});
