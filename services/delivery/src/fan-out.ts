import { toRow } from '@parley/ingester';
import { fromUplinkRecord, type LogBatch } from '@parley/log';
import type { DeliveryTarget, OutboxItem, Registry } from '@parley/registry';
import type { UplinkRow } from '@parley/store';
import { scopedMessage } from './message';

/** True when the platform received `row` inside the window the destination may receive. */
const inWindow = (row: UplinkRow, t: DeliveryTarget) => row.receivedAtMs >= t.fromMs && (t.toMs === null || row.receivedAtMs < t.toMs);

/**
 * One log batch → the queues of the destinations that want its records. Only accepted, decodable
 * uplinks go out (dead letters stay with the platform); each is narrowed to the destination's
 * scope and dropped when nothing is left; only records the platform received inside the
 * destination's window (its creation to its end or its ownership period's end, by receive time)
 * are queued — so a new owner's data never reaches the previous owner's destination.
 * Resolves once the queue rows are durable: only then may the log offset move past the batch.
 */
export async function fanOut(batch: LogBatch, registry: Registry, maxPending: number): Promise<{ uplinks: number; queued: number }> {
  // Devices and receive times come from the broker's headers: the common case, no destination
  // for any device in the batch, costs one indexed query and no decoding.
  const accepted = batch.records.map(fromUplinkRecord).filter((e) => e.verdict === 'ok');
  if (accepted.length === 0) return { uplinks: 0, queued: 0 };
  const since = Math.min(...accepted.map((e) => e.receivedAtMs));
  const targets = await registry.outbox.targets([...new Set(accepted.map((e) => e.deviceId))], since);
  if (targets.length === 0) return { uplinks: accepted.length, queued: 0 };
  const byDevice = new Map<string, DeliveryTarget[]>();
  for (const t of targets) byDevice.set(t.deviceId, [...(byDevice.get(t.deviceId) ?? []), t]);
  const items: OutboxItem[] = [];
  for (const entry of accepted) {
    const wanted = byDevice.get(entry.deviceId);
    if (!wanted) continue;
    const converted = toRow(entry);
    if (converted.kind !== 'uplink') continue;
    const row = converted.row;
    for (const t of wanted) {
      if (!inWindow(row, t)) continue;
      const message = scopedMessage(row, t);
      if (message) items.push({ destinationId: t.id, source: row.source, receivedAt: new Date(row.receivedAtMs), message });
    }
  }
  return { uplinks: accepted.length, queued: await registry.outbox.enqueue(items, maxPending) };
}
