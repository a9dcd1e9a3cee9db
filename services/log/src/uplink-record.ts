import type { AppendRecord, LogRecord } from './telemetry-log';

/**
 * How the broker writes one received MQTT publish into the log, and how the ingester reads it back.
 * The payload bytes are kept exactly as received; everything the broker learned about them (who
 * sent it — authenticated, not claimed — when, on which topic, and its verdict) rides in headers.
 */
export interface UplinkEnvelopeMeta {
  /** The device id the connection authenticated as. */
  deviceId: string;
  topic: string;
  /** Broker receive time, ms since epoch. */
  receivedAtMs: number;
  /** 'ok' when the broker accepted the payload, otherwise the reject reason code. */
  verdict: string;
  /** Human-readable reason detail for rejected payloads ('' when accepted). */
  detail: string;
}

export interface UplinkLogEntry extends UplinkEnvelopeMeta {
  payload: Buffer;
  /** "p{partition}:{offset}", unique per record in the log. */
  source: string;
}

export function toUplinkRecord(meta: UplinkEnvelopeMeta, payload: Buffer): AppendRecord {
  return {
    key: meta.deviceId,
    value: payload,
    timestamp: meta.receivedAtMs,
    headers: {
      device: meta.deviceId,
      topic: meta.topic,
      receivedAt: String(meta.receivedAtMs),
      verdict: meta.verdict,
      ...(meta.detail ? { detail: meta.detail } : {}),
    },
  };
}

/** Reads a record written by `toUplinkRecord`; a record missing its headers reads as a dead letter. */
export function fromUplinkRecord(record: LogRecord): UplinkLogEntry {
  const h = record.headers;
  const receivedAtMs = Number(h.receivedAt ?? record.timestamp);
  const complete = h.device !== undefined && h.verdict !== undefined;
  return {
    deviceId: h.device ?? record.key,
    topic: h.topic ?? '',
    receivedAtMs: Number.isFinite(receivedAtMs) ? receivedAtMs : record.timestamp,
    verdict: complete ? h.verdict! : 'malformed_log_record',
    detail: complete ? (h.detail ?? '') : 'log record lacks the broker headers (device, verdict)',
    payload: record.value,
    source: `p${record.partition}:${record.offset}`,
  };
}
