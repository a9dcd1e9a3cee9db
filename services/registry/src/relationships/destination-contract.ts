/**
 * Destinations and their outbox (part of `describeRegistry`): creation with consent receipts, the
 * delivery window, queueing, leasing, retries, dead letters and replay, access-log aggregation,
 * and the end of a destination with its period. Test-only (imports vitest).
 */
import { describe, expect, it } from 'vitest';
import type { ProvisionedDevice, Registry } from '../registry';
import type { NewDestination, OutboxItem } from './destination-types';

export function destinationContract(get: () => Registry): void {
  const setup = async () => {
    const d: ProvisionedDevice = (await get().provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 }))[0]!;
    const { account } = await get().accounts.create({ kind: 'owner', role: 'owner', displayName: 'A', createdBy: 'self' });
    const period = await get().ownership.claim({ deviceId: d.id, ownerId: account.ownerId!, actorId: account.id, claimCode: d.claimCode });
    return { d, account, period };
  };
  const webhook = (periodId: string, extra: Partial<NewDestination> = {}): NewDestination => ({
    periodId,
    kind: 'webhook',
    name: 'Home server',
    url: 'https://home.example/hooks/parley?k=abc',
    metrics: ['power_w'],
    events: ['door_open'],
    createdBy: 'acc',
    ...extra,
  });
  const item = (destinationId: string, n: number, receivedAt = new Date()): OutboxItem => ({ destinationId, source: `p0:${n}`, receivedAt, message: { seq: n } });

  describe('destinations', () => {
    it('creates a webhook with a one-time secret, a consent receipt and a timeline entry without the URL path', async () => {
      const { d, account, period } = await setup();
      const { destination, receipt, secret } = await get().destinations.create(webhook(period.id, { createdBy: account.id }));
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(destination).toMatchObject({ deviceId: d.id, periodId: period.id, status: 'active', metrics: ['power_w'], events: ['door_open'], hasPassword: false });
      expect(destination.delivery).toMatchObject({ pending: 0, dead: 0, delivered: 0 });
      expect(JSON.stringify(destination)).not.toContain('whsec_');
      expect(receipt).toMatchObject({ id: destination.receiptId, kind: 'consent', periodId: period.id, granteeId: null });
      expect(receipt.body).toMatchObject({ version: 'KI-CR-v1.1.0', piiPrincipalId: account.ownerId, parley: { destinationId: destination.id, host: 'home.example' } });
      const entries = await get().timeline.list({ deviceId: d.id, fromMs: 0, toMs: Date.now() + 1000, order: 'asc', limit: 10 });
      const created = entries.find((e) => e.kind === 'destination_created')!;
      expect(created.body).toMatchObject({ destinationId: destination.id, host: 'home.example', kind: 'webhook' });
      expect(JSON.stringify(created.body)).not.toContain('hooks/parley');
    });

    it('creates an MQTT destination (no secret) and refuses bad shapes with stable codes', async () => {
      const { period } = await setup();
      const mqtt = await get().destinations.create({ periodId: period.id, kind: 'mqtt', name: 'My broker', url: 'mqtts://broker.example:8883', topic: 'home/fridge', username: 'me', password: 'pw', metrics: ['*'], events: [], createdBy: 'acc' });
      expect(mqtt.secret).toBeNull();
      expect(mqtt.destination).toMatchObject({ topic: 'home/fridge', username: 'me', hasPassword: true });
      const bad = (extra: Partial<NewDestination>) => get().destinations.create(webhook(period.id, extra));
      await expect(bad({ metrics: [], events: [] })).rejects.toMatchObject({ code: 'invalid_destination_scope', status: 400 });
      await expect(bad({ metrics: ["x'; drop"] })).rejects.toMatchObject({ code: 'invalid_destination_scope' });
      await expect(bad({ kind: 'mqtt', topic: 'home/#' })).rejects.toMatchObject({ code: 'invalid_topic' });
      await expect(bad({ kind: 'mqtt' })).rejects.toMatchObject({ code: 'invalid_topic' });
      await expect(bad({ topic: 'x' })).rejects.toMatchObject({ code: 'invalid_destination' });
      await expect(bad({ name: ' ' })).rejects.toMatchObject({ code: 'invalid_destination' });
    });

    it('queues each log position once, leases a destination to one worker, and sends oldest first', async () => {
      const { d, period } = await setup();
      const { destination } = await get().destinations.create(webhook(period.id));
      const [target] = await get().outbox.targets([d.id], Date.now() - 1000);
      expect(target).toMatchObject({ id: destination.id, kind: 'webhook', toMs: null });
      expect(target!.secret).toMatch(/^whsec_/);
      expect(await get().outbox.enqueue([1, 2, 3].map((n) => item(destination.id, n)), 100)).toBe(3);
      expect(await get().outbox.enqueue([2, 3, 4].map((n) => item(destination.id, n)), 100)).toBe(1);
      const leased = await get().outbox.claim('w1', 30_000, 10);
      expect(leased.map((t) => t.id)).toContain(destination.id);
      expect((await get().outbox.claim('w2', 30_000, 10)).map((t) => t.id)).not.toContain(destination.id);
      expect((await get().outbox.head(destination.id, 10)).map((i) => i.message['seq'])).toEqual([1, 2, 3, 4]);
      await get().outbox.release(destination.id, 'w1');
      expect((await get().outbox.claim('w2', 30_000, 10)).map((t) => t.id)).toContain(destination.id);
    });

    it('backs off after a failure, dead-letters after the last attempt or a permanent refusal, and replays in order', async () => {
      const { period } = await setup();
      const { destination } = await get().destinations.create(webhook(period.id));
      await get().outbox.enqueue([1, 2, 3].map((n) => item(destination.id, n)), 100);
      const ids = (await get().outbox.head(destination.id, 10)).map((i) => i.id);
      const later = new Date(Date.now() + 3_600_000);
      expect(await get().outbox.failed(destination.id, ids.slice(0, 2), { error: 'HTTP 503', permanent: false, maxAttempts: 2, retryAt: later })).toBe(0);
      expect((await get().outbox.claim('w', 30_000, 100)).map((t) => t.id)).not.toContain(destination.id);
      expect(await get().outbox.failed(destination.id, ids.slice(0, 2), { error: 'HTTP 503', permanent: false, maxAttempts: 2, retryAt: new Date() })).toBe(2);
      expect(await get().outbox.failed(destination.id, [ids[2]!], { error: 'HTTP 410', permanent: true, maxAttempts: 8, retryAt: new Date() })).toBe(1);
      const got = (await get().destinations.get(destination.id))!;
      expect(got.delivery).toMatchObject({ pending: 0, dead: 3, deadLettered: 3, failedAttempts: 3, lastError: 'HTTP 410' });
      const page = await get().destinations.deadLetters({ destinationId: destination.id, limit: 2 });
      expect(page.items.map((i) => i.message['seq'])).toEqual([3, 2]);
      expect(page.items[1]).toMatchObject({ attempts: 2, lastError: 'HTTP 503', state: 'dead' });
      const rest = await get().destinations.deadLetters({ destinationId: destination.id, limit: 2, before: page.nextCursor! });
      expect(rest).toMatchObject({ nextCursor: null });
      expect(await get().destinations.replay(destination.id, [ids[0]!])).toBe(1);
      await get().outbox.enqueue([item(destination.id, 9)], 100);
      expect(await get().destinations.replay(destination.id)).toBe(2);
      expect((await get().outbox.head(destination.id, 10)).map((i) => [i.message['seq'], i.attempts])).toEqual([
        [1, 0],
        [2, 0],
        [3, 0],
        [9, 0],
      ]);
      await expect(get().destinations.replay(destination.id, ['x'])).rejects.toMatchObject({ code: 'invalid_dead_letter_ids' });
    });

    it('logs deliveries as one access-log row per destination and minute, counting the records', async () => {
      const { d, period } = await setup();
      const { destination } = await get().destinations.create(webhook(period.id));
      await get().outbox.enqueue([1, 2, 3].map((n) => item(destination.id, n)), 100);
      const [target] = await get().outbox.targets([d.id], 0);
      const queued = await get().outbox.head(destination.id, 10);
      await get().outbox.delivered(target!, queued.slice(0, 2).map((i) => i.id));
      await get().outbox.delivered(target!, [queued[2]!.id]);
      const { entries } = await get().accessLog.list({ deviceId: d.id, limit: 10 });
      expect(entries).toEqual([
        expect.objectContaining({ kind: 'destination', role: 'webhook', route: 'delivery', purpose: 'sent to Home server', accountId: destination.id, periodId: period.id, records: 3 }),
      ]);
      expect((await get().destinations.get(destination.id))!.delivery).toMatchObject({ pending: 0, delivered: 3 });
    });

    it('skips records beyond the queue limit and counts them', async () => {
      const { period } = await setup();
      const { destination } = await get().destinations.create(webhook(period.id));
      expect(await get().outbox.enqueue([1, 2, 3, 4].map((n) => item(destination.id, n)), 3)).toBe(3);
      expect((await get().destinations.get(destination.id))!.delivery).toMatchObject({ pending: 3, skipped: 1 });
    });

    it('ends with the period: its window closes at the transfer, the entry stays in the old period', async () => {
      const { d, account, period } = await setup();
      const { destination } = await get().destinations.create(webhook(period.id));
      const { code } = await get().ownership.startTransfer(period.id, account.id);
      const { account: next } = await get().accounts.create({ kind: 'owner', role: 'owner', createdBy: 'self' });
      const second = await get().ownership.claim({ deviceId: d.id, ownerId: next.ownerId!, actorId: next.id, transferCode: code });
      const ended = (await get().destinations.get(destination.id))!;
      expect(ended).toMatchObject({ status: 'ended', endReason: 'period_ended' });
      expect(ended.endedAt!.getTime()).toBe(second.startedAt.getTime());
      // Data received after the transfer finds no destination of the previous owner.
      expect(await get().outbox.targets([d.id], second.startedAt.getTime() + 1)).toEqual([]);
      const [old] = await get().outbox.targets([d.id], 0);
      expect(old!.toMs).toBe(second.startedAt.getTime());
      const inNewPeriod = await get().timeline.list({ deviceId: d.id, fromMs: second.startedAt.getTime(), toMs: Date.now() + 1000, order: 'asc', limit: 10 });
      expect(inNewPeriod.map((e) => e.kind)).not.toContain('destination_ended');
      const inOldPeriod = await get().timeline.list({ deviceId: d.id, fromMs: 0, toMs: second.startedAt.getTime(), order: 'asc', limit: 10 });
      expect(inOldPeriod.map((e) => e.kind)).toContain('destination_ended');
      await expect(get().destinations.create(webhook(period.id))).rejects.toMatchObject({ code: 'period_ended' });
    });

    it('deleting drops the queue; erasing the period deletes destinations and their dead letters', async () => {
      const { d, account, period } = await setup();
      const a = await get().destinations.create(webhook(period.id));
      const b = await get().destinations.create(webhook(period.id, { name: 'Backup' }));
      await get().outbox.enqueue([item(a.destination.id, 1), item(b.destination.id, 1)], 100);
      const removed = await get().destinations.remove(a.destination.id, account.id);
      expect(removed).toMatchObject({ status: 'deleted', delivery: { pending: 0 } });
      expect((await get().destinations.remove(a.destination.id, account.id)).endedAt).toEqual(removed.endedAt);
      expect((await get().outbox.targets([d.id], Date.now())).map((t) => t.id)).toEqual([b.destination.id]);
      const [bq] = await get().outbox.head(b.destination.id, 1);
      await get().outbox.failed(b.destination.id, [bq!.id], { error: 'HTTP 400', permanent: true, maxAttempts: 8, retryAt: new Date() });

      await get().erasure.end(period.id, account.id);
      expect((await get().destinations.get(b.destination.id))!.status).toBe('ended');
      const { counts } = await get().erasure.erase(period.id);
      expect(counts).toMatchObject({ destinations: 2, consent_receipts: 2 });
      expect(await get().destinations.ofPeriod(period.id)).toEqual([]);
      expect(await get().outbox.totals()).toEqual({ pending: 0, dead: 0 });
    });
  });
}
