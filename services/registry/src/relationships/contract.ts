/**
 * The owner's side of the registry contract (part of `describeRegistry`): claiming, transfer,
 * tokens, grants, access log, inferences, commands. Test-only (imports vitest).
 */
import { describe, expect, it } from 'vitest';
import type { ProvisionedDevice, Registry } from '../registry';
import { CLAIM_MAX_FAILURES } from './ownership';
import { voiceContract } from './voice-contract';

export function relationshipContract(get: () => Registry): void {
  const household = async (name = 'Household') => (await get().accounts.create({ kind: 'owner', role: 'owner', displayName: name, createdBy: 'self' })).account;
  const device = async (): Promise<ProvisionedDevice> => (await get().provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 }))[0]!;
  const claim = async (d: ProvisionedDevice, ownerId: string, actorId = 'acc') => get().ownership.claim({ deviceId: d.id, ownerId, actorId, claimCode: d.claimCode });

  describe('accounts and tokens', () => {
    it('authenticates a fresh token and refuses revoked, malformed and wrong ones', async () => {
      const { account, token } = await get().accounts.create({ kind: 'grantee', role: 'grantee', displayName: 'Energy app', createdBy: 'self' });
      expect(token.token).toMatch(/^prl_tok_[0-9a-z]{16}_[A-Za-z0-9_-]{43}$/);
      expect((await get().accounts.authenticate(token.token))?.account.id).toBe(account.id);
      expect(await get().accounts.authenticate(token.token.slice(0, -1) + (token.token.endsWith('A') ? 'B' : 'A'))).toBeNull();
      expect(await get().accounts.authenticate('nonsense')).toBeNull();
      await get().accounts.revokeToken(account.id, token.id);
      expect(await get().accounts.authenticate(token.token)).toBeNull();
      await expect(get().accounts.revokeToken('someone-else', token.id)).rejects.toMatchObject({ code: 'token_not_found' });
    });

    it('puts household members in the same household and rejects unknown roles', async () => {
      const head = await household();
      const { account: member } = await get().accounts.create({ kind: 'owner', role: 'viewer', ownerId: head.ownerId!, createdBy: head.id });
      expect(member.ownerId).toBe(head.ownerId);
      expect((await get().accounts.household(head.ownerId!)).map((a) => a.id)).toEqual([head.id, member.id]);
      await expect(get().accounts.create({ kind: 'owner', role: 'admin', createdBy: 'x' })).rejects.toMatchObject({ code: 'invalid_role' });
    });
  });

  describe('claiming and ownership periods', () => {
    it('claims once with the code from the box; a second claim conflicts', async () => {
      const d = await device();
      const a = await household('A');
      const period = await claim(d, a.ownerId!, a.id);
      expect(period).toMatchObject({ deviceId: d.id, ownerId: a.ownerId, endedAt: null, fleetAnalytics: true });
      const b = await household('B');
      // The code is one-time: after the claim it no longer matches anything.
      await expect(claim(d, b.ownerId!)).rejects.toMatchObject({ code: 'invalid_claim_code', status: 403 });
      expect((await get().ownership.current(d.id))?.id).toBe(period.id);
    });

    it(`rate-limits wrong codes: after ${CLAIM_MAX_FAILURES} failures even the right code is refused`, async () => {
      const d = await device();
      const a = await household();
      for (let i = 0; i < CLAIM_MAX_FAILURES; i++) {
        await expect(get().ownership.claim({ deviceId: d.id, ownerId: a.ownerId!, actorId: a.id, claimCode: 'AAAA-AAAA-AAAA' })).rejects.toMatchObject({ code: 'invalid_claim_code' });
      }
      await expect(claim(d, a.ownerId!)).rejects.toMatchObject({ code: 'claim_rate_limited', status: 429 });
    });

    it('accepts a code typed loosely (lower case, no dashes)', async () => {
      const d = await device();
      const a = await household();
      await get().ownership.claim({ deviceId: d.id, ownerId: a.ownerId!, actorId: a.id, claimCode: d.claimCode.toLowerCase().replaceAll('-', '') });
      expect((await get().ownership.current(d.id))?.ownerId).toBe(a.ownerId);
    });

    it('transfers with a one-time code: old period and its grants end, a replayed code is refused', async () => {
      const d = await device();
      const a = await household('A');
      const b = await household('B');
      const c = await household('C');
      const first = await claim(d, a.ownerId!, a.id);
      const { account: app } = await get().accounts.create({ kind: 'grantee', role: 'grantee', displayName: 'App', createdBy: a.id });
      const { grant } = await get().grants.create({ periodId: first.id, granteeId: app.id, metrics: ['cabinet.temp_c'], events: [], expiresAt: new Date(Date.now() + 86_400_000), purpose: 'energy tips', createdBy: a.id });
      expect((await get().grants.activeFor(app.id, d.id)).map((g) => g.id)).toEqual([grant.id]);

      const { code } = await get().ownership.startTransfer(first.id, a.id);
      const second = await get().ownership.claim({ deviceId: d.id, ownerId: b.ownerId!, actorId: b.id, transferCode: code });
      expect(second.ownerId).toBe(b.ownerId);
      const history = await get().ownership.history(d.id);
      expect(history.map((p) => [p.ownerId, p.endReason])).toEqual([
        [a.ownerId, 'transfer'],
        [b.ownerId, null],
      ]);
      expect(history[0]!.endedAt!.getTime()).toBe(second.startedAt.getTime());
      expect(await get().grants.activeFor(app.id, d.id)).toEqual([]);
      expect((await get().grants.get(grant.id))?.status).toBe('ended');
      await expect(get().ownership.claim({ deviceId: d.id, ownerId: c.ownerId!, actorId: c.id, transferCode: code })).rejects.toMatchObject({ code: 'transfer_code_used', status: 409 });
    });

    it('release ends the period; a reissued claim code lets the next owner claim', async () => {
      const d = await device();
      const a = await household();
      const p = await claim(d, a.ownerId!);
      await expect(get().ownership.reissueClaimCode(d.id, 'eng')).rejects.toMatchObject({ code: 'device_already_owned' });
      expect((await get().ownership.end(p.id, 'release', a.id)).endReason).toBe('release');
      const code = await get().ownership.reissueClaimCode(d.id, a.id);
      const b = await household();
      await get().ownership.claim({ deviceId: d.id, ownerId: b.ownerId!, actorId: b.id, claimCode: code });
      expect((await get().ownership.ofOwner(a.ownerId!, d.id)).map((x) => x.endReason)).toEqual(['release']);
    });

    it('lists opted-out devices', async () => {
      const d = await device();
      const a = await household();
      const p = await claim(d, a.ownerId!);
      await get().ownership.setFleetAnalytics(p.id, false, a.id);
      expect(await get().ownership.fleetOptOuts()).toContain(d.id);
    });
  });

  describe('grants, receipts, timeline', () => {
    it('issues a consent receipt, revokes immediately, and records both on the timeline', async () => {
      const d = await device();
      const a = await household();
      const p = await claim(d, a.ownerId!, a.id);
      const { account: app } = await get().accounts.create({ kind: 'grantee', role: 'grantee', displayName: 'Insurer', createdBy: a.id });
      const { grant, receipt } = await get().grants.create({
        periodId: p.id,
        granteeId: app.id,
        metrics: ['power_w', 'cabinet.temp_c'],
        events: ['door_open'],
        expiresAt: new Date(Date.now() + 7 * 86_400_000),
        purpose: 'home insurance discount',
        createdBy: a.id,
      });
      expect(receipt).toMatchObject({ id: grant.receiptId, kind: 'consent', deviceId: d.id });
      expect(receipt.body).toMatchObject({ version: 'KI-CR-v1.1.0', consentReceiptID: grant.receiptId, piiPrincipalId: a.ownerId });
      expect((await get().grants.revoke(grant.id, a.id)).status).toBe('revoked');
      expect(await get().grants.activeFor(app.id, d.id)).toEqual([]);
      const kinds = (await get().timeline.list({ deviceId: d.id, fromMs: 0, toMs: Date.now() + 1000, order: 'asc', limit: 10 })).map((e) => e.kind);
      expect(kinds).toEqual(['claimed', 'grant_created', 'grant_revoked']);
    });

    it('refuses grants without scope or purpose', async () => {
      const d = await device();
      const a = await household();
      const p = await claim(d, a.ownerId!);
      const { account: app } = await get().accounts.create({ kind: 'grantee', role: 'grantee', createdBy: a.id });
      const base = { periodId: p.id, granteeId: app.id, expiresAt: new Date(Date.now() + 86_400_000), createdBy: a.id };
      await expect(get().grants.create({ ...base, metrics: [], events: [], purpose: 'x y z' })).rejects.toMatchObject({ code: 'invalid_grant_scope' });
      await expect(get().grants.create({ ...base, metrics: ['power_w'], events: [], purpose: '' })).rejects.toMatchObject({ code: 'invalid_purpose' });
      await expect(get().grants.create({ ...base, metrics: ["x'; drop"], events: [], purpose: 'tips' })).rejects.toMatchObject({ code: 'invalid_grant_scope' });
    });
  });

  describe('access log', () => {
    it('lists reads newest first, page by page, optionally per period', async () => {
      const log = get().accessLog;
      for (let i = 0; i < 3; i++) {
        await log.record({ deviceId: 'dev-x', periodId: i === 0 ? 'per_a' : 'per_b', accountId: 'eng', kind: 'manufacturer', role: 'admin', route: 'conversation', purpose: `support-case:${i}`, grantId: null });
      }
      const page = await log.list({ deviceId: 'dev-x', limit: 2 });
      expect(page.entries.map((e) => e.purpose)).toEqual(['support-case:2', 'support-case:1']);
      const rest = await log.list({ deviceId: 'dev-x', limit: 2, before: page.nextCursor! });
      expect(rest.entries.map((e) => e.purpose)).toEqual(['support-case:0']);
      expect(rest.nextCursor).toBeNull();
      expect((await log.list({ deviceId: 'dev-x', limit: 10, periodIds: ['per_a'] })).entries).toHaveLength(1);
    });
  });

  describe('inferences and disputes', () => {
    it('an owner dispute changes the status; the manufacturer responds', async () => {
      const d = await device();
      const inf = await get().inferences.create({ deviceId: d.id, code: 'misuse_suspected', title: 'Door left open', detail: 'Door open 40% of the day', evidence: [{ kind: 'event', ref: 'door_open' }], authorId: 'eng' });
      expect(inf.status).toBe('open');
      const disputed = await get().inferences.addNote({ inferenceId: inf.id, kind: 'dispute', body: 'I was defrosting it', authorId: 'acc', authorKind: 'owner' });
      expect(disputed.status).toBe('disputed');
      const answered = await get().inferences.addNote({ inferenceId: inf.id, kind: 'response', body: 'Agreed, withdrawn', authorId: 'eng', authorKind: 'manufacturer', status: 'withdrawn' });
      expect(answered.status).toBe('withdrawn');
      expect(answered.notes.map((n) => n.kind)).toEqual(['dispute', 'response']);
      await expect(get().inferences.create({ deviceId: d.id, code: 'x_y', title: 't', detail: 'd', evidence: [], authorId: 'eng' })).rejects.toMatchObject({ code: 'invalid_evidence' });
    });
  });

  describe('commands with consent', () => {
    it('waits for the owner, unless a standing policy or an emergency class applies', async () => {
      const d = await device();
      const a = await household();
      const p = await claim(d, a.ownerId!);
      const propose = (cls: string, emergency = false) =>
        get().commands.propose({ deviceId: d.id, class: cls, kind: 'command', body: { name: cls }, reason: 'ice build-up detected', emergency, proposedBy: 'eng', expiresAt: new Date(Date.now() + 3_600_000) });
      const pending = await propose('defrost');
      expect(pending).toMatchObject({ state: 'pending', approval: null });
      const approved = await get().commands.decide(pending.id, 'approve', a.id);
      expect(approved).toMatchObject({ state: 'approved', approval: 'owner', decidedBy: a.id });
      await expect(get().commands.decide(pending.id, 'decline', a.id)).rejects.toMatchObject({ code: 'command_not_pending' });
      expect((await get().commands.markSent(pending.id)).state).toBe('sent');
      expect((await get().commands.recordResult(d.id, pending.id, 'ok', '', Date.now()))?.state).toBe('acked');
      expect(await get().commands.recordResult(d.id, 'cmd_unknown', 'ok', '', Date.now())).toBeNull();

      await get().commands.setPolicy(p.id, 'defrost', true, a.id);
      expect((await propose('defrost')).approval).toBe('policy');
      expect((await propose('shutdown', true)).approval).toBe('emergency');
      expect((await propose('reboot')).state).toBe('pending');
    });
  });

  describe('erasure', () => {
    it("ends the period and deletes the household's records of it, leaving other periods alone", async () => {
      const d = await device();
      const a = await household('A');
      const p = await claim(d, a.ownerId!, a.id);
      const { account: app } = await get().accounts.create({ kind: 'grantee', role: 'grantee', createdBy: a.id });
      await get().grants.create({ periodId: p.id, granteeId: app.id, metrics: ['*'], events: [], expiresAt: new Date(Date.now() + 86_400_000), purpose: 'backup', createdBy: a.id });
      await get().accessLog.record({ deviceId: d.id, periodId: p.id, accountId: a.id, kind: 'owner', role: 'owner', route: 'conversation', purpose: 'owner', grantId: null });
      await get().commands.propose({ deviceId: d.id, class: 'defrost', kind: 'command', body: {}, reason: 'ice build-up', emergency: false, proposedBy: 'eng', expiresAt: new Date(Date.now() + 60_000) });
      await get().accessLog.record({ deviceId: d.id, periodId: 'per_other', accountId: 'x', kind: 'owner', role: 'owner', route: 'conversation', purpose: 'owner', grantId: null });
      const note = await get().notes.create({ periodId: p.id, authorId: a.id, at: new Date(), category: 'noise', text: 'Humming at night' });
      await get().notes.reply({ noteId: note.id, authorId: 'eng', authorKind: 'manufacturer', text: 'Thanks, looking into it' });
      const theirs = await get().ideas.create({ model: 'fridge-x1', title: 'Eco mode', body: 'Default to eco', authorId: 'eng', authorKind: 'manufacturer' }, 1);
      await get().ideas.vote({ ideaId: theirs.id, periodId: p.id, accountId: a.id, value: 'up' });
      await get().ideas.comment({ ideaId: theirs.id, periodId: p.id, authorId: a.id, authorKind: 'owner', text: 'Yes please' });
      const mine = await get().ideas.create({ model: 'fridge-x1', title: 'Holiday mode', body: 'Keep it warm while away', authorId: a.id, authorKind: 'owner', periodId: p.id }, 1);

      await expect(get().erasure.erase(p.id)).rejects.toMatchObject({ code: 'period_open' });
      const ended = await get().erasure.end(p.id, a.id);
      expect(ended).toMatchObject({ endReason: 'erased' });
      const { counts } = await get().erasure.erase(p.id);
      expect(counts).toMatchObject({ access_log: 1, grants: 1, consent_receipts: 1, commands: 1, notes: 1, idea_votes: 1, idea_comments: 1, ideas: 1 });
      expect(await get().notes.get(note.id)).toBeNull();
      expect(await get().notes.history(note.id)).toEqual([]);
      expect(await get().ideas.get(mine.id, { accountId: a.id }, 1)).toBeNull();
      expect(await get().ideas.get(theirs.id, { accountId: a.id }, 1)).toMatchObject({ tally: { up: 0, down: 0 }, comments: [] });
      expect(counts['timeline']).toBeGreaterThanOrEqual(3);
      expect(await get().grants.ofPeriod(p.id)).toEqual([]);
      expect((await get().accessLog.list({ deviceId: d.id, limit: 10 })).entries.map((e) => e.periodId)).toEqual(['per_other']);
      expect(await get().ownership.current(d.id)).toBeNull();
      // Erasing again finds nothing left.
      expect((await get().erasure.erase(p.id)).counts).toMatchObject({ access_log: 0, grants: 0, timeline: 0, notes: 0, idea_votes: 0 });
    });
  });

  voiceContract(get);
}
