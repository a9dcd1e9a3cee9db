import { decodeUplink } from '@parley/proto';
import type { UplinkLogEntry } from '@parley/log';
import type { DeadLetterRow, UplinkRow } from '@parley/store';

export type Converted = { kind: 'uplink'; row: UplinkRow } | { kind: 'dead'; row: DeadLetterRow };

function deadLetter(e: UplinkLogEntry, reason: string, detail: string): Converted {
  return {
    kind: 'dead',
    row: { deviceId: e.deviceId, receivedAtMs: e.receivedAtMs, source: e.source, topic: e.topic, reason, detail, raw: e.payload },
  };
}

/**
 * Turns one log entry into a store row. The broker already judged the payload; entries it accepted
 * are decoded here (the log carries bytes, not objects). Item times of 0 mean "the envelope's time"
 * and are resolved now so every stored sample has an absolute device time.
 */
export function toRow(e: UplinkLogEntry): Converted {
  if (e.verdict !== 'ok') return deadLetter(e, e.verdict, e.detail);
  let u;
  try {
    u = decodeUplink(e.payload);
  } catch (err) {
    return deadLetter(e, 'decode_failed', err instanceof Error ? err.message : String(err));
  }
  if (u.deviceId !== e.deviceId) {
    return deadLetter(e, 'device_id_mismatch', `envelope says ${u.deviceId.slice(0, 40)}, connection authenticated as ${e.deviceId}`);
  }
  const t = (ms: number) => (ms === 0 ? u.deviceTimeMs : ms);
  return {
    kind: 'uplink',
    row: {
      deviceId: e.deviceId,
      bootId: u.bootId,
      seq: u.seq,
      deviceTimeMs: u.deviceTimeMs,
      receivedAtMs: e.receivedAtMs,
      firmware: u.firmware,
      schemaVersion: u.schemaVersion,
      samples: u.samples.map((s) => ({ metric: s.metric, value: s.value, timeMs: t(s.timeMs) })),
      events: u.events.map((ev) => ({ code: ev.code, severity: ev.severity, timeMs: t(ev.timeMs), message: ev.message, attributes: ev.attributes })),
      commandResults: u.commandResults.map((c) => ({ commandId: c.commandId, status: c.status, timeMs: t(c.timeMs), detail: c.detail })),
      raw: e.payload,
      source: e.source,
    },
  };
}
