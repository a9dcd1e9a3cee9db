import type { UplinkRow } from '@parley/store';

/** Newly stored uplinks of one device, pushed as they become queryable. */
export interface LiveFeed {
  /** Calls `fn` for each stored uplink of `deviceId` until the returned function is called. */
  subscribe(deviceId: string, fn: (row: UplinkRow) => void): () => void;
}

/** An in-process feed: the ingester publishes every stored batch (embedded mode). */
export function createLiveFeed(): LiveFeed & { publish(rows: readonly UplinkRow[]): void; devices(): ReadonlySet<string> } {
  const subscribers = new Map<string, Set<(row: UplinkRow) => void>>();
  return {
    subscribe(deviceId, fn) {
      let set = subscribers.get(deviceId);
      if (!set) subscribers.set(deviceId, (set = new Set()));
      set.add(fn);
      return () => {
        set.delete(fn);
        if (set.size === 0) subscribers.delete(deviceId);
      };
    },
    /** The devices someone is watching: the ingester hands over only their rows. */
    devices() {
      return new Set(subscribers.keys());
    },
    publish(rows) {
      if (subscribers.size === 0) return;
      for (const row of rows) {
        const set = subscribers.get(row.deviceId);
        if (set) for (const fn of set) fn(row);
      }
    },
  };
}
