import type { AuthorizePublishHandler } from 'aedes';
import { isUplinkTopicOf, validateUplink } from '@parley/proto';
import { toUplinkRecord, type TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { BrokerLimits, BrokerStats } from './types';

export const TOPIC_NOT_ALLOWED = 'topic_not_allowed';
export const PAYLOAD_TOO_LARGE = 'payload_too_large';

interface Verdict {
  verdict: string;
  detail: string;
  payload: Buffer;
  /** Refuse the publish (no PUBACK, connection closed) after recording it. */
  refuse: boolean;
}

function judge(deviceId: string, topic: string, payload: Buffer, receivedAtMs: number, limits: BrokerLimits): Verdict {
  // `deviceId` is the authenticated connection's, a valid id, so equality is the whole ACL check.
  if (!isUplinkTopicOf(topic, deviceId)) {
    // Cut the topic: it is attacker-controlled text going into logs and the dead-letter table.
    return {
      verdict: TOPIC_NOT_ALLOWED,
      detail: `device ${deviceId} may publish only to devices/${deviceId}/up, not to "${topic.slice(0, 120)}"`,
      payload: payload.length > limits.maxPayloadBytes ? payload.subarray(0, limits.maxPayloadBytes) : payload,
      refuse: true,
    };
  }
  if (payload.length > limits.maxPayloadBytes) {
    return {
      verdict: PAYLOAD_TOO_LARGE,
      detail: `payload is ${payload.length} bytes; the limit is ${limits.maxPayloadBytes} (kept: the first ${limits.maxPayloadBytes})`,
      payload: payload.subarray(0, limits.maxPayloadBytes),
      refuse: false,
    };
  }
  const result = validateUplink(payload, { deviceId, receivedAtMs });
  return result.ok
    ? { verdict: 'ok', detail: '', payload, refuse: false }
    : { verdict: result.reason, detail: result.detail, payload, refuse: false };
}

/**
 * Every publish from a device is judged, then durably appended to the log — accepted payloads as
 * telemetry, everything else as a dead letter with its reason — and only then is the callback
 * called, which is what lets Aedes send the PUBACK [MQTT-4.3.2]. So a PUBACK always means "on disk".
 *
 * Bad payloads (undecodable, invalid, too large) are acknowledged once recorded: a device cannot fix
 * them by retrying. Publishing outside its own topic is an access violation: it is recorded, and
 * the connection is closed without PUBACK. If the append fails (disk full, log closed), the device
 * gets no PUBACK and keeps the message for its retry.
 */
export function makeAuthorizePublish(deps: {
  log: TelemetryLog;
  limits: BrokerLimits;
  stats: BrokerStats;
  logger: Logger;
  now?: () => number;
}): AuthorizePublishHandler {
  const { log, limits, stats, logger } = deps;
  const now = deps.now ?? Date.now;
  return (client, packet, callback) => {
    if (!client) return callback(new Error('publishes without a client (wills) are not accepted'));
    const receivedAtMs = now();
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    const v = judge(client.id, packet.topic, payload, receivedAtMs, limits);
    const record = toUplinkRecord({ deviceId: client.id, topic: packet.topic.slice(0, 256), receivedAtMs, verdict: v.verdict, detail: v.detail }, v.payload);
    log.append([record]).then(
      () => {
        if (v.verdict === 'ok') {
          stats.accepted++;
        } else {
          stats.deadLettered[v.verdict] = (stats.deadLettered[v.verdict] ?? 0) + 1;
          logger.warn({ deviceId: client.id, reason: v.verdict, detail: v.detail, size: payload.length }, 'payload dead-lettered');
        }
        if (v.refuse) {
          stats.aclDenials++;
          return callback(new Error(`${v.verdict}: ${v.detail}`));
        }
        callback(null);
      },
      (err: unknown) => {
        stats.appendFailures++;
        logger.error({ err, deviceId: client.id }, 'log append failed: not acknowledging; the device will retry');
        callback(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
}
