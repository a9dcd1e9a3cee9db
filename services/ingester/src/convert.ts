import type { UplinkLogEntry } from '@parley/log';
import { encodeUplinks, type DeadLetterRow, type UplinkRow } from '@parley/store/rows';
import { toRow } from './to-rows';

/**
 * A batch of log entries turned into what the ingester does with it: one insert body for the
 * store, and the few facts its side effects need. Small on purpose: it crosses a thread boundary.
 */
export interface ConvertedBatch {
  /** TabSeparated `uplinks` rows (empty when the batch had none). */
  uplinksTsv: Uint8Array;
  uplinks: number;
  /** Broker receive time of each uplink, for the ingest-to-queryable latency. */
  receivedAtMs: Float64Array;
  /** [device, firmware] wherever a device's firmware differs from its previous message in the batch. */
  firmware: [string, string][];
  commandResults: { deviceId: string; results: UplinkRow['commandResults'] }[];
  dead: DeadLetterRow[];
  /** Position in the batch of each dead letter's record. */
  deadIndexes: number[];
  /** The uplinks of the devices asked for (live tail), whole. */
  rows: UplinkRow[];
}

/**
 * Decodes, validates and encodes a batch. `rowsFor` names the devices whose whole rows are wanted
 * back: null for all of them.
 */
export function convertBatch(entries: readonly UplinkLogEntry[], rowsFor: ReadonlySet<string> | null): ConvertedBatch {
  const uplinks: UplinkRow[] = [];
  const out: ConvertedBatch = { uplinksTsv: new Uint8Array(0), uplinks: 0, receivedAtMs: new Float64Array(0), firmware: [], commandResults: [], dead: [], deadIndexes: [], rows: [] };
  const lastFirmware = new Map<string, string>();
  entries.forEach((entry, i) => {
    const converted = toRow(entry);
    if (converted.kind === 'dead') {
      out.dead.push(converted.row);
      out.deadIndexes.push(i);
      return;
    }
    const row = converted.row;
    uplinks.push(row);
    if (lastFirmware.get(row.deviceId) !== row.firmware) {
      lastFirmware.set(row.deviceId, row.firmware);
      out.firmware.push([row.deviceId, row.firmware]);
    }
    if (row.commandResults.length > 0) out.commandResults.push({ deviceId: row.deviceId, results: row.commandResults });
    if (rowsFor === null || rowsFor.has(row.deviceId)) out.rows.push(row);
  });
  out.uplinks = uplinks.length;
  out.receivedAtMs = Float64Array.from(uplinks, (r) => r.receivedAtMs);
  if (uplinks.length > 0) out.uplinksTsv = encodeUplinks(uplinks);
  return out;
}

/**
 * Log entries as one payload buffer plus parallel columns: posting entries one by one would copy
 * the whole log segment behind each payload view.
 */
export interface PackedEntries {
  payloads: ArrayBuffer;
  ends: Uint32Array;
  deviceIds: string[];
  topics: string[];
  receivedAtMs: Float64Array;
  verdicts: string[];
  details: string[];
  sources: string[];
}

export function packEntries(entries: readonly UplinkLogEntry[]): PackedEntries {
  let total = 0;
  for (const e of entries) total += e.payload.length;
  const payloads = new ArrayBuffer(total);
  const bytes = new Uint8Array(payloads);
  const ends = new Uint32Array(entries.length);
  let at = 0;
  entries.forEach((e, i) => {
    bytes.set(e.payload, at);
    at += e.payload.length;
    ends[i] = at;
  });
  return {
    payloads,
    ends,
    deviceIds: entries.map((e) => e.deviceId),
    topics: entries.map((e) => e.topic),
    receivedAtMs: Float64Array.from(entries, (e) => e.receivedAtMs),
    verdicts: entries.map((e) => e.verdict),
    details: entries.map((e) => e.detail),
    sources: entries.map((e) => e.source),
  };
}

export function unpackEntries(p: PackedEntries): UplinkLogEntry[] {
  return p.deviceIds.map((deviceId, i) => {
    const start = i === 0 ? 0 : p.ends[i - 1]!;
    return {
      deviceId,
      topic: p.topics[i]!,
      receivedAtMs: p.receivedAtMs[i]!,
      verdict: p.verdicts[i]!,
      detail: p.details[i]!,
      payload: Buffer.from(p.payloads, start, p.ends[i]! - start),
      source: p.sources[i]!,
    };
  });
}

/**
 * Gives every binary in `c` its own memory, so posting it copies only its bytes (not the buffer
 * the payloads were cut from), and returns what can be transferred instead of copied.
 */
export function detachForPosting(c: ConvertedBatch): ArrayBuffer[] {
  const own = (b: Uint8Array): Uint8Array => (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b));
  c.uplinksTsv = own(c.uplinksTsv);
  for (const d of c.dead) d.raw = own(d.raw);
  for (const r of c.rows) r.raw = own(r.raw);
  return [c.uplinksTsv.buffer as ArrayBuffer, c.receivedAtMs.buffer as ArrayBuffer];
}
