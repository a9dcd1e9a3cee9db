/**
 * The owner's voice in the registry contract (part of `describeRegistry`): notes with versions and
 * replies, ideas with one vote per ownership period and k-anonymous cohort counts. Test-only.
 */
import { describe, expect, it } from 'vitest';
import type { ProvisionedDevice, Registry } from '../registry';

export function voiceContract(get: () => Registry): void {
  const household = async () => (await get().accounts.create({ kind: 'owner', role: 'owner', createdBy: 'self' })).account;
  const devices = async (n: number, firmware = '1.0.0', model = 'washer-w2'): Promise<ProvisionedDevice[]> => get().provisionDevices({ model, firmware, count: n });
  const claim = async (d: ProvisionedDevice, ownerId: string) => get().ownership.claim({ deviceId: d.id, ownerId, actorId: 'acc', claimCode: d.claimCode });
  const timeline = async (deviceId: string) => get().timeline.list({ deviceId, fromMs: 0, toMs: Date.now() + 3_600_000, order: 'asc', limit: 50 });

  describe('notes pinned to a moment', () => {
    it('keeps every version, shows the current one in the timeline, threads replies there, and refuses other authors, bad input and ended periods', async () => {
      const [d] = await devices(1);
      const a = await household();
      const p = await claim(d!, a.ownerId!);
      const at = new Date();
      const note = await get().notes.create({ periodId: p.id, authorId: a.id, at, until: new Date(), category: 'noise', text: 'Loud rattle during the spin' });
      expect(note).toMatchObject({ deviceId: d!.id, periodId: p.id, version: 1, status: 'open', firmware: '1.0.0', category: 'noise' });

      const edited = await get().notes.edit(note.id, a.id, { at, category: 'noise', text: 'Loud rattle during the 1400 rpm spin' });
      expect(edited.version).toBe(2);
      const replied = await get().notes.reply({ noteId: note.id, authorId: 'eng', authorKind: 'manufacturer', text: 'Could you check the transit bolts?' });
      expect(replied.replies.map((r) => r.authorKind)).toEqual(['manufacturer']);

      const entries = (await timeline(d!.id)).filter((e) => e.kind === 'note');
      expect(entries).toHaveLength(1);
      expect(entries[0]!.at.getTime()).toBe(at.getTime());
      expect(entries[0]!.body).toMatchObject({ noteId: note.id, version: 2, text: 'Loud rattle during the 1400 rpm spin', replies: [{ text: 'Could you check the transit bolts?' }] });

      const withdrawn = await get().notes.withdraw(note.id, a.id);
      expect(withdrawn).toMatchObject({ status: 'withdrawn', text: null, version: 3 });
      expect((await timeline(d!.id)).find((e) => e.kind === 'note')!.body).toMatchObject({ status: 'withdrawn', text: null });
      expect((await get().notes.history(note.id)).map((v) => [v.version, v.status, v.text])).toEqual([
        [1, 'open', 'Loud rattle during the spin'],
        [2, 'open', 'Loud rattle during the 1400 rpm spin'],
        [3, 'withdrawn', 'Loud rattle during the 1400 rpm spin'],
      ]);
      await expect(get().notes.edit(note.id, a.id, { at, category: 'noise', text: 'again' })).rejects.toMatchObject({ code: 'note_withdrawn' });
      // Refusals, on a device of their own.
      {
        const [d] = await devices(1);
        const a = await household();
        const p = await claim(d!, a.ownerId!);
        const base = { periodId: p.id, authorId: a.id, category: 'leak', text: 'Water under the door' };
        await expect(get().notes.create({ ...base, at: new Date(p.startedAt.getTime() - 60_000) })).rejects.toMatchObject({ code: 'invalid_note_time' });
        await expect(get().notes.create({ ...base, at: new Date(Date.now() + 86_400_000) })).rejects.toMatchObject({ code: 'invalid_note_time' });
        await expect(get().notes.create({ ...base, at: new Date(), until: new Date(Date.now() - 60_000) })).rejects.toMatchObject({ code: 'invalid_note_time' });
        await expect(get().notes.create({ ...base, at: new Date(), category: 'vibes' })).rejects.toMatchObject({ code: 'invalid_note_category' });
        const note = await get().notes.create({ ...base, at: new Date() });
        await expect(get().notes.edit(note.id, 'someone-else', { at: new Date(), category: 'leak', text: 'x' })).rejects.toMatchObject({ code: 'note_not_yours', status: 403 });
        await get().ownership.end(p.id, 'release', a.id);
        await expect(get().notes.create({ ...base, at: new Date() })).rejects.toMatchObject({ code: 'period_ended' });
        await expect(get().notes.withdraw(note.id, a.id)).rejects.toMatchObject({ code: 'period_ended' });
      }
    });

    it('counts feedback per day, category and firmware; leaves out opted-out periods; suppresses groups under k', async () => {
      const ds = await devices(3, '2.0.0', 'dryer-d9');
      const periods = [];
      for (const d of ds) periods.push(await claim(d, (await household()).ownerId!));
      for (const p of periods) await get().notes.create({ periodId: p.id, authorId: 'acc', at: new Date(), category: 'smell', text: 'Burnt smell' });
      await get().notes.create({ periodId: periods[0]!.id, authorId: 'acc', at: new Date(), category: 'noise', text: 'Squeak' });
      const q = { fromMs: Date.now() - 86_400_000, toMs: Date.now() + 60_000, bucket: 'day' as const, model: 'dryer-d9', excludeDevices: [] };
      const k2 = await get().notes.counts({ ...q, minDevices: 2 });
      expect(k2.rows.map((r) => [r.category, r.firmware, r.notes, r.devices])).toEqual([['smell', '2.0.0', 3, 3]]);
      expect(k2.suppressedGroups).toBe(1);
      await get().ownership.setFleetAnalytics(periods[1]!.id, false, 'acc');
      const optedOut = await get().notes.counts({ ...q, minDevices: 1, excludeDevices: [ds[2]!.id] });
      expect(optedOut.rows.map((r) => [r.category, r.notes])).toEqual([
        ['noise', 1],
        ['smell', 1],
      ]);
    });
  });

  describe('ideas and votes', () => {
    it('one vote per ownership period (it can change; a transfer does not carry it), and only for ideas of the device model', async () => {
      const [d] = await devices(1);
      const a = await household();
      const b = await household();
      const pa = await claim(d!, a.ownerId!);
      const idea = await get().ideas.create({ model: 'washer-w2', title: 'Quieter night cycle', body: 'Slower spin after 22:00', authorId: 'eng', authorKind: 'manufacturer' }, 1);
      await get().ideas.vote({ ideaId: idea.id, periodId: pa.id, accountId: a.id, value: 'up' });
      await get().ideas.vote({ ideaId: idea.id, periodId: pa.id, accountId: a.id, value: 'down' });
      expect((await get().ideas.get(idea.id, { accountId: a.id, ownerId: a.ownerId! }, 1))).toMatchObject({ tally: { up: 0, down: 1 }, myVotes: [{ deviceId: d!.id, value: 'down' }] });

      const { code } = await get().ownership.startTransfer(pa.id, a.id);
      const pb = await get().ownership.claim({ deviceId: d!.id, ownerId: b.ownerId!, actorId: b.id, transferCode: code });
      expect((await get().ideas.get(idea.id, { accountId: b.id, ownerId: b.ownerId! }, 1))!.myVotes).toEqual([]);
      await expect(get().ideas.vote({ ideaId: idea.id, periodId: pa.id, accountId: a.id, value: 'up' })).rejects.toMatchObject({ code: 'period_ended' });
      await get().ideas.vote({ ideaId: idea.id, periodId: pb.id, accountId: b.id, value: 'up' });
      expect((await get().ideas.get(idea.id, { accountId: b.id }, 1))!.tally).toEqual({ up: 1, down: 1, suppressed: false });
      await get().ideas.unvote(idea.id, pb.id);
      await expect(get().ideas.unvote(idea.id, pb.id)).rejects.toMatchObject({ code: 'vote_not_found' });

      const shipped = await get().ideas.update({ ideaId: idea.id, status: 'shipped', message: 'Shipped in 2.1', authorId: 'eng' }, 1);
      expect(shipped.updates.map((u) => [u.status, u.message])).toEqual([['shipped', 'Shipped in 2.1']]);
      await expect(get().ideas.vote({ ideaId: idea.id, periodId: pb.id, accountId: b.id, value: 'up' })).rejects.toMatchObject({ code: 'idea_closed' });
      // The outcome reaches the current owner's conversation, after the claim.
      const outcome = (await timeline(d!.id)).filter((e) => e.kind === 'idea_update');
      expect(outcome).toHaveLength(1);
      expect(outcome[0]!.at.getTime()).toBeGreaterThanOrEqual(pb.startedAt.getTime());
      // Another model's idea, on a device of its own.
      {
        const [d] = await devices(1, '1.0.0', 'fridge-x1');
        const a = await household();
        const p = await claim(d!, a.ownerId!);
        const idea = await get().ideas.create({ model: 'oven-o1', title: 'Pyrolysis timer', body: 'Shorter cycle', authorId: 'eng', authorKind: 'manufacturer' }, 1);
        await expect(get().ideas.vote({ ideaId: idea.id, periodId: p.id, accountId: a.id, value: 'up' })).rejects.toMatchObject({ code: 'idea_not_found' });
        await expect(get().ideas.create({ model: 'oven-o1', title: 'Mine', body: 'x', authorId: a.id, authorKind: 'owner', periodId: p.id }, 1)).rejects.toMatchObject({ code: 'invalid_model' });
        const own = await get().ideas.create({ model: 'fridge-x1', title: 'Holiday mode', body: 'Keep 15 °C while away', authorId: a.id, authorKind: 'owner', periodId: p.id }, 1);
        expect(own).toMatchObject({ status: 'proposed', authorKind: 'owner' });
        expect((await get().ideas.list({ models: ['fridge-x1'] }, 1)).map((i) => i.id)).toContain(own.id);
      }
    });

    it('counts votes by firmware with k households per group, merging small groups and opt-outs into "other"', async () => {
      const model = 'heatpump-h3';
      const idea = await get().ideas.create({ model, title: 'Eco mode by default', body: 'Lower flow temperature', authorId: 'eng', authorKind: 'manufacturer' }, 2);
      const vote = async (firmware: string, value: 'up' | 'down', tags: string[] = [], optOut = false) => {
        const [d] = await devices(1, firmware, model);
        if (tags.length) await get().setTags(d!.id, tags);
        const h = await household();
        const p = await claim(d!, h.ownerId!);
        if (optOut) await get().ownership.setFleetAnalytics(p.id, false, h.id);
        await get().ideas.vote({ ideaId: idea.id, periodId: p.id, accountId: h.id, value });
      };
      await vote('1.0.0', 'up', ['region:eu']);
      expect(await get().ideas.cohorts(idea.id, 'firmware', 2)).toMatchObject({ tally: { up: null, down: null, suppressed: true }, groups: [], other: null, suppressedGroups: 1 });
      await vote('1.0.0', 'up', ['region:eu']);
      await vote('1.0.0', 'down', ['region:eu']);
      await vote('2.0.0', 'up', ['region:us']);
      await vote('2.0.0', 'down', [], true);

      const fw = await get().ideas.cohorts(idea.id, 'firmware', 2);
      expect(fw.tally).toEqual({ up: 3, down: 2, suppressed: false });
      // 2.0.0 has one consenting household: merged with the opted-out one into "other" (2 households).
      expect(fw.groups).toEqual([{ cohort: '1.0.0', up: 2, down: 1, households: 3 }]);
      expect(fw.other).toEqual({ cohort: 'other', up: 1, down: 1, households: 2 });
      expect(fw.suppressedGroups).toBe(1);

      // k = 3: "other" (2) is too small, so the smallest shown group joins it; nothing per firmware is left.
      const k3 = await get().ideas.cohorts(idea.id, 'firmware', 3);
      expect(k3.groups).toEqual([]);
      expect(k3.other).toEqual({ cohort: 'other', up: 3, down: 2, households: 5 });

      // By tag: region:eu (3) is shown since the rest (2) also reaches k = 2; region:us (1) is not.
      const tags = await get().ideas.cohorts(idea.id, 'tag', 2);
      expect(tags.groups).toEqual([{ cohort: 'region:eu', up: 2, down: 1, households: 3 }]);
      expect(tags.suppressedGroups).toBe(1);
      expect((await get().ideas.cohorts(idea.id, 'tag', 3)).groups).toEqual([]);
    });
  });
}
