import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type ProvisionedDevice, type Registry } from '@parley/registry';
import { openStore, type Store, type UplinkRow } from '@parley/store';
import { tempDir } from '@parley/testkit';
import { buildApi } from './index';

// The owner's voice through the API on a real registry (PGlite) and store (chDB): notes in the
// shared conversation, replies, versions, the telemetry around a note, fleet feedback counts,
// ideas with one vote per ownership period and k-anonymous cohort counts (k = 2 here).

const MAKER = 'owner-voice-maker-token';
const FLEET = 'fleet-analytics';
let dir: string;
let store: Store;
let registry: Registry;
let app: FastifyInstance;
let washer: ProvisionedDevice;

interface Who {
  token: string;
  accountId: string;
  ownerId: string;
}

async function call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, token: string, body?: unknown, justification: string | null = 'support-case:91') {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (justification) headers['x-parley-justification'] = justification;
  const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: body as object }) });
  return { status: res.statusCode, body: res.json() };
}

async function signUp(): Promise<Who> {
  const { account, token } = await registry.accounts.create({ kind: 'owner', role: 'owner', createdBy: 'self' });
  return { token: token.token, accountId: account.id, ownerId: account.ownerId! };
}

async function claimed(model: string, firmware: string, who?: Who): Promise<{ device: ProvisionedDevice; owner: Who; startedAt: number }> {
  const [device] = await registry.provisionDevices({ model, firmware, count: 1 });
  const owner = who ?? (await signUp());
  const period = await registry.ownership.claim({ deviceId: device!.id, ownerId: owner.ownerId, actorId: owner.accountId, claimCode: device!.claimCode });
  return { device: device!, owner, startedAt: period.startedAt.getTime() };
}

function sample(deviceId: string, seq: number, timeMs: number, receivedAtMs: number, value: number): UplinkRow {
  return {
    deviceId,
    bootId: 'boot-1',
    seq,
    deviceTimeMs: timeMs,
    receivedAtMs,
    firmware: '3.1.0',
    schemaVersion: 1,
    samples: [{ metric: 'drum.vibration_g', value, timeMs }],
    events: [],
    commandResults: [],
    raw: Buffer.from('x'),
    source: `p0:${seq}`,
  };
}

type Item = { kind: string; type?: string; time?: string; body?: Record<string, unknown> };
const relationship = (items: Item[], type: string) => items.filter((i) => i.kind === 'relationship' && i.type === type);

let alice: Who;
let noteId: string;
let noteAt: number;

beforeAll(async () => {
  dir = await tempDir('parley-voice-');
  const log = silentLogger();
  store = await openStore({ location: { dataDir: dir }, log });
  registry = await openEmbeddedRegistry({ log });
  app = await buildApi({ logger: log, manufacturerToken: MAKER, store, registry, health: async () => ({ ok: true, components: {} }), policy: { kAnonymity: 2, emergencyCommandClasses: [] } });
  const c = await claimed('washer-w2', '3.1.0');
  washer = c.device;
  alice = c.owner;
  noteAt = Date.now();
  // Vibration around the note's moment (5 min before, 2 min after) and once long before it.
  await store.insertUplinks([
    sample(washer.id, 1, noteAt - 300_000, c.startedAt + 10, 0.4),
    sample(washer.id, 2, noteAt + 120_000, c.startedAt + 20, 2.5),
    sample(washer.id, 3, noteAt - 3_600_000, c.startedAt + 30, 0.1),
  ]);
});

afterAll(async () => {
  await app?.close();
  await store?.close();
  await registry?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('notes pinned to a moment', () => {
  it('puts the note in the conversation both sides see, with the engineer\'s reply, at the pinned moment', async () => {
    const created = await call('POST', `/v1/devices/${washer.id}/notes`, alice.token, { at: new Date(noteAt).toISOString(), category: 'noise', text: 'Loud rattle during this spin' });
    expect(created).toMatchObject({ status: 201, body: { version: 1, category: 'noise', firmware: '3.1.0', status: 'open' } });
    noteId = created.body.id;

    expect((await call('POST', `/v1/notes/${noteId}/replies`, MAKER, { text: 'Please check the transit bolts' }, null)).body.error.code).toBe('justification_required');
    const replied = await call('POST', `/v1/notes/${noteId}/replies`, MAKER, { text: 'Please check the transit bolts' });
    expect(replied).toMatchObject({ status: 201, body: { replies: [{ authorKind: 'manufacturer', text: 'Please check the transit bolts' }] } });

    const range = `from=${noteAt - 3_600_000}&to=${noteAt + 3_600_000}`;
    const mine = await call('GET', `/v1/devices/${washer.id}/conversation?${range}`, alice.token);
    const theirs = await call('GET', `/v1/devices/${washer.id}/conversation?${range}&period=${created.body.periodId}`, MAKER);
    expect(theirs.body).toEqual(mine.body);
    const [entry] = relationship(mine.body.items, 'note');
    expect(entry).toMatchObject({ time: new Date(noteAt).toISOString(), body: { noteId, text: 'Loud rattle during this spin', replies: [{ text: 'Please check the transit bolts' }] } });

    const log = await call('GET', `/v1/devices/${washer.id}/access-log`, alice.token);
    expect(log.body.entries.map((e: { route: string; purpose: string }) => `${e.route} ${e.purpose}`)).toContain('notes/reply support-case:91');
  });

  it('keeps every version: the conversation shows the current one, the history all of them', async () => {
    const edited = await call('PUT', `/v1/notes/${noteId}`, alice.token, { at: noteAt, category: 'noise', text: 'Loud rattle during the 1400 rpm spin' });
    expect(edited).toMatchObject({ status: 200, body: { version: 2, text: 'Loud rattle during the 1400 rpm spin' } });
    const withdrawn = await call('DELETE', `/v1/notes/${noteId}`, alice.token);
    expect(withdrawn.body).toMatchObject({ version: 3, status: 'withdrawn', text: null });

    const conv = await call('GET', `/v1/devices/${washer.id}/conversation`, alice.token);
    expect(relationship(conv.body.items, 'note').map((e) => e.body)).toMatchObject([{ version: 3, status: 'withdrawn', text: null }]);
    const history = await call('GET', `/v1/notes/${noteId}/history`, MAKER);
    expect(history.body.versions.map((v: { version: number; status: string; text: string }) => [v.version, v.status, v.text])).toEqual([
      [1, 'open', 'Loud rattle during this spin'],
      [2, 'open', 'Loud rattle during the 1400 rpm spin'],
      [3, 'withdrawn', 'Loud rattle during the 1400 rpm spin'],
    ]);
  });

  it('shows the telemetry from 10 minutes before to 10 minutes after the note', async () => {
    const ctx = await call('GET', `/v1/notes/${noteId}/context?metric=drum.vibration_g`, MAKER);
    expect(ctx.status).toBe(200);
    expect(ctx.body.metrics).toEqual([{ metric: 'drum.vibration_g', count: 2 }]);
    expect(ctx.body.series.buckets.map((b: { max: number }) => b.max)).toEqual([0.4, 2.5]);
    const wide = await call('GET', `/v1/notes/${noteId}/context?minutes=120`, alice.token);
    expect(wide.body).toMatchObject({ metrics: [{ metric: 'drum.vibration_g', count: 3 }], series: null });
  });

  it('refuses bad input with a clear code', async () => {
    const post = (body: unknown) => call('POST', `/v1/devices/${washer.id}/notes`, alice.token, body);
    expect((await post({ at: new Date().toISOString(), category: 'vibes', text: 'x' })).body.error.code).toBe('invalid_request');
    expect((await post({ at: new Date(Date.now() + 86_400_000).toISOString(), category: 'leak', text: 'x' })).body.error.code).toBe('invalid_note_time');
    expect((await post({ at: 'yesterday', category: 'leak', text: 'x' })).body.error.code).toBe('invalid_time');
    expect((await post({ at: new Date().toISOString(), until: new Date(Date.now() - 60_000).toISOString(), category: 'leak', text: 'x' })).body.error.code).toBe('invalid_note_time');
    expect((await post({ at: new Date().toISOString(), category: 'leak', text: '' })).status).toBe(400);
    expect((await call('GET', `/v1/notes/${noteId}/context?minutes=0`, alice.token)).body.error.code).toBe('invalid_request');
    expect((await call('GET', '/v1/fleet/feedback?bucket=month', MAKER, undefined, FLEET)).body.error.code).toBe('invalid_request');
    expect((await call('GET', '/v1/fleet/feedback', MAKER, undefined, 'support-case:1')).body.error.code).toBe('invalid_justification');
  });

  it("a new owner never sees the previous owner's notes; the previous owner still does", async () => {
    const { device, owner: prev, startedAt } = await claimed('dryer-d9', '1.0.0');
    const note = await call('POST', `/v1/devices/${device.id}/notes`, prev.token, { at: new Date(startedAt).toISOString(), category: 'smell', text: 'Burnt smell' });
    const { code } = await registry.ownership.startTransfer((await registry.ownership.current(device.id))!.id, prev.accountId);
    const next = await signUp();
    await registry.ownership.claim({ deviceId: device.id, ownerId: next.ownerId, actorId: next.accountId, transferCode: code });

    const nextView = await call('GET', `/v1/devices/${device.id}/conversation`, next.token);
    expect(relationship(nextView.body.items, 'note')).toEqual([]);
    expect((await call('GET', `/v1/devices/${device.id}/notes`, next.token)).body.notes).toEqual([]);
    expect((await call('GET', `/v1/notes/${note.body.id}/history`, next.token)).body.error.code).toBe('note_not_found');
    expect(relationship((await call('GET', `/v1/devices/${device.id}/conversation`, prev.token)).body.items, 'note')).toHaveLength(1);
    // No more say over the device: no new notes, no edits.
    expect((await call('POST', `/v1/devices/${device.id}/notes`, prev.token, { at: new Date().toISOString(), category: 'smell', text: 'x' })).status).toBe(404);
    expect((await call('PUT', `/v1/notes/${note.body.id}`, prev.token, { at: startedAt, category: 'smell', text: 'x' })).body.error.code).toBe('period_ended');
  });

  it('counts feedback per day and category for engineers: opt-outs left out, groups under k suppressed', async () => {
    const day = new Date().toISOString().slice(0, 10);
    const owners = [];
    for (let i = 0; i < 3; i++) owners.push(await claimed('fridge-z5', '2.0.0'));
    for (const o of owners) await call('POST', `/v1/devices/${o.device.id}/notes`, o.owner.token, { at: new Date().toISOString(), category: 'performance', text: 'Warm at the top' });
    await call('POST', `/v1/devices/${owners[0]!.device.id}/notes`, owners[0]!.owner.token, { at: new Date().toISOString(), category: 'leak', text: 'Puddle' });
    const feedback = async () => (await call('GET', `/v1/fleet/feedback?model=fridge-z5&bucket=day`, MAKER, undefined, FLEET)).body;
    expect(await feedback()).toMatchObject({ suppressedGroups: 1, groups: [{ time: `${day}T00:00:00.000Z`, category: 'performance', model: 'fridge-z5', firmware: '2.0.0', notes: 3, devices: 3 }] });
    await call('PUT', `/v1/devices/${owners[1]!.device.id}/consent`, owners[1]!.owner.token, { fleetAnalytics: false });
    expect(await feedback()).toMatchObject({ excludedDevices: 1, groups: [{ category: 'performance', notes: 2, devices: 2 }] });
  });
});

describe('ideas and votes', () => {
  it('current owners of the model vote once per ownership; a transfer does not carry the vote', async () => {
    const published = await call('POST', '/v1/ideas', MAKER, { model: 'washer-w2', title: 'Quieter night cycle', body: 'Slower spin after 22:00 in firmware 3.2' });
    expect(published).toMatchObject({ status: 201, body: { status: 'proposed', authorKind: 'manufacturer', tally: { up: 0, down: 0 } } });
    const id = published.body.id;
    const stranger = (await claimed('oven-o1', '1.0.0')).owner;
    expect((await call('GET', '/v1/ideas', stranger.token)).body.ideas).toEqual([]);
    expect((await call('GET', `/v1/ideas/${id}`, stranger.token)).body.error.code).toBe('idea_not_found');
    expect((await call('GET', '/v1/ideas', alice.token)).body.ideas.map((i: { id: string }) => i.id)).toEqual([id]);

    expect((await call('PUT', `/v1/ideas/${id}/votes/${washer.id}`, alice.token, { value: 'maybe' })).body.error.code).toBe('invalid_request');
    await call('PUT', `/v1/ideas/${id}/votes/${washer.id}`, alice.token, { value: 'up' });
    const changed = await call('PUT', `/v1/ideas/${id}/votes/${washer.id}`, alice.token, { value: 'down' });
    // One household so far: below k = 2, the tally is suppressed; the household still sees its own vote.
    expect(changed.body).toMatchObject({ tally: { up: null, down: null, suppressed: true }, myVotes: [{ deviceId: washer.id, value: 'down' }] });

    const { code } = await registry.ownership.startTransfer((await registry.ownership.current(washer.id))!.id, alice.accountId);
    const bob = await signUp();
    await registry.ownership.claim({ deviceId: washer.id, ownerId: bob.ownerId, actorId: bob.accountId, transferCode: code });
    expect((await call('PUT', `/v1/ideas/${id}/votes/${washer.id}`, alice.token, { value: 'up' })).status).toBe(404);
    expect((await call('GET', `/v1/ideas/${id}`, bob.token)).body.myVotes).toEqual([]);
    const bobs = await call('PUT', `/v1/ideas/${id}/votes/${washer.id}`, bob.token, { value: 'up' });
    expect(bobs.body).toMatchObject({ tally: { up: 1, down: 1, suppressed: false }, myVotes: [{ value: 'up' }] });
    expect((await call('DELETE', `/v1/ideas/${id}/votes/${washer.id}`, bob.token)).body.tally).toMatchObject({ up: null, suppressed: true });
    expect((await call('DELETE', `/v1/ideas/${id}/votes/${washer.id}`, bob.token)).body.error.code).toBe('vote_not_found');

    const commented = await call('POST', `/v1/ideas/${id}/comments`, bob.token, { text: 'Yes, the neighbours would thank you', deviceId: washer.id });
    expect(commented.body.comments).toMatchObject([{ authorKind: 'owner', mine: true }]);
    expect((await call('POST', `/v1/ideas/${id}/comments`, bob.token, { text: 'x' })).body.error.code).toBe('device_required');

    expect((await call('POST', `/v1/ideas/${id}/updates`, MAKER, { status: 'done', message: 'x' })).body.error.code).toBe('invalid_request');
    const shipped = await call('POST', `/v1/ideas/${id}/updates`, MAKER, { status: 'shipped', message: 'Shipped in 3.2' });
    expect(shipped.body.updates).toMatchObject([{ status: 'shipped', message: 'Shipped in 3.2' }]);
    const conv = await call('GET', `/v1/devices/${washer.id}/conversation`, bob.token);
    expect(relationship(conv.body.items, 'idea_update').map((e) => e.body)).toEqual([{ ideaId: id, title: 'Quieter night cycle', status: 'shipped', message: 'Shipped in 3.2' }]);
    // Alice's conversation (her period, before the update) does not get it.
    expect(relationship((await call('GET', `/v1/devices/${washer.id}/conversation`, alice.token)).body.items, 'idea_update')).toEqual([]);
  });

  it('shows the manufacturer votes by firmware only in groups of at least k households', async () => {
    const proposer = await claimed('heatpump-h3', '1.0.0');
    const idea = await call('POST', '/v1/ideas', proposer.owner.token, { deviceId: proposer.device.id, title: 'Eco mode by default', body: 'Lower flow temperature' });
    expect(idea).toMatchObject({ status: 201, body: { model: 'heatpump-h3', authorKind: 'owner', status: 'proposed' } });
    expect((await call('POST', '/v1/ideas', proposer.owner.token, { title: 'No device', body: 'x' })).body.error.code).toBe('device_required');
    expect((await call('POST', '/v1/ideas', MAKER, { title: 'No model', body: 'x' })).body.error.code).toBe('model_required');
    const id = idea.body.id;
    await call('PUT', `/v1/ideas/${id}/votes/${proposer.device.id}`, proposer.owner.token, { value: 'up' });
    for (const [firmware, value] of [['1.0.0', 'up'], ['1.0.0', 'down'], ['2.0.0', 'up'], ['2.0.0', 'down'], ['3.0.0', 'up']] as const) {
      const v = await claimed('heatpump-h3', firmware);
      expect((await call('PUT', `/v1/ideas/${id}/votes/${v.device.id}`, v.owner.token, { value })).status).toBe(200);
    }
    const cohorts = await call('GET', `/v1/ideas/${id}/cohorts?by=firmware`, MAKER, undefined, FLEET);
    // 3.0.0 has one household: alone in "other" it would be given away by the total, so the
    // smallest shown group (2.0.0) joins it.
    expect(cohorts.body).toEqual({
      by: 'firmware',
      minHouseholds: 2,
      tally: { up: 4, down: 2, suppressed: false },
      groups: [{ cohort: '1.0.0', up: 2, down: 1, households: 3 }],
      other: { cohort: 'other', up: 2, down: 1, households: 3 },
      suppressedGroups: 2,
    });
    expect((await call('GET', `/v1/ideas/${id}/cohorts?by=region`, MAKER, undefined, FLEET)).body.error.code).toBe('invalid_request');
    expect((await call('GET', `/v1/ideas/${id}/cohorts`, MAKER, undefined, 'support-case:5')).body.error.code).toBe('invalid_justification');
  });
});
