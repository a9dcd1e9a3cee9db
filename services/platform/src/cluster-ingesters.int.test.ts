import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@parley/testkit';
import { apiClient, startClusterServers, type ClusterServers, type Spawned } from './cluster-testing';
import { TestPublisher } from './test-publisher';

let servers: ClusterServers;
let front: Spawned;
let ingesters: Spawned[];

/** Uplinks the ingester process reported stored in its last status line. */
function ingested(p: Spawned): number {
  const lines = p.output().split('\n').filter((l) => l.includes('"component":"status"'));
  const last = lines.at(-1);
  return last ? Number((JSON.parse(last) as { ingested?: number }).ingested ?? 0) : 0;
}

beforeAll(async () => {
  servers = await startClusterServers({ partitions: 4 });
  // The first process creates the topic; the two ingesters then join one consumer group.
  front = await servers.spawnRoles('broker-api', 'broker,api');
  // Status lines every 500 ms tell how much each ingester stored.
  const status = { PARLEY_LOG_LEVEL: 'info', PARLEY_STATUS_INTERVAL_MS: '500', PARLEY_METRICS_PORT: '0' };
  ingesters = await Promise.all([servers.spawnRoles('ingester-1', 'ingester', status), servers.spawnRoles('ingester-2', 'ingester', status)]);
}, 120_000);

afterAll(async () => {
  await servers?.close();
}, 60_000);

describe('scale-out ingestion (two ingester processes in one consumer group)', () => {
  it('loses and duplicates nothing when one ingester is killed -9 mid-stream', async () => {
    const api = apiClient(front.banner.API!, servers.token);
    const devices = await api.provision(8);
    const publishers = devices.map((d) => new TestPublisher(d, [front.banner.MQTT!], { window: 2 }));
    const acked = () => publishers.reduce((n, p) => n + p.acked.size, 0);
    try {
      // Both ingesters take part: every device's messages reach the store while both run.
      await waitFor('uplinks of every device stored', async () => (await Promise.all(devices.map((d) => api.storedKeys(d.id)))).every((k) => k.length > 0), 45_000, 250);
      await waitFor('a stream of PUBACKs', () => acked() >= 400, 30_000);
      // The second member's join triggers a rebalance, which on a loaded 2-core machine can take longer
      // than the first member needs to store every device once: allow the same time as the waits above.
      await waitFor('both ingesters storing (they share the partitions)', () => ingesters.every((p) => ingested(p) > 0), 45_000, 100);
      // An ingester process has no API: it serves its own /metrics (PARLEY_METRICS_PORT).
      const metrics = await (await fetch(ingesters[0]!.banner.Metrics!)).text();
      expect(Number(/^parley_ingest_records_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(metrics).toMatch(/^parley_log_consumer_lag_records\{group="ingester"\} \d+/m);
      await ingesters[1]!.kill9();
      expect(await ingesters[1]!.exited).toBe('SIGKILL');
      const atKill = acked();
      await sleep(1000);
      expect(acked(), 'the brokers keep acknowledging: Kafka holds the backlog').toBeGreaterThan(atKill);
      await Promise.all(publishers.map((p) => p.stop({ drain: true })));

      // The survivor takes over the dead member's partitions after the session timeout.
      for (const [i, d] of devices.entries()) {
        const keys = publishers[i]!.acked;
        const stored = await waitFor(
          `every acknowledged message of ${d.id} in the store`,
          async () => {
            const s = await api.storedKeys(d.id);
            return [...keys].every((k) => s.includes(k)) ? s : null;
          },
          45_000,
          250,
        );
        expect(stored.length, 'each message once in query results').toBe(new Set(stored).size);
      }
      expect(ingesters[0]!.proc.exitCode).toBeNull();
    } finally {
      await Promise.all(publishers.map((p) => p.stop()));
    }
  }, 90_000);
});
