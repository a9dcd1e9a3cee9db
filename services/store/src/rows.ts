import { TsvBuilder, tsvBinary, tsvNumberArray, tsvString, tsvStringArray, tsvTime } from './tsv';

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

export function encodeUplinks(rows: readonly UplinkRow[]): Buffer {
  const out = new TsvBuilder();
  for (const r of rows) {
    const metrics = new Array<string>(r.samples.length);
    const values = new Array<number>(r.samples.length);
    const times = new Array<number>(r.samples.length);
    for (let i = 0; i < r.samples.length; i++) {
      const s = r.samples[i]!;
      metrics[i] = s.metric;
      values[i] = s.value;
      times[i] = s.timeMs;
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
        tsvNumberArray(values) +
        '\t' +
        tsvNumberArray(times) +
        '\t' +
        tsvStringArray(r.events.map((e) => e.code)) +
        '\t' +
        tsvStringArray(r.events.map((e) => e.severity)) +
        '\t' +
        tsvNumberArray(r.events.map((e) => e.timeMs)) +
        '\t' +
        tsvStringArray(r.events.map((e) => e.message)) +
        '\t' +
        tsvStringArray(r.events.map((e) => JSON.stringify(e.attributes))) +
        '\t' +
        tsvStringArray(r.commandResults.map((c) => c.commandId)) +
        '\t' +
        tsvStringArray(r.commandResults.map((c) => c.status)) +
        '\t' +
        tsvNumberArray(r.commandResults.map((c) => c.timeMs)) +
        '\t' +
        tsvStringArray(r.commandResults.map((c) => c.detail)) +
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
