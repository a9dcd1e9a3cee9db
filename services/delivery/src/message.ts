import { uplinkItem, type UplinkRow } from '@parley/store';

/** What a destination receives of a device: metric names and event codes, `*` = all of that kind. */
export interface MessageScope {
  metrics: readonly string[];
  events: readonly string[];
}

const allowed = (names: readonly string[]): ((name: string) => boolean) => {
  if (names.includes('*')) return () => true;
  const set = new Set(names);
  return (name) => set.has(name);
};

/**
 * One uplink as a destination receives it: the conversation item shape (so a receiver parses the
 * same JSON as the API returns) with the device id, narrowed to the scope's samples and events.
 * Command results are left out, as for grantees. Null when nothing in the uplink is in scope: it
 * is not sent at all.
 */
export function scopedMessage(row: UplinkRow, scope: MessageScope): Record<string, unknown> | null {
  const metricOk = allowed(scope.metrics);
  const eventOk = allowed(scope.events);
  const samples = row.samples.filter((s) => metricOk(s.metric));
  const events = row.events.filter((e) => eventOk(e.code));
  if (samples.length === 0 && events.length === 0) return null;
  return { ...uplinkItem(row, { samples, events, commandResults: [] }), deviceId: row.deviceId };
}
