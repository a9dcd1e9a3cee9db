import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openFileLog, type TelemetryLog } from '@parley/log';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type ProvisionedDevice, type Registry } from '@parley/registry';
import { publishAndWait, tempDir, testUplinkBytes, waitFor } from '@parley/testkit';
import { CONNACK, createBroker, type Broker } from './index';
import { findLogRecord } from './log-testing';
import { deleteKeys, requireRedis, TEST_REDIS_URL, watchChannels } from './redis-testing';

const logger = silentLogger();
// Keys and channels of this file only: test files run in parallel against one Redis.
const keyPrefix = `parley-test-${process.pid}-${randomBytes(4).toString('hex')}:`;
let dir: string;
let registry: Registry;
let log: TelemetryLog;
let brokerA: Broker;
let brokerB: Broker;
let urlA: string;
let urlB: string;
let devD: ProvisionedDevice;
let devE: ProvisionedDevice;
const open: MqttClient[] = [];

interface Device {
  client: MqttClient;
  /** Payloads received, as text, in arrival order (collected from before the CONNACK on). */
  received: string[];
  returnCode: number;
}

/**
 * Connects like a device, collecting messages from the start: queued offline messages can arrive in
 * the same read as the CONNACK, before a listener added after `connect` would see them.
 */
function connect(url: string, dev: { id: string; secret: string }, extra: IClientOptions = {}): Promise<Device> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { clientId: dev.id, username: dev.id, password: dev.secret, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...extra });
    open.push(client);
    const received: string[] = [];
    client.on('message', (_topic, payload) => received.push(payload.toString()));
    client.once('connect', () => resolve({ client, received, returnCode: 0 }));
    client.once('error', (err: Error & { code?: number }) => (typeof err.code === 'number' ? resolve({ client, received, returnCode: err.code }) : reject(err)));
  });
}

const end = (client: MqttClient) => new Promise<void>((r) => client.end(false, {}, () => r()));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const down = (id: string) => `devices/${id}/down`;

function clusterBroker(redisUrl = TEST_REDIS_URL): Promise<Broker> {
  return createBroker({ log, devices: registry, logger, limits: { connectsPerMinute: 600, connectBurst: 100 }, cluster: { redisUrl, keyPrefix } });
}

/** A TCP relay to Redis that a test can cut and restore, to take Redis away from one broker only. */
async function redisRelay(): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const target = new URL(TEST_REDIS_URL);
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const start = async () => {
    server = createServer((inbound) => {
      const outbound = tcpConnect({ host: target.hostname, port: Number(target.port || 6379) });
      for (const s of [inbound, outbound]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          sockets.delete(s);
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound).pipe(inbound);
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  };
  const cut = async () => {
    const closed = new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    for (const s of sockets) s.destroy();
    await closed;
    server = undefined;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, cut, restore: start, close: cut };
}

beforeAll(async () => {
  await requireRedis();
  dir = await tempDir('parley-broker-cluster-');
  registry = await openEmbeddedRegistry({ log: logger });
  [devD, devE] = (await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 2 })) as [ProvisionedDevice, ProvisionedDevice];
  log = await openFileLog({ dir: join(dir, 'log'), log: logger });
  brokerA = await clusterBroker();
  brokerB = await clusterBroker();
  urlA = `mqtt://127.0.0.1:${await brokerA.listen(0, '127.0.0.1')}`;
  urlB = `mqtt://127.0.0.1:${await brokerB.listen(0, '127.0.0.1')}`;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => new Promise<void>((r) => c.end(true, {}, () => r()))));
  // Each test starts with no connection left on either broker (the client side closes first).
  await waitFor('both brokers to let go of every connection', () => brokerA.stats().connected + brokerB.stats().connected === 0, 5000);
});

afterAll(async () => {
  await brokerA?.close();
  await brokerB?.close();
  await log?.close();
  await registry?.close();
  await deleteKeys(keyPrefix).catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('brokers sharing state through Redis', () => {
  it('routes a downlink published through broker A to the device connected to broker B, and to no other device', async () => {
    const d = await connect(urlB, devD);
    const e = await connect(urlA, devE);
    await d.client.subscribeAsync(down(devD.id), { qos: 1 });
    await e.client.subscribeAsync(down(devE.id), { qos: 1 });

    await brokerA.publishDownlink(devD.id, Buffer.from('cmd-1'));
    await waitFor('the downlink at D on broker B', () => d.received.length > 0, 5000);
    await pause(200);
    expect(d.received).toEqual(['cmd-1']);
    expect(e.received).toEqual([]);
  });

  it('delivers a QoS 1 downlink queued while the device was offline when it reconnects to the other broker, once', async () => {
    const session = { clean: false };
    const first = await connect(urlB, devD, session);
    await first.client.subscribeAsync(down(devD.id), { qos: 1 });
    await end(first.client);
    await waitFor('broker B to see D go', () => brokerB.stats().connected === 0, 5000);

    await brokerA.publishDownlink(devD.id, Buffer.from('cmd-while-offline'));

    const again = await connect(urlA, devD, session);
    await waitFor('the queued downlink at D on broker A', () => again.received.length > 0, 5000);
    await pause(200);
    expect(again.received).toEqual(['cmd-while-offline']);
    // Acknowledged on A, so removed from the shared session: B has nothing left to send.
    await end(again.client);
    const third = await connect(urlB, devD, session);
    await pause(300);
    expect(third.received).toEqual([]);
    // Leave no persistent session behind for the other tests.
    await end(third.client);
    await end((await connect(urlA, devD, { clean: true })).client);
  });

  it('closes the older connection when a device connects to another broker with the same id', async () => {
    const onA = await connect(urlA, devD);
    const closed = new Promise<void>((r) => onA.client.once('close', () => r()));
    await connect(urlB, devD);
    await closed;
    await waitFor('broker A to drop the old connection', () => brokerA.stats().connected === 0, 5000);
  });

  it('applies the same device authentication and topic ACL on every broker', async () => {
    for (const url of [urlA, urlB]) {
      expect((await connect(url, { id: devD.id, secret: 'not-the-secret' })).returnCode).toBe(CONNACK.BAD_CREDENTIALS);
      expect((await connect(url, { ...devD, id: devD.id }, { clientId: devE.id })).returnCode).toBe(CONNACK.IDENTIFIER_REJECTED);
      const { client } = await connect(url, devD);
      const granted = async (topic: string) =>
        client.subscribeAsync(topic, { qos: 1 }).then(
          (g) => g[0]!.qos,
          (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0],
        );
      expect([await granted(down(devD.id)), await granted(down(devE.id)), await granted('#')]).toEqual([1, 128, 128]);
      await end(client);
    }
  });

  it('acknowledges an uplink once it is in the log, without sending it through Redis', async () => {
    // Uplinks have no MQTT subscribers (the log is their consumer), so they stay in the broker.
    const watch = await watchChannels(`${keyPrefix}devices/*`);
    try {
      const d = await connect(urlB, devD);
      await d.client.subscribeAsync(down(devD.id), { qos: 1 });
      await publishAndWait(d.client, `devices/${devD.id}/up`, testUplinkBytes(devD.id, 77));
      expect(await findLogRecord(log, (r) => r.deviceId === devD.id && r.verdict === 'ok')).toMatchObject({ topic: `devices/${devD.id}/up` });
      await brokerA.publishDownlink(devD.id, Buffer.from('after-uplink'));
      await waitFor('the downlink at D', () => d.received.length > 0, 5000);
      await waitFor('the downlink on the Redis channel', () => watch.seen().includes(`${keyPrefix}${down(devD.id)}`), 5000);
      expect(watch.seen()).not.toContain(`${keyPrefix}devices/${devD.id}/up`);
    } finally {
      watch.close();
    }
  });
});

describe('a broker that loses Redis', () => {
  it('keeps acknowledging uplinks while Redis is away, and routes downlinks again once it is back', async () => {
    const relay = await redisRelay();
    const brokerC = await clusterBroker(relay.url);
    try {
      const urlC = `mqtt://127.0.0.1:${await brokerC.listen(0, '127.0.0.1')}`;
      const d = await connect(urlC, devD);
      await d.client.subscribeAsync(down(devD.id), { qos: 1 });
      await relay.cut();

      // Telemetry intake depends on the log only: every uplink is acknowledged without Redis.
      for (let seq = 1; seq <= 3; seq++) await publishAndWait(d.client, `devices/${devD.id}/up`, testUplinkBytes(devD.id, 1000 + seq));
      expect(d.client.connected).toBe(true);

      await relay.restore();
      // Broker C resubscribes when its connection is back; until then a downlink through A is not seen by C.
      await waitFor(
        'a downlink through broker A to reach D on broker C again',
        async () => {
          await brokerA.publishDownlink(devD.id, Buffer.from('back'));
          await pause(200);
          return d.received.includes('back');
        },
        15_000,
        0,
      );
    } finally {
      await brokerC.close();
      await relay.close();
    }
  });
});

describe('cluster mode startup', () => {
  it('fails with broker_redis_unavailable naming the URL without its password when Redis does not answer', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));

    const started = Date.now();
    const err = await createBroker({ log, devices: registry, logger, cluster: { redisUrl: `redis://:s3cret-pw@127.0.0.1:${port}/0`, keyPrefix } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'broker_redis_unavailable', retryable: true });
    expect((err as Error).message).toContain(`redis://127.0.0.1:${port}/0`);
    expect((err as Error).message).toMatch(/Start Redis/);
    expect((err as Error).message).not.toContain('s3cret-pw');
    expect(Date.now() - started).toBeLessThan(3000); // a refused connection fails at once, not after the timeout
  });

  it('refuses a key prefix that would act as a Redis pattern', async () => {
    await expect(createBroker({ log, devices: registry, logger, cluster: { redisUrl: TEST_REDIS_URL, keyPrefix: 'fleet*' } })).rejects.toMatchObject({
      code: 'broker_redis_prefix_invalid',
    });
  });
});
