import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKafkaLog } from '@parley/log';
import { silentLogger } from '@parley/logger';
import { decodeDownlink, type Downlink } from '@parley/proto';
import { testUplinkBytes, waitFor } from '@parley/testkit';
import { apiClient, startClusterServers, type ClusterServers, type Spawned } from './cluster-testing';

let servers: ClusterServers;
let brokerA: Spawned;
let brokerB: Spawned;
let backend: Spawned;
const clients: MqttClient[] = [];

beforeAll(async () => {
  servers = await startClusterServers({ partitions: 2 });
  brokerA = await servers.spawnRoles('broker-a', 'broker');
  // The API runs without a broker of its own: it sends commands through the brokers' Redis.
  [brokerB, backend] = await Promise.all([servers.spawnRoles('broker-b', 'broker'), servers.spawnRoles('backend', 'ingester,api')]);
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.end(true);
  await servers?.close();
}, 60_000);

/** Connects as the device with a persistent session, collecting downlinks from before the CONNACK on. */
function connect(url: string, device: { id: string; secret: string }): Promise<{ client: MqttClient; downlinks: Downlink[] }> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { clientId: device.id, username: device.id, password: device.secret, protocolVersion: 4, clean: false, reconnectPeriod: 0, connectTimeout: 5000 });
    clients.push(client);
    const downlinks: Downlink[] = [];
    client.on('message', (_topic, payload) => downlinks.push(decodeDownlink(payload)));
    client.once('connect', () => resolve({ client, downlinks }));
    client.once('error', reject);
  });
}

function publish(client: MqttClient, deviceId: string, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => client.publish(`devices/${deviceId}/up`, Buffer.from(bytes), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
}

describe('broker failover (two broker processes sharing Redis, an API process without a broker)', () => {
  it('delivers a command to a device that moved to the other broker, and records its result', async () => {
    const api = apiClient(backend.banner.API!, servers.token);
    const [device] = await api.provision(1);
    const dev = device!;

    const onA = await connect(brokerA.banner.MQTT!, dev);
    await new Promise<void>((resolve, reject) => onA.client.subscribe(`devices/${dev.id}/down`, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    await publish(onA.client, dev.id, testUplinkBytes(dev.id, 1, { bootId: 'failover' }));

    // Broker A dies; the device reconnects to broker B, its session (subscription) restored from Redis.
    await brokerA.kill9();
    await waitFor('the device to notice', () => !onA.client.connected, 10_000);
    onA.client.end(true);
    const onB = await connect(brokerB.banner.MQTT!, dev);
    await publish(onB.client, dev.id, testUplinkBytes(dev.id, 2, { bootId: 'failover' }));

    // An unowned device's command is approved at once and sent through Redis.
    const proposed = await api.call('POST', `/v1/devices/${dev.id}/commands`, { class: 'defrost', kind: 'command', name: 'defrost', reason: 'failover test' });
    expect(proposed.state).toBe('sent');
    const downlink = await waitFor('the command at the device on broker B', () => onB.downlinks.find((d) => d.commandId === proposed.id), 15_000);
    expect(downlink.body).toMatchObject({ kind: 'command', name: 'defrost' });

    // The device answers through broker B; the ingester records the result in the registry.
    await publish(onB.client, dev.id, testUplinkBytes(dev.id, 3, { bootId: 'failover', commandResults: [{ commandId: proposed.id, status: 'succeeded', timeMs: 0, detail: 'defrosted' }] }));
    await waitFor(
      'the command acked',
      async () => (await api.call('GET', `/v1/devices/${dev.id}/commands`)).commands.find((c: { id: string; state: string }) => c.id === proposed.id)?.state === 'acked',
      30_000,
      250,
    );
    const stored = await waitFor('uplinks through both brokers stored', async () => {
      const keys = await api.storedKeys(dev.id);
      return keys.length >= 3 ? keys : null;
    }, 30_000, 250);
    expect(stored).toEqual(['failover/1', 'failover/2', 'failover/3']);

    // A payload the platform rejects lands in the store's dead letters and on the dead-letter topic.
    await publish(onB.client, dev.id, Buffer.from([0xff, 0xff, 0xff]));
    const dlq = await openKafkaLog({ brokers: servers.kafka.bootstrapServers, topic: 'parley.test.dead-letters', partitions: 4, clientId: 'failover-test', log: silentLogger() });
    try {
      let seen: { key: string; verdict: string | undefined } | undefined;
      const consumer = await dlq.consume({
        group: `inspect-${Date.now()}`,
        maxBatchRecords: 100,
        maxBatchWaitMs: 50,
        handler: async (b) => {
          const r = b.records.find((x) => x.key === dev.id);
          if (r) seen = { key: r.key, verdict: r.headers['verdict'] };
        },
      });
      try {
        await waitFor('the rejected payload on the dead-letter topic', () => seen, 30_000, 250);
      } finally {
        await consumer.stop();
      }
      // The broker judged it (a reject reason in the verdict header) and logged it; the ingester passed it on.
      expect(seen?.key).toBe(dev.id);
      expect(seen?.verdict).toMatch(/^[a-z_]+$/);
      expect(seen?.verdict).not.toBe('ok');
    } finally {
      await dlq.close();
    }
  }, 120_000);
});
