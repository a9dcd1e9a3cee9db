import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeDownlink, encodeUplink, uplinkTopic } from '@parley/proto';
import { connectDevice, publishAndWait, testUplink, waitFor, type DeviceConnection } from '@parley/testkit';
import { startTestPlatform, type TestPlatform } from './testing';

// The owner's side end to end on the real platform (Aedes, file log, chDB, PGlite, Fastify):
// claiming, periods, transfer, grants, access log, inferences, commands with consent, fleet consent.

let p: TestPlatform;
let device: { id: string; secret: string; claimCode: string };
let conn: DeviceConnection;
let seq = 0;

interface Who {
  token: string;
  accountId: string;
  ownerId?: string;
}

async function signUp(kind: 'owner' | 'grantee', displayName: string): Promise<Who> {
  const res = await p.request('POST', '/v1/accounts', { token: null, body: { kind, displayName } });
  expect(res.status).toBe(201);
  return { token: res.body.token.token, accountId: res.body.account.id, ownerId: res.body.account.ownerId ?? undefined };
}

/** Publishes uplinks (QoS1, PUBACKed) and waits until they are queryable. */
async function send(n: number, metrics: Record<string, number> = { temp_c: 4, power_w: 120 }, events: string[] = []): Promise<void> {
  for (let i = 0; i < n; i++) {
    seq++;
    const now = Date.now();
    const u = testUplink(device.id, seq, {
      samples: Object.entries(metrics).map(([metric, value]) => ({ metric, value: value + seq, timeMs: now })),
      events: events.map((code) => ({ code, severity: 'info', timeMs: now, message: code, attributes: {} })),
      deviceTimeMs: now,
    });
    await publishAndWait(conn.client, uplinkTopic(device.id), encodeUplink(u));
  }
  expect(await p.drain(10_000)).toBe(true);
}

async function conversation(token: string, query = '', justification?: string | null) {
  const res = await p.request('GET', `/v1/devices/${device.id}/conversation?order=asc&limit=1000${query}`, { token, ...(justification !== undefined ? { justification } : {}) });
  return res;
}

const uplinkSeqs = (items: { kind: string; seq?: number }[]) => items.filter((i) => i.kind === 'uplink').map((i) => i.seq);

let alice: Who;
let bob: Who;
let alicePeriod: string;

beforeAll(async () => {
  p = await startTestPlatform({ config: { kAnonymity: 2 } });
  const res = await p.request('POST', '/v1/devices', { body: { model: 'fridge-x1', firmware: '1.0.0', count: 1 } });
  expect(res.status).toBe(201);
  device = res.body.devices[0];
  expect(device.claimCode).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  conn = await connectDevice(p.mqttUrl, device);
  alice = await signUp('owner', 'Alice');
  bob = await signUp('owner', 'Bob');
});

afterAll(async () => {
  await conn?.close();
  await p?.destroy();
});

describe('claiming and the owner view', () => {
  it('an owner sees only what the device said after the claim, plus the claim itself', async () => {
    await send(3); // before anyone owns it: seq 1–3
    const wrong = await p.request('POST', '/v1/claims', { token: alice.token, body: { deviceId: device.id, claimCode: 'AAAA-BBBB-CCCC' } });
    expect(wrong).toMatchObject({ status: 403, body: { error: { code: 'invalid_claim_code' } } });
    const claim = await p.request('POST', '/v1/claims', { token: alice.token, body: { deviceId: device.id, claimCode: device.claimCode.toLowerCase() } });
    expect(claim.status).toBe(201);
    alicePeriod = claim.body.id;
    await send(2); // seq 4–5

    const mine = await conversation(alice.token);
    expect(mine.status).toBe(200);
    expect(mine.body.periodId).toBe(alicePeriod);
    expect(uplinkSeqs(mine.body.items)).toEqual([4, 5]);
    expect(mine.body.items.filter((i: { kind: string }) => i.kind === 'relationship').map((i: { type: string }) => i.type)).toEqual(['claimed']);

    const everything = await conversation(p.token);
    expect(uplinkSeqs(everything.body.items)).toEqual([1, 2, 3, 4, 5]);

    const devices = await p.request('GET', '/v1/my/devices', { token: alice.token });
    expect(devices.body.devices).toMatchObject([{ device: { id: device.id }, owned: true }]);
  });

  it('gives the owner and the manufacturer the very same rows for the owner\'s period', async () => {
    const range = `&from=${Date.now() - 3_600_000}&to=${Date.now() + 3_600_000}`;
    const owner = await conversation(alice.token, range);
    const maker = await conversation(p.token, `${range}&period=${alicePeriod}`, 'support-case:77');
    expect(maker.status).toBe(200);
    expect(maker.body).toEqual(owner.body);
  });

  it('pages the merged conversation with one cursor, without gaps or repeats', async () => {
    const all = (await conversation(alice.token)).body.items.map((i: { id: string }) => i.id);
    const paged: string[] = [];
    let cursor = '';
    for (let i = 0; i < 20; i++) {
      const res = await p.request('GET', `/v1/devices/${device.id}/conversation?order=asc&limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token: alice.token });
      paged.push(...res.body.items.map((x: { id: string }) => x.id));
      if (!res.body.nextCursor) break;
      cursor = res.body.nextCursor;
    }
    expect(paged).toEqual(all);
  });

  it('refuses another owner, and manufacturer reads without a justification', async () => {
    expect((await conversation(bob.token)).status).toBe(404);
    expect((await p.request('POST', '/v1/claims', { token: bob.token, body: { deviceId: device.id, claimCode: device.claimCode } })).status).toBe(403);
    expect((await conversation(p.token, '', null)).body.error.code).toBe('justification_required');
    expect((await conversation(p.token, '', 'curiosity')).body.error.code).toBe('invalid_justification');
  });

  it('logs every read for the owner: who, role, why', async () => {
    await conversation(p.token, '', 'warranty-review');
    const log = await p.request('GET', `/v1/devices/${device.id}/access-log`, { token: alice.token });
    expect(log.status).toBe(200);
    const entry = log.body.entries.find((e: { purpose: string }) => e.purpose === 'warranty-review');
    expect(entry).toMatchObject({ kind: 'manufacturer', role: 'admin', route: 'conversation' });
    expect(log.body.entries.some((e: { kind: string; purpose: string }) => e.kind === 'owner' && e.purpose === 'owner')).toBe(true);
    expect((await p.request('GET', `/v1/devices/${device.id}/access-log`, { token: bob.token })).status).toBe(404);
  });
});

describe('household', () => {
  it('a viewer member reads the conversation but cannot share or decide', async () => {
    const made = await p.request('POST', '/v1/household/members', { token: alice.token, body: { role: 'viewer', displayName: 'Kid' } });
    expect(made.status).toBe(201);
    const kid = made.body.token.token as string;
    expect(uplinkSeqs((await conversation(kid)).body.items)).toEqual([4, 5]);
    const grant = await p.request('POST', `/v1/devices/${device.id}/grants`, { token: kid, body: { grantee: { name: 'x' }, metrics: ['temp_c'], durationDays: 1, purpose: 'nope' } });
    expect(grant).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
  });

  it('an expired or revoked token is refused', async () => {
    const made = await p.request('POST', '/v1/tokens', { token: alice.token, body: { label: 'short', ttlSeconds: 60 } });
    expect(made.status).toBe(201);
    expect((await conversation(made.body.token)).status).toBe(200);
    const later = Date.now() + 61_000;
    const spy = vi.spyOn(Date, 'now').mockReturnValue(later);
    try {
      expect((await conversation(made.body.token)).body.error.code).toBe('invalid_token');
    } finally {
      spy.mockRestore();
    }
    const second = await p.request('POST', '/v1/tokens', { token: alice.token, body: { label: 'revoke me' } });
    expect((await p.request('DELETE', `/v1/tokens/${second.body.id}`, { token: alice.token })).status).toBe(200);
    expect((await conversation(second.body.token)).body.error.code).toBe('invalid_token');
  });
});

describe('grants', () => {
  let appToken: string;
  let grantId: string;

  it('a grantee sees only the granted metric, only inside the owner\'s period, and fetches its receipt', async () => {
    const res = await p.request('POST', `/v1/devices/${device.id}/grants`, {
      token: alice.token,
      body: { grantee: { name: 'Energy coach' }, metrics: ['power_w'], events: ['door_open'], durationDays: 7, purpose: 'energy saving tips' },
    });
    expect(res.status).toBe(201);
    appToken = res.body.granteeToken.token;
    grantId = res.body.grant.id;
    expect(res.body.receipt.body).toMatchObject({ version: 'KI-CR-v1.1.0', consentReceiptID: res.body.grant.receiptId });
    await send(1, { temp_c: 5, power_w: 130 }, ['door_open', 'defrost_started']); // seq 6

    const seen = await conversation(appToken);
    expect(seen.status).toBe(200);
    const uplinks = seen.body.items.filter((i: { kind: string }) => i.kind === 'uplink');
    expect(uplinks.map((u: { seq: number }) => u.seq)).toEqual([4, 5, 6]);
    for (const u of uplinks) expect(u.samples.map((s: { metric: string }) => s.metric)).toEqual(['power_w']);
    expect(uplinks[2].events.map((e: { code: string }) => e.code)).toEqual(['door_open']);
    expect(seen.body.items.some((i: { kind: string }) => i.kind !== 'uplink')).toBe(false);

    expect((await p.request('GET', `/v1/devices/${device.id}/metrics/power_w`, { token: appToken })).status).toBe(200);
    expect((await p.request('GET', `/v1/devices/${device.id}/metrics/temp_c`, { token: appToken })).body.error.code).toBe('metric_not_granted');
    const metrics = await p.request('GET', `/v1/devices/${device.id}/metrics`, { token: appToken });
    expect(metrics.body.metrics.map((m: { metric: string }) => m.metric)).toEqual(['power_w']);
    expect((await p.request('GET', `/v1/receipts/${res.body.grant.receiptId}`, { token: appToken })).status).toBe(200);
    expect((await p.request('GET', `/v1/receipts/${res.body.grant.receiptId}`, { token: bob.token })).status).toBe(404);

    const log = await p.request('GET', `/v1/devices/${device.id}/access-log`, { token: alice.token });
    expect(log.body.entries[0]).toMatchObject({ kind: 'grantee', purpose: 'energy saving tips', grantId });
  });

  it('revocation is immediate', async () => {
    expect((await p.request('DELETE', `/v1/grants/${grantId}`, { token: bob.token })).status).toBe(404);
    const revoked = await p.request('DELETE', `/v1/grants/${grantId}`, { token: alice.token });
    expect(revoked.body.status).toBe('revoked');
    expect((await conversation(appToken)).status).toBe(404);
  });
});

describe('inferences and disputes', () => {
  it('the owner sees an inference with its evidence and disputes it; both sides see the dispute in the conversation', async () => {
    const viewer = await p.request('POST', '/v1/engineers', { body: { role: 'viewer', displayName: 'Vera' } });
    const made = await p.request('POST', `/v1/devices/${device.id}/inferences`, {
      token: viewer.body.token.token,
      body: { code: 'misuse_suspected', title: 'Door left open', detail: 'x', evidence: [{ kind: 'event', ref: 'door_open' }] },
    });
    expect(made.status).toBe(403); // viewers read, operators act
    const inf = await p.request('POST', `/v1/devices/${device.id}/inferences`, {
      body: { code: 'misuse_suspected', title: 'Door left open too often', detail: 'door_open events doubled', evidence: [{ kind: 'event', ref: 'door_open' }] },
    });
    expect(inf.status).toBe(201);
    const list = await p.request('GET', `/v1/devices/${device.id}/inferences`, { token: alice.token });
    expect(list.body.inferences.map((i: { id: string }) => i.id)).toEqual([inf.body.id]);
    const dispute = await p.request('POST', `/v1/inferences/${inf.body.id}/notes`, { token: alice.token, body: { kind: 'dispute', body: 'We were defrosting it on purpose.' } });
    expect(dispute.body.status).toBe('disputed');
    expect((await p.request('POST', `/v1/inferences/${inf.body.id}/notes`, { token: bob.token, body: { kind: 'dispute', body: 'me too' } })).status).toBe(404);
    const reply = await p.request('POST', `/v1/inferences/${inf.body.id}/notes`, { body: { kind: 'response', body: 'Thanks, withdrawn.', status: 'withdrawn' } });
    expect(reply.body.status).toBe('withdrawn');
    const types = (await conversation(alice.token)).body.items.filter((i: { kind: string }) => i.kind === 'relationship').map((i: { type: string }) => i.type);
    expect(types).toEqual(expect.arrayContaining(['inference', 'inference_disputed', 'inference_response']));
  });
});

describe('commands with consent', () => {
  it('waits for the owner, is sent on approval, and the device result closes the loop', async () => {
    const received: Uint8Array[] = [];
    conn.client.on('message', (_t, payload) => received.push(payload));
    await new Promise<void>((resolve, reject) => conn.client.subscribe(`devices/${device.id}/down`, { qos: 1 }, (err) => (err ? reject(err) : resolve())));

    const proposed = await p.request('POST', `/v1/devices/${device.id}/commands`, { body: { class: 'defrost', kind: 'command', name: 'defrost', reason: 'Ice build-up detected' } });
    expect(proposed.body).toMatchObject({ state: 'pending', approval: null });
    expect((await p.request('POST', `/v1/commands/${proposed.body.id}/approve`, { token: bob.token })).status).toBe(404);
    const approved = await p.request('POST', `/v1/commands/${proposed.body.id}/approve`, { token: alice.token });
    expect(approved.body).toMatchObject({ state: 'sent', approval: 'owner' });
    await waitFor('the downlink at the device', () => received.length > 0, 5000);
    const down = decodeDownlink(received[0]!);
    expect(down).toMatchObject({ commandId: proposed.body.id, body: { kind: 'command', name: 'defrost' } });

    seq++;
    await publishAndWait(conn.client, uplinkTopic(device.id), encodeUplink(testUplink(device.id, seq, { commandResults: [{ commandId: down.commandId, status: 'succeeded', timeMs: Date.now(), detail: '' }] })));
    expect(await p.drain(10_000)).toBe(true);
    await waitFor('the command acked', async () => (await p.registry.commands.get(proposed.body.id))?.state === 'acked', 5000);
    const items = (await conversation(alice.token)).body.items;
    expect(items.some((i: { kind: string; commandId?: string }) => i.kind === 'downlink' && i.commandId === proposed.body.id)).toBe(true);
    expect(items.filter((i: { kind: string }) => i.kind === 'relationship').map((i: { type: string }) => i.type)).toEqual(
      expect.arrayContaining(['command_proposed', 'command_approved', 'command_sent', 'command_acked']),
    );
  });

  it('a standing policy approves a class in advance; an emergency class goes out at once; other emergencies are refused', async () => {
    expect((await p.request('PUT', `/v1/devices/${device.id}/command-policies/eco-mode`, { token: alice.token, body: { autoApprove: true } })).body.autoApprove).toEqual(['eco-mode']);
    const eco = await p.request('POST', `/v1/devices/${device.id}/commands`, { body: { class: 'eco-mode', kind: 'config', settings: { eco: 'on' }, reason: 'Save energy at night' } });
    expect(eco.body).toMatchObject({ state: 'sent', approval: 'policy' });
    const stop = await p.request('POST', `/v1/devices/${device.id}/commands`, { body: { class: 'safety-shutdown', kind: 'command', name: 'shutdown', reason: 'Compressor overheating', emergency: true } });
    expect(stop.body).toMatchObject({ state: 'sent', approval: 'emergency', emergency: true });
    const fake = await p.request('POST', `/v1/devices/${device.id}/commands`, { body: { class: 'defrost', kind: 'command', name: 'defrost', reason: 'hurry', emergency: true } });
    expect(fake.body.error.code).toBe('not_emergency_class');
    const bad = await p.request('POST', `/v1/devices/${device.id}/commands`, { body: { class: 'fw', kind: 'firmware_offer', version: '2.0.0', url: 'http://insecure', sha256: 'x', reason: 'update' } });
    expect(bad.body.error.code).toBe('invalid_command');
  });
});

describe('fleet consent and k-anonymity', () => {
  it('leaves opted-out devices out of fleet aggregates and suppresses groups under k', async () => {
    const q = () => p.request('GET', '/v1/fleet/metrics/power_w?justification=fleet-analytics', { justification: null });
    const before = await q();
    expect(before.status).toBe(200);
    // One device alone is below k = 2: suppressed, only counted.
    expect(before.body).toMatchObject({ groups: [], suppressedGroups: 1, minDevices: 2, excludedDevices: 0 });

    const others = (await p.request('POST', '/v1/devices', { body: { model: 'fridge-x1', firmware: '1.0.0', count: 1 } })).body.devices[0];
    const other = await connectDevice(p.mqttUrl, others);
    await publishAndWait(other.client, uplinkTopic(others.id), encodeUplink(testUplink(others.id, 1, { samples: [{ metric: 'power_w', value: 100, timeMs: 0 }] })));
    await other.close();
    expect(await p.drain(10_000)).toBe(true);
    expect((await q()).body.groups).toMatchObject([{ firmware: '1.0.0', devices: 2 }]);
    const hourly = await p.request('GET', '/v1/fleet/metrics/power_w?justification=fleet-analytics&model=fridge-x1&bucket=hour', { justification: null });
    expect(hourly.body.groups.length).toBeGreaterThan(0);
    for (const g of hourly.body.groups) expect(g.time).toMatch(/T\d\d:00:00\.000Z$/);
    expect((await p.request('GET', '/v1/fleet/metrics/power_w?justification=fleet-analytics&model=washer-w2', { justification: null })).body.groups).toEqual([]);
    const compare = await p.request('GET', '/v1/fleet/firmware-comparison?versions=1.0.0&justification=fleet-analytics', { justification: null });
    expect(compare.body.versions).toMatchObject([{ firmware: '1.0.0', devices: 2 }]);
    const activity = await p.request('GET', '/v1/fleet/activity?hours=1&justification=fleet-analytics', { justification: null });
    expect(activity.body).toMatchObject({ devices: 2, active: 2, silent: 0 });
    const insights = await p.request('GET', `/v1/devices/${device.id}/insights`, { token: alice.token });
    expect(insights.status).toBe(200);
    expect(insights.body.trends.map((t: { metric: string }) => t.metric)).toEqual(expect.arrayContaining(['power_w', 'temp_c']));
    expect(insights.body.cohort).toMatchObject({ model: 'fridge-x1', firmware: '1.0.0', shown: true, devices: 2 });
    expect(insights.body.benchmarks.find((b: { metric: string }) => b.metric === 'power_w')).toMatchObject({ cohortSize: 2 });

    expect((await p.request('PUT', `/v1/devices/${device.id}/consent`, { token: alice.token, body: { fleetAnalytics: false } })).body.fleetAnalytics).toBe(false);
    expect((await q()).body).toMatchObject({ groups: [], suppressedGroups: 1, excludedDevices: 1 });
    // Per-device reads of an opted-out device now need a support case.
    expect((await conversation(p.token, '', 'warranty-review')).body.error.code).toBe('owner_opted_out');
    expect((await conversation(p.token, '', 'support-case:991')).status).toBe(200);
    expect((await p.request('GET', '/v1/fleet/metrics/power_w', { justification: 'support-case:1' })).body.error.code).toBe('invalid_justification');
  });
});

describe('transfer', () => {
  it('hands the device to a new owner: the old owner keeps only their period, the new one starts empty', async () => {
    const t = await p.request('POST', `/v1/devices/${device.id}/transfer`, { token: alice.token, body: {} });
    expect(t.status).toBe(201);
    const claim = await p.request('POST', '/v1/claims', { token: bob.token, body: { deviceId: device.id, transferCode: t.body.transferCode } });
    expect(claim.status).toBe(201);
    const replay = await p.request('POST', '/v1/claims', { token: alice.token, body: { deviceId: device.id, transferCode: t.body.transferCode } });
    expect(replay).toMatchObject({ status: 409, body: { error: { code: 'transfer_code_used' } } });
    const before = seq;
    await send(2);

    const bobs = await conversation(bob.token);
    expect(uplinkSeqs(bobs.body.items)).toEqual([before + 1, before + 2]);
    expect(bobs.body.items.filter((i: { kind: string }) => i.kind === 'relationship').map((i: { type: string }) => i.type)).toEqual(['transferred']);
    const alices = await conversation(alice.token);
    expect(alices.status).toBe(200);
    expect(Math.max(...(uplinkSeqs(alices.body.items) as number[]))).toBeLessThanOrEqual(before);
    // The previous owner lost every say: no grants, no decisions, no transfer.
    expect((await p.request('POST', `/v1/devices/${device.id}/grants`, { token: alice.token, body: { grantee: { name: 'x' }, metrics: ['temp_c'], durationDays: 1, purpose: 'late' } })).status).toBe(404);
    expect((await p.request('POST', `/v1/devices/${device.id}/transfer`, { token: alice.token, body: {} })).status).toBe(404);
    const periods = await p.request('GET', `/v1/devices/${device.id}/ownership`, { token: alice.token });
    expect(periods.body.periods).toMatchObject([{ id: alicePeriod, endReason: 'transfer' }]);
    const all = await p.request('GET', `/v1/devices/${device.id}/ownership`);
    expect(all.body.periods.map((x: { endReason: string | null }) => x.endReason)).toEqual(['transfer', null]);
  });
});

describe('live tail', () => {
  it('streams the new owner\'s uplinks as Server-Sent Events; a stranger gets 404', async () => {
    const stranger = await fetch(`${p.httpUrl}/v1/devices/${device.id}/live`, { headers: { authorization: `Bearer ${alice.token}` } });
    // Alice's period has ended: nothing live to follow in it.
    expect(stranger.status).toBe(409);
    const ctrl = new AbortController();
    const res = await fetch(`${p.httpUrl}/v1/devices/${device.id}/live`, { headers: { authorization: `Bearer ${bob.token}` }, signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const got = (async () => {
      while (!text.includes('event: uplink')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
    })();
    const next = seq + 1;
    await send(1);
    await got;
    const data = JSON.parse(/data: (.*)\n/.exec(text)![1]!);
    expect(data).toMatchObject({ kind: 'uplink', seq: next });

    // Relationship entries follow within a couple of seconds (the tail polls the registry).
    expect((await p.request('PUT', `/v1/devices/${device.id}/command-policies/night-mode`, { token: bob.token, body: { autoApprove: true } })).status).toBe(200);
    while (!text.includes('event: relationship')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctrl.abort();
    const rel = JSON.parse(/event: relationship\nid: \d+\ndata: (.*)\n/.exec(text)![1]!);
    expect(rel).toMatchObject({ kind: 'relationship', type: 'command_policy', body: { class: 'night-mode', autoApprove: true } });
  });
});

describe('export and erasure', () => {
  it('exports the period as JSON Lines and CSV, streamed', async () => {
    const jsonl = await p.request('GET', `/v1/devices/${device.id}/export`, { token: bob.token });
    expect(jsonl.status).toBe(200);
    const records = String(jsonl.body).trim().split('\n').map((l) => JSON.parse(l) as { type: string; item?: { kind: string } });
    expect(records[0]).toMatchObject({ type: 'export', deviceId: device.id });
    expect(records.filter((r) => r.type === 'conversation' && r.item?.kind === 'uplink').length).toBeGreaterThanOrEqual(3);
    expect(records.some((r) => r.type === 'access')).toBe(true);
    const csv = await p.request('GET', `/v1/devices/${device.id}/export?format=csv`, { token: bob.token });
    const lines = String(csv.body).trim().split('\r\n');
    expect(lines[0]).toBe('record,time,received_at,metric,value,code,severity,message,command_id,status,detail,json');
    expect(lines.filter((l) => l.startsWith('sample,')).length).toBeGreaterThanOrEqual(6);
    expect((await p.request('GET', `/v1/devices/${device.id}/export`, { token: (await signUp('owner', 'Eve')).token })).status).toBe(404);
  });

  it("erases the previous owner's period everywhere and issues a deletion receipt; the new owner's data stays", async () => {
    const manufacturerBefore = uplinkSeqs((await conversation(p.token, '', 'support-case:5')).body.items);
    const alicesSeqs = uplinkSeqs((await conversation(alice.token)).body.items);
    const bobsBefore = uplinkSeqs((await conversation(bob.token)).body.items);
    expect(alicesSeqs.length).toBeGreaterThan(0);

    const unconfirmed = await p.request('POST', `/v1/devices/${device.id}/erase`, { token: alice.token, body: { confirm: 'yes' } });
    expect(unconfirmed.body.error.code).toBe('confirmation_required');
    const erased = await p.request('POST', `/v1/devices/${device.id}/erase`, { token: alice.token, body: { confirm: device.id } });
    expect(erased.status).toBe(200);
    const receipt = erased.body.receipt;
    expect(receipt).toMatchObject({ kind: 'deletion', periodId: alicePeriod });
    expect(receipt.body.deleted.telemetry.uplinks).toBe(alicesSeqs.length);
    expect(receipt.body.deleted.registry.grants).toBe(1);
    expect((await p.request('GET', `/v1/receipts/${receipt.id}`, { token: alice.token })).status).toBe(200);

    expect(uplinkSeqs((await conversation(alice.token)).body.items)).toEqual([]);
    const manufacturerAfter = uplinkSeqs((await conversation(p.token, '', 'support-case:5')).body.items);
    expect(manufacturerAfter).toEqual(manufacturerBefore.filter((s) => !alicesSeqs.includes(s)));
    expect(uplinkSeqs((await conversation(bob.token)).body.items)).toEqual(bobsBefore);
    // Only reads made after the erasure (the checks above) remain in Alice's access log.
    const entries = (await p.request('GET', `/v1/devices/${device.id}/access-log`, { token: alice.token })).body.entries as { at: string }[];
    expect(entries.every((e) => e.at >= receipt.body.erasedAt)).toBe(true);
  });
});

describe('operations', () => {
  it('serves Prometheus metrics to the manufacturer only, with pipeline counters and route latencies', async () => {
    const res = await p.request('GET', '/metrics');
    expect(res.status).toBe(200);
    const text = String(res.body);
    const accepted = Number(/^parley_mqtt_messages_accepted_total (\d+)/m.exec(text)?.[1]);
    expect(accepted).toBeGreaterThanOrEqual(seq);
    expect(text).toMatch(/^parley_log_consumer_lag_records\{group="ingester"\} \d+/m);
    expect(text).toMatch(/^parley_ingest_records_total \d+/m);
    expect(text).toContain('parley_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v1/devices/:id/conversation",status="200"}');
    expect(text).toContain('parley_mqtt_connected_devices');
    expect(text).toMatch(/^parley_mqtt_protocol_errors_total \d+/m);
    expect((await p.request('GET', '/metrics', { token: bob.token })).status).toBe(403);
  });
});

describe('skewed clocks and replayed sequence numbers', () => {
  it("places a message by the platform's receive time in ownership, whatever the device clock says", async () => {
    // The device clock runs 3 hours late: its message still belongs to the current owner's period.
    seq++;
    const late = Date.now() - 3 * 3_600_000;
    await publishAndWait(conn.client, uplinkTopic(device.id), encodeUplink(testUplink(device.id, seq, { deviceTimeMs: late, samples: [{ metric: 'temp_c', value: 1, timeMs: late }] })));
    expect(await p.drain(10_000)).toBe(true);
    const bobs = await conversation(bob.token);
    const item = bobs.body.items.find((i: { kind: string; seq?: number }) => i.kind === 'uplink' && i.seq === seq);
    expect(item).toBeDefined();
    expect(Date.parse(item.receivedAt) - Date.parse(item.time)).toBeGreaterThan(3 * 3_600_000 - 60_000);
  });

  it('shows a replayed sequence number once, even with different content', async () => {
    seq++;
    const now = Date.now();
    const first = testUplink(device.id, seq, { deviceTimeMs: now, samples: [{ metric: 'temp_c', value: 1, timeMs: now }] });
    await publishAndWait(conn.client, uplinkTopic(device.id), encodeUplink(first));
    await publishAndWait(conn.client, uplinkTopic(device.id), encodeUplink({ ...first, samples: [{ metric: 'temp_c', value: 999, timeMs: now }] }));
    expect(await p.drain(10_000)).toBe(true);
    const items = (await conversation(bob.token)).body.items.filter((i: { kind: string; seq?: number }) => i.kind === 'uplink' && i.seq === seq);
    expect(items).toHaveLength(1);
  });
});
