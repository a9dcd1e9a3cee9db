import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import Fastify, { type FastifyInstance } from 'fastify';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { openFileLog, toUplinkRecord, type TelemetryLog } from '@parley/log';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type NewDestination, type Registry } from '@parley/registry';
import { tempDir, testUplinkBytes, waitFor } from '@parley/testkit';
import { SIGNATURE_HEADER, startDelivery, verifySignature, type DeliveryOptions } from './index';

// Delivery end to end on real parts: the file log, the registry (PGlite), a Fastify receiver on a
// real port and an Aedes broker. No mocks; every wait polls with a deadline.

const logger = silentLogger();
let dir: string;
let log: TelemetryLog;
let registry: Registry;
let groups = 0;

beforeAll(async () => {
  dir = await tempDir('parley-delivery-');
  log = await openFileLog({ dir: join(dir, 'log'), log: logger });
  registry = await openEmbeddedRegistry({ log: logger });
});

afterAll(async () => {
  await log?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A delivery with fast retries in its own consumer group, stopped when the test ends. */
async function deliver(options: Partial<DeliveryOptions> = {}) {
  const d = await startDelivery({
    log,
    registry,
    logger,
    group: `delivery-test-${++groups}`,
    allowInsecureTargets: true,
    retryBaseMs: 20,
    retryMaxMs: 100,
    maxAttempts: 1000,
    pollMs: 20,
    maxBatchWaitMs: 5,
    timeoutMs: 10_000,
    ...options,
  });
  onTestFinished(() => d.stop());
  return d;
}

/** A device owned by a fresh household. */
async function ownedDevice() {
  const [device] = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 });
  const { account } = await registry.accounts.create({ kind: 'owner', role: 'owner', createdBy: 'test' });
  const period = await registry.ownership.claim({ deviceId: device!.id, ownerId: account.ownerId!, actorId: account.id, claimCode: device!.claimCode });
  return { device: device!, account, period };
}

/** Appends uplinks as the broker would: power_w = seq, temp_c, and the given events. */
async function publish(deviceId: string, seqs: number[], events: string[] = []) {
  const now = Date.now();
  await log.append(
    seqs.map((seq) =>
      toUplinkRecord(
        { deviceId, topic: `devices/${deviceId}/up`, receivedAtMs: Date.now(), verdict: 'ok', detail: '' },
        Buffer.from(
          testUplinkBytes(deviceId, seq, {
            samples: [
              { metric: 'power_w', value: seq, timeMs: now },
              { metric: 'temp_c', value: 4, timeMs: now },
            ],
            events: events.map((code) => ({ code, severity: 'info', timeMs: now, message: code, attributes: {} })),
          }),
        ),
      ),
    ),
  );
}

interface Received {
  body: string;
  signature: string | undefined;
  json: { destinationId: string; deviceId: string; records: { id: string; seq: number; position: string; samples: { metric: string; value: number }[]; events: { code: string }[] }[] };
}

/** A real HTTP receiver: records every request; `answer` decides the status (or hangs with 0). */
async function receiver() {
  const got: Received[] = [];
  let answer = 200;
  let app: FastifyInstance | null = null;
  let port = 0;
  const start = async () => {
    app = Fastify();
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
    app.post('/hook', async (req, reply) => {
      if (answer === 0) return new Promise(() => undefined); // never answers
      if (answer === 200) got.push({ body: req.body as string, signature: req.headers[SIGNATURE_HEADER] as string | undefined, json: JSON.parse(req.body as string) });
      return reply.status(answer).send();
    });
    await app.listen({ port, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  };
  await start();
  const r = {
    got,
    url: () => `http://127.0.0.1:${port}/hook`,
    answer: (status: number) => (answer = status),
    records: () => got.flatMap((g) => g.json.records),
    down: async () => {
      await app?.close();
      app = null;
    },
    up: start,
  };
  onTestFinished(async () => {
    r.answer(200);
    await app?.close();
  });
  return r;
}

const webhook = (periodId: string, url: string, extra: Partial<NewDestination> = {}): NewDestination => ({
  periodId,
  kind: 'webhook',
  name: 'Home server',
  url,
  metrics: ['power_w'],
  events: ['door_open'],
  createdBy: 'test',
  ...extra,
});

const seqs = (records: { seq: number }[]) => records.map((r) => r.seq);

describe('webhook delivery', () => {
  it('signs every request with the destination secret and sends only the chosen metrics and events', async () => {
    const { device, period } = await ownedDevice();
    const rx = await receiver();
    const { destination, secret } = await registry.destinations.create(webhook(period.id, rx.url()));
    await deliver();
    await publish(device.id, [1], ['door_open', 'compressor_fault']);
    await publish(device.id, [2]);
    await waitFor('two records delivered', () => rx.records().length >= 2);
    const [first] = rx.got;
    expect(verifySignature(secret!, first!.body, first!.signature)).toBe(true);
    expect(verifySignature(secret!, first!.body.replace('"seq":1', '"seq":9'), first!.signature)).toBe(false);
    expect(verifySignature('whsec_someone_else', first!.body, first!.signature)).toBe(false);
    expect(first!.json).toMatchObject({ destinationId: destination.id, deviceId: device.id });
    const [r1, r2] = rx.records();
    expect(r1).toMatchObject({ seq: 1, samples: [{ metric: 'power_w', value: 1 }], events: [{ code: 'door_open' }], position: expect.stringMatching(/^p0:\d+$/) });
    expect(r2).toMatchObject({ seq: 2, samples: [{ metric: 'power_w', value: 2 }], events: [] });
    expect(JSON.stringify(rx.records())).not.toMatch(/temp_c|compressor_fault/);
    await waitFor('the delivery in the access log', async () => (await registry.accessLog.list({ deviceId: device.id, limit: 5 })).entries.find((e) => e.records === 2));
  });

  it('sends nothing for an uplink with nothing in scope', async () => {
    const { device, period } = await ownedDevice();
    const rx = await receiver();
    const { destination } = await registry.destinations.create(webhook(period.id, rx.url(), { metrics: [], events: ['door_open'] }));
    const d = await deliver();
    await publish(device.id, [1, 2]);
    await publish(device.id, [3], ['door_open']);
    await waitFor('the event delivered', () => rx.records().length >= 1);
    await waitFor('the log read', () => d.stats().uplinks >= 3);
    // The receiver has the record before the dispatcher, on the answer, marks it delivered.
    await waitFor('the delivery recorded', async () => (await registry.destinations.get(destination.id))!.delivery.delivered >= 1);
    expect(seqs(rx.records())).toEqual([3]);
    expect((await registry.destinations.get(destination.id))!.delivery).toMatchObject({ pending: 0, delivered: 1 });
  });

  it('retries while the receiver is down, then delivers everything once, in order, per device', async () => {
    const a = await ownedDevice();
    const b = await ownedDevice();
    const rx = await receiver();
    const da = await registry.destinations.create(webhook(a.period.id, rx.url(), { metrics: ['*'] }));
    const db = await registry.destinations.create(webhook(b.period.id, rx.url(), { metrics: ['*'] }));
    await rx.down();
    await deliver({ batchRecords: 7 });
    const n = 30;
    for (let i = 1; i <= n; i += 3) {
      await publish(a.device.id, [i, i + 1, i + 2]);
      await publish(b.device.id, [i, i + 1, i + 2]);
    }
    await waitFor('every record queued and failed attempts on both destinations', async () => {
      const [x, y] = await Promise.all([registry.destinations.get(da.destination.id), registry.destinations.get(db.destination.id)]);
      return [x!, y!].every((d) => d.delivery.failedAttempts >= 2 && d.delivery.pending === n);
    });
    const failing = (await registry.destinations.get(da.destination.id))!.delivery;
    expect(failing.lastError).toMatch(/ECONNREFUSED/);
    expect(failing).toMatchObject({ dead: 0, delivered: 0 });
    await rx.up();
    await waitFor('every record at the receiver', () => rx.records().length >= 2 * n, 30_000);
    // At least once: a batch whose answer was lost may come twice; receivers de-duplicate by id.
    const of = (deviceId: string) => rx.got.filter((g) => g.json.deviceId === deviceId).flatMap((g) => g.json.records).filter((r, i, all) => all.findIndex((x) => x.id === r.id) === i);
    const all = Array.from({ length: n }, (_, i) => i + 1);
    expect(seqs(of(a.device.id))).toEqual(all);
    expect(seqs(of(b.device.id))).toEqual(all);
    // The receiver has everything; the last batch's settlement may still be on its way.
    await waitFor('the queue settled', async () => (await registry.destinations.get(da.destination.id))!.delivery.delivered === n);
    expect((await registry.destinations.get(da.destination.id))!.delivery).toMatchObject({ pending: 0, dead: 0 });
  });

  it('a receiver that never answers holds back only its own queue, not the log or other destinations', async () => {
    const slow = await ownedDevice();
    const fast = await ownedDevice();
    const hung = await receiver();
    const ok = await receiver();
    hung.answer(0);
    const stuck = await registry.destinations.create(webhook(slow.period.id, hung.url()));
    await registry.destinations.create(webhook(fast.period.id, ok.url()));
    const group = `delivery-test-${groups + 1}`;
    await deliver({ timeoutMs: 60_000 });
    await publish(slow.device.id, [1, 2, 3]);
    await publish(fast.device.id, [1, 2, 3]);
    await waitFor('the healthy destination served', () => ok.records().length >= 3);
    // The group's offset moved past every record: they wait in the stuck destination's queue.
    await waitFor('the log consumed', async () => (await log.lag(group)).lag === 0n);
    expect((await registry.destinations.get(stuck.destination.id))!.delivery).toMatchObject({ pending: 3, delivered: 0 });
  });

  it('dead-letters a permanently refused batch and after the last attempt; the owner replays in order', async () => {
    const { device, period } = await ownedDevice();
    const rx = await receiver();
    const { destination } = await registry.destinations.create(webhook(period.id, rx.url()));
    await deliver({ maxAttempts: 2 });
    rx.answer(400);
    await publish(device.id, [1, 2]);
    await waitFor('a permanent refusal dead-lettered at once', async () => (await registry.destinations.get(destination.id))!.delivery.dead === 2);
    expect((await registry.destinations.get(destination.id))!.delivery).toMatchObject({ failedAttempts: 1, lastError: 'HTTP 400' });
    rx.answer(503);
    await publish(device.id, [3]);
    await waitFor('two attempts, then dead', async () => (await registry.destinations.get(destination.id))!.delivery.dead === 3);
    const page = await registry.destinations.deadLetters({ destinationId: destination.id, limit: 10 });
    expect(page.items.map((i) => [i.message['seq'], i.attempts, i.lastError])).toEqual([
      [3, 2, 'HTTP 503'],
      [2, 1, 'HTTP 400'],
      [1, 1, 'HTTP 400'],
    ]);
    rx.answer(200);
    await publish(device.id, [4]);
    await waitFor('the next record delivered', () => rx.records().length >= 1);
    expect(await registry.destinations.replay(destination.id)).toBe(3);
    await waitFor('the replay delivered', () => rx.records().length >= 4);
    expect(seqs(rx.records())).toEqual([4, 1, 2, 3]);
    await waitFor('the replay recorded', async () => (await registry.destinations.get(destination.id))!.delivery.delivered >= 4);
    expect((await registry.destinations.get(destination.id))!.delivery).toMatchObject({ pending: 0, dead: 0, deadLettered: 3, delivered: 4 });
  });

  it("stops at the transfer: the new owner's data never reaches the previous owner's destination", async () => {
    const { device, account, period } = await ownedDevice();
    const old = await receiver();
    const mine = await receiver();
    await registry.destinations.create(webhook(period.id, old.url()));
    await deliver();
    await publish(device.id, [1, 2]);
    await waitFor('the first owner’s records', () => old.records().length >= 2);
    const { code } = await registry.ownership.startTransfer(period.id, account.id);
    const { account: next } = await registry.accounts.create({ kind: 'owner', role: 'owner', createdBy: 'test' });
    const second = await registry.ownership.claim({ deviceId: device.id, ownerId: next.ownerId!, actorId: next.id, transferCode: code });
    await registry.destinations.create(webhook(second.id, mine.url()));
    await publish(device.id, [3, 4]);
    await waitFor('the new owner’s records at their destination', () => mine.records().length >= 2);
    expect(seqs(mine.records())).toEqual([3, 4]);
    expect(seqs(old.records())).toEqual([1, 2]);
  });

  it('refuses to connect to loopback when insecure targets are not allowed, even via a name', async () => {
    const { device, period } = await ownedDevice();
    const rx = await receiver();
    const port = new URL(rx.url()).port;
    const byAddress = await registry.destinations.create(webhook(period.id, `https://127.0.0.1:${port}/hook`));
    const byName = await registry.destinations.create(webhook(period.id, `https://localhost:${port}/hook`, { name: 'By name' }));
    await deliver({ allowInsecureTargets: false });
    await publish(device.id, [1]);
    for (const d of [byAddress, byName]) {
      const dead = await waitFor('the record dead-lettered', async () => ((await registry.destinations.get(d.destination.id))!.delivery.dead === 1 ? registry.destinations.get(d.destination.id) : null));
      expect(dead!.delivery.lastError).toMatch(/not public/);
    }
    expect(rx.got).toEqual([]);
  });
});

describe('MQTT delivery', () => {
  let broker: Aedes;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    broker = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => done(null, username === 'owner' && password?.toString() === 'pw'),
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (broker ? broker.close(() => resolve()) : resolve()));
    await new Promise((resolve) => server?.close(resolve));
  });

  it("publishes each record in order on the owner's topic, QoS 1, only the chosen metrics", async () => {
    const { device, period } = await ownedDevice();
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'owner', password: 'pw' });
    onTestFinished(() => sub.endAsync());
    const got: { seq: number; samples: { metric: string }[] }[] = [];
    sub.on('message', (_topic, payload) => got.push(JSON.parse(payload.toString())));
    await sub.subscribeAsync('home/fridge', { qos: 1 });
    const { destination } = await registry.destinations.create({ ...webhook(period.id, `mqtt://127.0.0.1:${port}`), kind: 'mqtt', topic: 'home/fridge', username: 'owner', password: 'pw' });
    await deliver();
    await publish(device.id, [1, 2, 3, 4, 5]);
    await waitFor('five messages on the topic', () => got.length >= 5);
    expect(seqs(got)).toEqual([1, 2, 3, 4, 5]);
    expect(got.flatMap((m) => m.samples.map((s) => s.metric))).toEqual(Array(5).fill('power_w'));
    await waitFor('all settled', async () => (await registry.destinations.get(destination.id))!.delivery.delivered === 5);
  });

  it('dead-letters at once when the broker refuses the credentials', async () => {
    const { device, period } = await ownedDevice();
    const { destination } = await registry.destinations.create({ ...webhook(period.id, `mqtt://127.0.0.1:${port}`), kind: 'mqtt', topic: 'home/fridge', username: 'owner', password: 'wrong' });
    await deliver();
    await publish(device.id, [1]);
    const d = await waitFor('the record dead-lettered', async () => {
      const x = await registry.destinations.get(destination.id);
      return x!.delivery.dead === 1 ? x : null;
    });
    expect(d.delivery.lastError).toMatch(/MQTT connect: .*(Not authorized|Bad username)/i);
    expect(d.delivery.lastError).not.toContain('wrong');
  });
});
