import { TsvBuilder, tsvBinary, tsvString, tsvStringArray, tsvTime } from './tsv';

/** One accepted device message, times already resolved to absolute device-clock milliseconds. */
export interface UplinkRow {
  deviceId: string;
  bootId: string;
  seq: number;
  deviceTimeMs: number;
  receivedAtMs: number;
  firmware: string;
  schemaVersion: number;
  samples: { metric: string; value: number; timeMs: number }[];
  events: { code: string; severity: string; timeMs: number; message: string; attributes: Record<string, string> }[];
  commandResults: { commandId: string; status: string; timeMs: number; detail: string }[];
  /** The payload exactly as received (unknown fields included). */
  raw: Uint8Array;
  /** Where it came from in the log ("p0:1234"), for tracing. */
  source: string;
}

/** A payload the platform could not accept, kept with its reason. */
export interface DeadLetterRow {
  deviceId: string;
  receivedAtMs: number;
  source: string;
  topic: string;
  reason: string;
  detail: string;
  raw: Uint8Array;
}

/** Something the platform sent to a device. */
export interface DownlinkRow {
  deviceId: string;
  commandId: string;
  issuedAtMs: number;
  expiresAtMs: number | null;
  kind: string;
  /** JSON of the command body. */
  body: string;
  issuedBy: string;
}

/** Maximum raw bytes kept per dead letter; larger payloads are cut (raw_size keeps the real size). */
export const DEAD_LETTER_RAW_LIMIT = 256 * 1024;

/** The `extras` JSON of an uplink row: '' for the common message with no events or results. */
export function uplinkExtras(r: Pick<UplinkRow, 'events' | 'commandResults'>): string {
  if (r.events.length === 0 && r.commandResults.length === 0) return '';
  return JSON.stringify({
    events: r.events.map((e) => ({ code: e.code, severity: e.severity, t: e.timeMs, message: e.message, attributes: e.attributes })),
    results: r.commandResults.map((c) => ({ id: c.commandId, status: c.status, t: c.timeMs, detail: c.detail })),
  });
}

export function encodeUplinks(rows: readonly UplinkRow[]): Buffer {
  const out = new TsvBuilder();
  for (const r of rows) {
    const n = r.samples.length;
    const metrics = new Array<string>(n);
    let values = '[';
    let offsets = '[';
    let anyOffset = false;
    for (let i = 0; i < n; i++) {
      const s = r.samples[i]!;
      metrics[i] = s.metric;
      const offset = s.timeMs - r.deviceTimeMs;
      if (offset !== 0) anyOffset = true;
      if (i > 0) {
        values += ',';
        offsets += ',';
      }
      values += s.value;
      offsets += offset;
    }
    out.text(
      tsvString(r.deviceId) +
        '\t' +
        tsvTime(r.deviceTimeMs) +
        '\t' +
        tsvString(r.bootId) +
        '\t' +
        r.seq +
        '\t' +
        tsvTime(r.receivedAtMs) +
        '\t' +
        tsvString(r.firmware) +
        '\t' +
        r.schemaVersion +
        '\t' +
        tsvStringArray(metrics) +
        '\t' +
        values +
        ']\t' +
        (anyOffset ? offsets + ']' : '[]') +
        '\t' +
        tsvString(uplinkExtras(r)) +
        '\t',
    );
    out.binary(tsvBinary(r.raw));
    out.text('\t' + tsvString(r.source)).endRow();
  }
  return out.build();
}

export function encodeDeadLetters(rows: readonly DeadLetterRow[]): Buffer {
  const out = new TsvBuilder();
  for (const r of rows) {
    const kept = r.raw.length > DEAD_LETTER_RAW_LIMIT ? r.raw.subarray(0, DEAD_LETTER_RAW_LIMIT) : r.raw;
    out.text(
      [tsvString(r.deviceId), tsvTime(r.receivedAtMs), tsvString(r.source), tsvString(r.topic), tsvString(r.reason), tsvString(r.detail), String(r.raw.length)].join(
        '\t',
      ) + '\t',
    );
    out.binary(tsvBinary(kept)).endRow();
  }
  return out.build();
}

export function encodeDownlinks(rows: readonly DownlinkRow[]): Buffer {
  const out = new TsvBuilder();
  for (const r of rows) {
    out
      .text(
        [
          tsvString(r.deviceId),
          tsvString(r.commandId),
          tsvTime(r.issuedAtMs),
          r.expiresAtMs === null ? '\\N' : tsvTime(r.expiresAtMs),
          tsvString(r.kind),
          tsvString(r.body),
          tsvString(r.issuedBy),
        ].join('\t'),
      )
      .endRow();
  }
  return out.build();
}
