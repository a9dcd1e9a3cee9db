import type { SoakApi } from './api-client';

/**
 * What the simulator got PUBACKs for, per device, as `bootId:seq` — the identity the platform
 * de-duplicates on, so the same key is what the store is checked against.
 */
export class AckLedger {
  private readonly byDevice = new Map<string, Set<string>>();
  private count = 0;

  add(deviceId: string, bootId: string, seq: number): void {
    let keys = this.byDevice.get(deviceId);
    if (!keys) this.byDevice.set(deviceId, (keys = new Set()));
    const before = keys.size;
    keys.add(`${bootId}:${seq}`);
    if (keys.size > before) this.count++;
  }

  get size(): number {
    return this.count;
  }

  keys(deviceId: string): ReadonlySet<string> {
    return this.byDevice.get(deviceId) ?? new Set();
  }
}

/** The outcome of comparing acknowledged with stored messages. */
export interface Reconciliation {
  /** Distinct messages the store holds for the fleet's devices. */
  stored: number;
  /** Acknowledged but not in the store. Must be 0. */
  lost: number;
  /** Rows beyond the first for one (device, bootId, seq) in query results. Must be 0. */
  duplicates: number;
  /** Stored but never acknowledged: the PUBACK was lost in a kill, the re-send was de-duplicated. Allowed. */
  storedUnacked: number;
  /** A few examples of lost and duplicated keys, for the report. */
  examples: string[];
}

interface UplinkPage {
  items: { kind: string; bootId?: string; seq?: number }[];
  nextCursor?: string | null;
}

/** Every uplink key the API returns for one device, in order, repeats included. */
async function storedKeys(api: SoakApi, deviceId: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await api.get<UplinkPage>(
      `/v1/devices/${encodeURIComponent(deviceId)}/conversation?order=asc&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    for (const item of page.items) if (item.kind === 'uplink') keys.push(`${item.bootId}:${item.seq}`);
    cursor = page.nextCursor;
  } while (cursor);
  return keys;
}

/** Reads every device's conversation through the API and compares it with the ledger. */
export async function reconcile(api: SoakApi, deviceIds: readonly string[], ledger: AckLedger): Promise<Reconciliation> {
  const r: Reconciliation = { stored: 0, lost: 0, duplicates: 0, storedUnacked: 0, examples: [] };
  for (const id of deviceIds) {
    const seen = new Set<string>();
    for (const key of await storedKeys(api, id)) {
      if (seen.has(key)) {
        r.duplicates++;
        if (r.examples.length < 10) r.examples.push(`duplicate ${id} ${key}`);
      }
      seen.add(key);
    }
    r.stored += seen.size;
    const acked = ledger.keys(id);
    for (const key of acked) {
      if (!seen.has(key)) {
        r.lost++;
        if (r.examples.length < 10) r.examples.push(`lost ${id} ${key}`);
      }
    }
    for (const key of seen) if (!acked.has(key)) r.storedUnacked++;
  }
  return r;
}
