import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verifySignature } from '@parley/delivery';
import { encodeUplink, uplinkTopic } from '@parley/proto';
import { connectDevice, publishAndWait, testUplink, waitFor, type DeviceConnection } from '@parley/testkit';
import { startTestPlatform, type TestPlatform } from './testing';

// Owner-directed push through the whole embedded platform: a real device publishing over MQTT, the
// API, the delivery role in-process, and a real HTTP receiver. Delivery internals (retries, MQTT
// destinations, the SSRF guard) are tested in @parley/delivery; this is the wiring and the owner's view.

let p: TestPlatform;
let device: { id: string; secret: string; claimCode: string };
let conn: DeviceConnection;
let seq = 0;
let alice: { token: string; accountId: string };
let bob: { token: string; accountId: string };

const rx: { got: { body: string; signature: string }[]; answer: number; app?: FastifyInstance; url: string } = { got: [], answer: 200, url: '' };
const records = () => rx.got.flatMap((g) => JSON.parse(g.body).records as { seq: number; samples: { metric: string }[]; events: { code: string }[] }[]);

async function signUp(name: string) {
  const res = await p.request('POST', '/v1/accounts', { token: null, body: { kind: 'owner', displayName: name } });
  return { token: res.body.token.token as string, accountId: res.body.account.id as string };
}

async function send(n: number, events: string[] = []): Promise<void> {
  for (let i = 0; i < n; i++) {
    seq++;
    const now = Date.now();
    const u = testUplink(device.id, seq, {
      samples: [
        { metric: 'power_w', value: seq, timeMs: now },
        { metric: 'temp_c', value: 4, timeMs: now },
      ],
      events: events.map((code) => ({ code, severity: 'info', timeMs: now, message: code, attributes: {} })),
      deviceTimeMs: now,
    });
    await publishAndWait(conn.client, uplinkTopic(device.id), encodeUplink(u));
  }
}

beforeAll(async () => {
  p = await startTestPlatform({ config: { deliveryAllowInsecureTargets: true, deliveryRetryBaseMs: 20, deliveryRetryMaxMs: 100 } });
  rx.app = Fastify();
  rx.app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  rx.app.post('/hook', async (req, reply) => {
    if (rx.answer === 200) rx.got.push({ body: req.body as string, signature: req.headers[SIGNATURE_HEADER] as string });
    return reply.status(rx.answer).send();
  });
  await rx.app.listen({ port: 0, host: '127.0.0.1' });
  rx.url = `http://127.0.0.1:${(rx.app.server.address() as { port: number }).port}/hook`;
  const res = await p.request('POST', '/v1/devices', { body: { model: 'fridge-x1', firmware: '1.0.0', count: 1 } });
  device = res.body.devices[0];
  conn = await connectDevice(p.mqttUrl, device);
  alice = await signUp('Alice');
  bob = await signUp('Bob');
  expect((await p.request('POST', '/v1/claims', { token: alice.token, body: { deviceId: device.id, claimCode: device.claimCode } })).status).toBe(201);
});

afterAll(async () => {
  await conn?.close();
  await p?.destroy();
  await rx.app?.close();
});

describe('pushing a device’s data to a webhook', () => {
  let destinationId: string;
  let secret: string;

  it('creates a destination with a one-time secret and a consent receipt; it shows on the timeline', async () => {
    const bad = await p.request('POST', `/v1/devices/${device.id}/destinations`, { token: alice.token, body: { kind: 'mqtt', name: 'Broker', url: 'mqtt://127.0.0.1:1' } });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'invalid_topic' } } });
    const res = await p.request('POST', `/v1/devices/${device.id}/destinations`, {
      token: alice.token,
      body: { kind: 'webhook', name: 'Home server', url: rx.url, metrics: ['power_w'], events: ['door_open'] },
    });
    expect(res.status).toBe(201);
    ({ secret } = res.body);
    destinationId = res.body.destination.id;
    expect(secret).toMatch(/^whsec_/);
    expect(res.body.destination).toMatchObject({ status: 'active', kind: 'webhook', metrics: ['power_w'], delivery: { pending: 0, lagSeconds: 0 } });
    const receipt = await p.request('GET', `/v1/receipts/${res.body.receipt.id}`, { token: alice.token });
    expect(receipt.body.body).toMatchObject({ version: 'KI-CR-v1.1.0', parley: { destinationId, host: '127.0.0.1:' + new URL(rx.url).port } });
    const listed = await p.request('GET', `/v1/devices/${device.id}/destinations`, { token: alice.token });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const conv = await p.request('GET', `/v1/devices/${device.id}/conversation?order=asc&limit=100`, { token: alice.token });
    expect(conv.body.items.filter((i: { kind: string }) => i.kind === 'relationship').map((i: { type: string }) => i.type)).toContain('destination_created');
  });

  it('delivers what the device says, signed and scoped; the owner sees the delivery and the access log says where', async () => {
    await send(2, ['door_open', 'compressor_fault']);
    await waitFor('two records at the receiver', () => records().length >= 2);
    expect(rx.got.every((g) => verifySignature(secret, g.body, g.signature))).toBe(true);
    expect(records().map((r) => [r.seq, r.samples.map((s) => s.metric), r.events.map((e) => e.code)])).toEqual([
      [1, ['power_w'], ['door_open']],
      [2, ['power_w'], ['door_open']],
    ]);
    const d = await waitFor('settled', async () => {
      const res = await p.request('GET', `/v1/destinations/${destinationId}`, { token: alice.token });
      return res.body.delivery.delivered === 2 ? res.body : null;
    });
    expect(d.delivery).toMatchObject({ pending: 0, dead: 0, failedAttempts: 0 });
    const log = await p.request('GET', `/v1/devices/${device.id}/access-log`, { token: alice.token });
    expect(log.body.entries).toContainEqual(expect.objectContaining({ kind: 'destination', purpose: 'sent to Home server', records: 2, accountId: destinationId }));
    const metrics = await p.request('GET', '/metrics');
    expect(metrics.body).toMatch(/parley_delivery_sent_records_total \d+/);
    expect(metrics.body).toContain('parley_log_consumer_lag_records{group="delivery"}');
  });

  it('shows refusals as dead letters the owner can read and replay', async () => {
    rx.answer = 422;
    await send(1);
    const dead = await waitFor('a dead letter', async () => {
      const res = await p.request('GET', `/v1/destinations/${destinationId}/dead-letters`, { token: alice.token });
      return res.body.items?.length === 1 ? res.body.items : null;
    });
    expect(dead[0]).toMatchObject({ attempts: 1, lastError: 'HTTP 422', message: { seq: 3 } });
    const d = await p.request('GET', `/v1/destinations/${destinationId}`, { token: alice.token });
    expect(d.body.delivery).toMatchObject({ dead: 1, lastError: 'HTTP 422', failedAttempts: 1 });
    rx.answer = 200;
    expect(await p.request('POST', `/v1/destinations/${destinationId}/replay`, { token: bob.token, body: {} })).toMatchObject({ status: 404 });
    expect(await p.request('POST', `/v1/destinations/${destinationId}/replay`, { token: alice.token, body: { ids: ['x'] } })).toMatchObject({ status: 400, body: { error: { code: 'invalid_request' } } });
    expect(await p.request('POST', `/v1/destinations/${destinationId}/replay`, { token: alice.token, body: {} })).toMatchObject({ status: 200, body: { replayed: 1 } });
    await waitFor('the replayed record delivered', () => records().some((r) => r.seq === 3));
  });

  it("ends at the transfer: the next owner's data is not sent, and the previous owner can no longer change it", async () => {
    const transfer = await p.request('POST', `/v1/devices/${device.id}/transfer`, { token: alice.token, body: {} });
    expect((await p.request('POST', '/v1/claims', { token: bob.token, body: { deviceId: device.id, transferCode: transfer.body.transferCode } })).status).toBe(201);
    const before = records().length;
    await send(2);
    expect(await p.drain(10_000)).toBe(true);
    const after = await p.request('GET', `/v1/destinations/${destinationId}`, { token: alice.token });
    expect(after.body).toMatchObject({ status: 'ended', endReason: 'period_ended', delivery: { pending: 0 } });
    expect(await p.request('DELETE', `/v1/destinations/${destinationId}`, { token: alice.token })).toMatchObject({ status: 404, body: { error: { code: 'destination_not_found' } } });
    expect(await p.request('GET', `/v1/destinations/${destinationId}`, { token: bob.token })).toMatchObject({ status: 404 });
    // Bob's own destination gets his data; Alice's got nothing more (Bob's records were fanned out by then).
    const mine = await p.request('POST', `/v1/devices/${device.id}/destinations`, { token: bob.token, body: { kind: 'webhook', name: 'Bob hook', url: rx.url, metrics: ['*'] } });
    expect(mine.status).toBe(201);
    await send(1);
    await waitFor("Bob's record delivered", async () => (await p.request('GET', `/v1/destinations/${mine.body.destination.id}`, { token: bob.token })).body.delivery.delivered === 1);
    expect(rx.got.slice(-1).map((g) => JSON.parse(g.body).destinationId)).toEqual([mine.body.destination.id]);
    expect(records().length).toBe(before + 1);
    const bobsView = await p.request('GET', `/v1/devices/${device.id}/conversation?order=asc&limit=100`, { token: bob.token });
    const bobsEntries = bobsView.body.items.filter((i: { kind: string }) => i.kind === 'relationship').map((i: { subjectId: string }) => i.subjectId);
    expect(bobsEntries).not.toContain(destinationId);
  });
});
