import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@parley/testkit';
import { apiClient, startClusterServers, type ClusterServers, type Spawned } from './cluster-testing';
import { TestPublisher } from './test-publisher';

let servers: ClusterServers;
let platform: Spawned;

beforeAll(async () => {
  servers = await startClusterServers({ partitions: 3 });
  // Every role in one process, but on the servers: Kafka, the store server, PostgreSQL, Redis.
  platform = await servers.spawnRoles('all', 'broker,ingester,api');
}, 120_000);

afterAll(async () => {
  await servers?.close();
}, 60_000);

const total = (ps: TestPublisher[], f: (p: TestPublisher) => number) => ps.reduce((n, p) => n + f(p), 0);

describe('broker durability on Kafka (separate processes)', () => {
  it('stops acknowledging while Kafka is down, recovers by itself, and stores every PUBACKed message exactly once', async () => {
    const api = apiClient(platform.banner.API!, servers.token);
    const devices = await api.provision(3);
    const publishers = devices.map((d) => new TestPublisher(d, [platform.banner.MQTT!], { window: 4, publishTimeoutMs: 15_000 }));
    try {
      await waitFor('300 PUBACKs before the outage', () => total(publishers, (p) => p.acked.size) >= 300, 30_000);

      await servers.kafka.stopBroker(0, { signal: 'SIGKILL' });
      // Appends now fail within the log's append timeout; the broker refuses them (no PUBACK) and
      // closes the connection, so the devices hold the messages.
      await waitFor('every device to see its publishes refused', () => publishers.every((p) => p.failures > 0), 40_000, 100);
      const ackedDuringOutage = total(publishers, (p) => p.acked.size);
      const rssDuringOutage = (await platform.rss())!;
      await sleep(3000);
      expect(total(publishers, (p) => p.acked.size), 'no PUBACK while Kafka is down').toBe(ackedDuringOutage);
      // Devices keep reconnecting and publishing; nothing piles up in the broker's memory.
      expect((await platform.rss())! - rssDuringOutage).toBeLessThan(100 * 1024 * 1024);

      await servers.kafka.startBroker(0);
      await waitFor('PUBACKs again after Kafka is back', () => total(publishers, (p) => p.acked.size) >= ackedDuringOutage + 300, 60_000, 100);
      await Promise.all(publishers.map((p) => p.stop({ drain: true })));
      expect(publishers.every((p) => p.settled)).toBe(true);

      for (const [i, d] of devices.entries()) {
        const acked = publishers[i]!.acked;
        const stored = await waitFor(
          `every acknowledged message of ${d.id} in the store`,
          async () => {
            const keys = await api.storedKeys(d.id);
            return [...acked].every((k) => keys.includes(k)) ? keys : null;
          },
          45_000,
          250,
        );
        expect(stored.length, 'each message once in query results').toBe(new Set(stored).size);
      }
    } finally {
      await Promise.all(publishers.map((p) => p.stop()));
    }
  }, 90_000);
});
