import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openFileLog, type TelemetryLog } from '@parley/log';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type ProvisionedDevice, type Registry } from '@parley/registry';
import { connectDevice, publishAndWait, testUplinkBytes as uplink, waitFor, type DeviceConnection } from '@parley/testkit';
import { CONNACK, createBroker, type Broker } from './index';
import { findLogRecord } from './log-testing';

const logger = silentLogger();
let dir: string;
let registry: Registry;
let log: TelemetryLog;
let broker: Broker;
let url: string;
let devA: ProvisionedDevice;
let devB: ProvisionedDevice;
const open: DeviceConnection[] = [];

async function connect(creds: { id: string; secret: string; clientId?: string }): Promise<DeviceConnection> {
  const c = await connectDevice(url, creds);
  open.push(c);
  return c;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-broker-'));
  registry = await openEmbeddedRegistry({ log: logger });
  [devA, devB] = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 2 }) as [ProvisionedDevice, ProvisionedDevice];
  log = await openFileLog({ dir: join(dir, 'log'), log: logger });
  broker = await createBroker({ log, devices: registry, logger, limits: { maxPayloadBytes: 1024, connectsPerMinute: 600, connectBurst: 100 } });
  url = `mqtt://127.0.0.1:${await broker.listen(0, '127.0.0.1')}`;
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  await broker?.close();
  await log?.close();
  await registry?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('broker authentication', () => {
  it('accepts a device with its own id and secret', async () => {
    expect((await connect(devA)).returnCode).toBe(0);
  });

  it('refuses a wrong secret with CONNACK 4 (bad username or password)', async () => {
    expect((await connect({ id: devA.id, secret: 'not-the-secret' })).returnCode).toBe(CONNACK.BAD_CREDENTIALS);
  });

  it('refuses an unknown device with CONNACK 4', async () => {
    expect((await connect({ id: 'no-such-device', secret: devA.secret })).returnCode).toBe(CONNACK.BAD_CREDENTIALS);
  });

  it("refuses a client id other than the device's own with CONNACK 2 (identifier rejected)", async () => {
    expect((await connect({ ...devA, clientId: devB.id })).returnCode).toBe(CONNACK.IDENTIFIER_REJECTED);
  });

  it('refuses a disabled device', async () => {
    const [dev] = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 });
    await registry.disableDevice(dev!.id);
    expect((await connect(dev!)).returnCode).toBe(CONNACK.BAD_CREDENTIALS);
  });

  it('rate-limits connection attempts per device with CONNACK 3 (server unavailable)', async () => {
    const limitedLog = log;
    const strict = await createBroker({ log: limitedLog, devices: registry, logger, limits: { connectsPerMinute: 2, connectBurst: 2 } });
    const strictUrl = `mqtt://127.0.0.1:${await strict.listen(0, '127.0.0.1')}`;
    try {
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const c = await connectDevice(strictUrl, devB);
        codes.push(c.returnCode);
        await c.close();
      }
      expect(codes).toEqual([0, 0, CONNACK.SERVER_UNAVAILABLE]);
      expect(strict.stats().rateLimited).toBe(1);
    } finally {
      await strict.close();
    }
  });
});

describe('broker topic ACL', () => {
  it("grants a subscription to the device's own downlink topic and refuses #, another device's topic and $SYS", async () => {
    const { client } = await connect(devA);
    const outcome = (topic: string) =>
      client.subscribeAsync(topic, { qos: 1 }).then(
        (granted) => granted[0]!.qos,
        (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0],
      );
    const codes = [];
    for (const t of [`devices/${devA.id}/down`, '#', `devices/${devB.id}/down`, '$SYS/#', `devices/${devA.id}/up`]) codes.push(await outcome(t));
    expect(codes).toEqual([1, 128, 128, 128, 128]);
    expect(client.connected).toBe(true); // refusing a filter does not cost the device its connection
  });

  it("records a publish to another device's topic as a dead letter and drops the connection without PUBACK", async () => {
    const { client } = await connect(devA);
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    const acked = publishAndWait(client, `devices/${devB.id}/up`, uplink(devB.id, 1)).then(
      () => 'acked',
      () => 'not acked',
    );
    await closed;
    expect(await Promise.race([acked, new Promise((r) => setTimeout(() => r('not acked'), 200))])).toBe('not acked');
    const denied = await findLogRecord(log, (r) => r.topic === `devices/${devB.id}/up`);
    expect(denied).toMatchObject({ deviceId: devA.id, verdict: 'topic_not_allowed' });
  });

  it('delivers a downlink to the subscribed device only', async () => {
    const a = await connect(devA);
    const b = await connect(devB);
    await a.client.subscribeAsync(`devices/${devA.id}/down`, { qos: 1 });
    await b.client.subscribeAsync(`devices/${devB.id}/down`, { qos: 1 });
    const gotA = new Promise<Buffer>((r) => a.client.once('message', (_t, p) => r(p)));
    let bGot = 0;
    b.client.on('message', () => bGot++);
    await broker.publishDownlink(devA.id, Buffer.from('cmd'));
    expect((await gotA).toString()).toBe('cmd');
    expect(bGot).toBe(0);
  });
});

describe('broker durability and payload checks', () => {
  it('sends the PUBACK only after the log append has completed', async () => {
    // A real file log behind a gate: the append cannot finish until the test opens the gate.
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let appendCalled = false;
    let appendDone = false;
    const gated: TelemetryLog = {
      ...log,
      append: async (records) => {
        appendCalled = true;
        await gate;
        const r = await log.append(records);
        appendDone = true;
        return r;
      },
      consume: (o) => log.consume(o),
      lag: (g) => log.lag(g),
      close: async () => {},
    };
    const b = await createBroker({ log: gated, devices: registry, logger });
    const u = `mqtt://127.0.0.1:${await b.listen(0, '127.0.0.1')}`;
    const dev = await connectDevice(u, devA);
    try {
      let acked = false;
      const ack = publishAndWait(dev.client, `devices/${devA.id}/up`, uplink(devA.id, 7)).then(() => {
        acked = true;
        return appendDone;
      });
      await waitFor('the append to start', () => appendCalled, 5000);
      await new Promise((r) => setTimeout(r, 100));
      expect(acked).toBe(false);
      release();
      expect(await ack).toBe(true); // when the PUBACK arrived, the append had completed
    } finally {
      await dev.close();
      await b.close();
    }
  });

  it('acknowledges an oversize payload only once it is recorded as a dead letter, cut to the limit', async () => {
    const { client } = await connect(devA);
    const big = Buffer.alloc(5000, 7);
    await publishAndWait(client, `devices/${devA.id}/up`, big);
    const rec = await findLogRecord(log, (r) => r.verdict === 'payload_too_large');
    expect(rec!.payload.length).toBe(1024);
    expect(rec!.detail).toContain('5000 bytes');
  });

  it('records an envelope whose device id is not the authenticated one as device_id_mismatch', async () => {
    const { client } = await connect(devA);
    await publishAndWait(client, `devices/${devA.id}/up`, uplink(devB.id, 1));
    const rec = await findLogRecord(log, (r) => r.verdict === 'device_id_mismatch');
    expect(rec).toMatchObject({ deviceId: devA.id });
  });

  it('accepts a valid uplink with verdict ok and the broker receive time', async () => {
    const before = Date.now();
    const { client } = await connect(devA);
    await publishAndWait(client, `devices/${devA.id}/up`, uplink(devA.id, 42));
    const rec = await findLogRecord(log, (r) => r.verdict === 'ok' && r.receivedAtMs >= before);
    expect(rec).toMatchObject({ deviceId: devA.id, topic: `devices/${devA.id}/up` });
    expect(rec!.receivedAtMs).toBeGreaterThanOrEqual(before);
  });
});
