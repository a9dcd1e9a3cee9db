import type { UplinkItem } from './queries/conversation';
import type { UplinkRow } from './rows';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * A just-ingested uplink in the conversation's item shape — what the live tail and the owner's
 * destinations send — with the samples, events and command results the reader may see (the
 * caller narrows them; pass `row`'s own for everything).
 */
export function uplinkItem(row: UplinkRow, visible: Pick<UplinkRow, 'samples' | 'events' | 'commandResults'>): UplinkItem {
  return {
    kind: 'uplink',
    id: `${row.bootId}:${String(row.seq).padStart(10, '0')}`,
    time: iso(row.deviceTimeMs),
    receivedAt: iso(row.receivedAtMs),
    bootId: row.bootId,
    seq: row.seq,
    firmware: row.firmware,
    samples: visible.samples.map((s) => ({ metric: s.metric, value: s.value, time: iso(s.timeMs) })),
    events: visible.events.map((e) => ({ code: e.code, severity: e.severity, time: iso(e.timeMs), message: e.message, attributes: e.attributes })),
    commandResults: visible.commandResults.map((c) => ({ commandId: c.commandId, status: c.status, time: iso(c.timeMs), detail: c.detail })),
  };
}
