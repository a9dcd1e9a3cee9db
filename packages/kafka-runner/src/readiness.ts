import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';

export interface ClusterView {
  clusterId: string;
  /** Node ids of the brokers the cluster metadata lists (registered and unfenced). */
  nodeIds: number[];
  controller: number | null;
}

/**
 * One metadata round trip through `bootstrap` (kafkajs admin `describeCluster`). Rejects if no
 * broker answers; kafkajs' own retries are off so the caller decides how long to wait.
 */
export async function describeCluster(bootstrap: string[], timeoutMs = 2000): Promise<ClusterView> {
  const kafka = new Kafka({
    clientId: 'parley-kafka-runner',
    brokers: bootstrap,
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    // Refused connections are the expected answer while a broker starts; do not log them.
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const c = await admin.describeCluster();
    return { clusterId: c.clusterId, nodeIds: c.brokers.map((b) => b.nodeId).sort((a, b) => a - b), controller: c.controller };
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Polls until the broker at `address` answers a metadata request that lists every node in
 * `expectNodeIds` (a broker that just joined a running cluster only appears once the controller
 * unfenced it). `check` runs before each attempt and throws to give up early (the JVM exited).
 */
export async function waitForBrokers(address: string, expectNodeIds: number[], deadline: number, check: () => void): Promise<ClusterView> {
  let last: unknown = null;
  for (;;) {
    check();
    try {
      const view = await describeCluster([address]);
      if (expectNodeIds.every((id) => view.nodeIds.includes(id))) return view;
      last = new Error(`metadata lists nodes [${view.nodeIds.join(', ')}], waiting for [${expectNodeIds.join(', ')}]`);
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`not ready before the deadline (last: ${(last as Error)?.message ?? String(last)})`);
    await sleep(150);
  }
}
