import { decodeUplink } from './codec';
import { describeTime, ID_RULE, invalidText, MAP_KEY_RULE, quote, resolveLimits } from './detail';
import {
  BOOT_ID_PATTERN,
  COMMAND_ID_PATTERN,
  EVENT_CODE_PATTERN,
  FIRMWARE_PATTERN,
  MAP_KEY_PATTERN,
  isValidMetricName,
  MAX_METRIC_NAME_LENGTH,
  MIN_PLAUSIBLE_TIME_MS,
} from './patterns';

const FIRMWARE_RULE = '1–64 characters of A–Z a–z 0–9 _ . + -, starting with a letter or digit';
import { SCHEMA_VERSION, type Uplink } from './types';

// validateDownlink lives in its own file (validate-downlink.ts); both are exported from index.ts.

/**
 * Why the platform refuses an uplink. These codes are stable: they are stored with every dead
 * letter and counted on dashboards, so they are never renamed — only added.
 */
export const REJECT_REASONS = Object.freeze([
  /** Not a well-formed Uplink (truncated, corrupt, invalid UTF-8, wrong wire type for a known field). */
  'decode_failed',
  /** `schema_version` is not one this platform reads (including 0 = not set). */
  'unsupported_schema_version',
  /** `device_id` differs from the id the connection authenticated as. */
  'device_id_mismatch',
  /** `boot_id` is empty or not in the allowed alphabet/length. */
  'boot_id_invalid',
  /** `seq` is 0: per-boot sequence numbers start at 1. */
  'seq_invalid',
  /** `device_time_ms` is 0, before 2000-01-01, or more than `maxClockAheadMs` ahead of receive time. */
  'device_time_invalid',
  /** `firmware` is empty or not a plausible version string. */
  'firmware_invalid',
  /** More samples, events, command results or attributes than the limits allow. */
  'too_many_items',
  /** A metric name is not dotted lower_snake_case or is longer than 64 characters. */
  'metric_name_invalid',
  /** A sample value is NaN or ±Infinity. */
  'value_not_finite',
  /** An item's `time_ms` is non-zero and outside the plausible window. */
  'item_time_invalid',
  /** An event code is empty or not in the allowed alphabet/length. */
  'event_code_invalid',
  /** An event attribute key is empty or not in the allowed alphabet/length. */
  'attribute_key_invalid',
  /** A command result's `command_id` is empty or not in the allowed alphabet/length. */
  'command_id_invalid',
  /** An event message, attribute value or command result detail is longer than its limit. */
  'text_too_long',
] as const);

/** A stable uplink reject code; see {@link REJECT_REASONS}. */
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Bounds applied by {@link validateUplink}; every field has a default in {@link DEFAULT_UPLINK_LIMITS}. */
export interface UplinkLimits {
  maxSamples: number;
  maxEvents: number;
  maxCommandResults: number;
  /** Attributes per event. */
  maxAttributes: number;
  /** Characters (UTF-16 code units) in an event message. */
  maxEventMessageLength: number;
  /** Characters in one event attribute value. */
  maxAttributeValueLength: number;
  /** Characters in a command result detail. */
  maxResultDetailLength: number;
  /**
   * How far a device clock may run ahead of the broker's receive time. Skew inside this window is
   * accepted and kept as sent (the platform never "fixes" device time); beyond it the clock is
   * broken and the times would poison every time-range query.
   */
  maxClockAheadMs: number;
}

const DAY_MS = 86_400_000;

export const DEFAULT_UPLINK_LIMITS: Readonly<UplinkLimits> = Object.freeze({
  maxSamples: 2000,
  maxEvents: 200,
  maxCommandResults: 100,
  maxAttributes: 32,
  maxEventMessageLength: 1024,
  maxAttributeValueLength: 256,
  maxResultDetailLength: 1024,
  maxClockAheadMs: 365 * DAY_MS,
});

/** What the broker knows about an uplink besides its bytes. */
export interface UplinkContext {
  /** The device id the MQTT connection authenticated as. */
  deviceId: string;
  /** Broker receive time, ms since epoch. */
  receivedAtMs: number;
}

/** The outcome of {@link validateUplink}. */
export type UplinkValidation = { ok: true; uplink: Uplink } | { ok: false; reason: RejectReason; detail: string };

class Reject {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
  ) {}
}

/** Why a device time is implausible, or null. 0 is handled by the callers (it means different things). */
function timeProblem(ms: number, receivedAtMs: number, limits: Readonly<UplinkLimits>): string | null {
  if (ms < MIN_PLAUSIBLE_TIME_MS) return `is ${describeTime(ms)}, before 2000-01-01 (is the device clock set?)`;
  if (ms > receivedAtMs + limits.maxClockAheadMs) {
    const days = Math.floor((ms - receivedAtMs) / DAY_MS);
    return `is ${describeTime(ms)}, ${days} days ahead of the broker's clock (limit ${Math.floor(limits.maxClockAheadMs / DAY_MS)})`;
  }
  return null;
}

function checkCount(field: string, n: number, max: number): void {
  if (n > max) throw new Reject('too_many_items', `${field} has ${n} items; the limit is ${max}`);
}

// The per-item checks below test first and build the field path only on failure: composing
// `samples[${i}].time_ms` for every valid item was a fifth of validateUplink's CPU time.

function tooLong(path: string, s: string, max: number): Reject {
  return new Reject('text_too_long', `${path} is ${s.length} characters; the limit is ${max}`);
}

/** Why a non-zero item time is implausible, or null; 0 means "at device_time_ms" and is fine. */
function itemTimeProblem(ms: number, receivedAtMs: number, limits: Readonly<UplinkLimits>): string | null {
  return ms === 0 ? null : timeProblem(ms, receivedAtMs, limits);
}

function checkEnvelope(u: Uplink, ctx: UplinkContext, limits: Readonly<UplinkLimits>): void {
  if (u.schemaVersion !== SCHEMA_VERSION) {
    const shown = u.schemaVersion === 0 ? '0 (not set)' : String(u.schemaVersion);
    throw new Reject('unsupported_schema_version', `schema_version is ${shown}; this platform reads ${SCHEMA_VERSION}`);
  }
  if (u.deviceId !== ctx.deviceId) {
    throw new Reject('device_id_mismatch', `device_id is ${quote(u.deviceId)} but the connection authenticated as ${quote(ctx.deviceId)}`);
  }
  if (!BOOT_ID_PATTERN.test(u.bootId)) {
    throw new Reject('boot_id_invalid', invalidText('boot_id', u.bootId, ID_RULE));
  }
  if (u.seq < 1) throw new Reject('seq_invalid', `seq is ${u.seq}; per-boot sequence numbers start at 1`);
  if (u.deviceTimeMs === 0) throw new Reject('device_time_invalid', 'device_time_ms is 0 (not set)');
  const problem = timeProblem(u.deviceTimeMs, ctx.receivedAtMs, limits);
  if (problem !== null) throw new Reject('device_time_invalid', `device_time_ms ${problem}`);
  if (!FIRMWARE_PATTERN.test(u.firmware)) {
    throw new Reject('firmware_invalid', invalidText('firmware', u.firmware, FIRMWARE_RULE));
  }
  checkCount('samples', u.samples.length, limits.maxSamples);
  checkCount('events', u.events.length, limits.maxEvents);
  checkCount('command_results', u.commandResults.length, limits.maxCommandResults);
}

function metricProblem(metric: string): string | null {
  if (isValidMetricName(metric)) return null;
  if (metric === '') return 'is empty';
  if (metric.length > MAX_METRIC_NAME_LENGTH) return `is ${metric.length} characters; the limit is ${MAX_METRIC_NAME_LENGTH}`;
  return `${quote(metric)} is not lower_snake_case segments joined by dots`;
}

function checkItems(u: Uplink, ctx: UplinkContext, limits: Readonly<UplinkLimits>): void {
  const { samples, events, commandResults } = u;
  const { receivedAtMs } = ctx;
  let problem: string | null;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    if ((problem = metricProblem(s.metric)) !== null) throw new Reject('metric_name_invalid', `samples[${i}].metric ${problem}`);
    if (!Number.isFinite(s.value)) throw new Reject('value_not_finite', `samples[${i}].value is ${s.value}`);
    if ((problem = itemTimeProblem(s.timeMs, receivedAtMs, limits)) !== null) {
      throw new Reject('item_time_invalid', `samples[${i}].time_ms ${problem}`);
    }
  }
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (!EVENT_CODE_PATTERN.test(e.code)) throw new Reject('event_code_invalid', invalidText(`events[${i}].code`, e.code, ID_RULE));
    if ((problem = itemTimeProblem(e.timeMs, receivedAtMs, limits)) !== null) {
      throw new Reject('item_time_invalid', `events[${i}].time_ms ${problem}`);
    }
    if (e.message.length > limits.maxEventMessageLength) throw tooLong(`events[${i}].message`, e.message, limits.maxEventMessageLength);
    const keys = Object.keys(e.attributes);
    if (keys.length > limits.maxAttributes) {
      throw new Reject('too_many_items', `events[${i}].attributes has ${keys.length} entries; the limit is ${limits.maxAttributes}`);
    }
    for (const key of keys) {
      if (!MAP_KEY_PATTERN.test(key)) throw new Reject('attribute_key_invalid', `events[${i}].attributes key ${quote(key)} is not ${MAP_KEY_RULE}`);
      const value = e.attributes[key]!;
      if (value.length > limits.maxAttributeValueLength) {
        throw tooLong(`events[${i}].attributes[${quote(key)}]`, value, limits.maxAttributeValueLength);
      }
    }
  }
  for (let i = 0; i < commandResults.length; i++) {
    const c = commandResults[i]!;
    if (!COMMAND_ID_PATTERN.test(c.commandId)) {
      throw new Reject('command_id_invalid', invalidText(`command_results[${i}].command_id`, c.commandId, ID_RULE));
    }
    if ((problem = itemTimeProblem(c.timeMs, receivedAtMs, limits)) !== null) {
      throw new Reject('item_time_invalid', `command_results[${i}].time_ms ${problem}`);
    }
    if (c.detail.length > limits.maxResultDetailLength) throw tooLong(`command_results[${i}].detail`, c.detail, limits.maxResultDetailLength);
  }
}

/**
 * Decodes and judges one uplink payload exactly as the broker does before acknowledging it.
 *
 * Never throws. On rejection, `reason` is a stable code from {@link REJECT_REASONS} and `detail`
 * names the first problem with its field path in proto terms (`samples[3].value is NaN`,
 * `events[0].time_ms is …`), quoting at most 40 characters of payload text.
 *
 * A message without samples, events or results is valid: a heartbeat. Device clock skew inside
 * the plausible window (2000-01-01 to `receivedAtMs + maxClockAheadMs`) is accepted and the
 * times are returned as sent.
 *
 * @param bytes the MQTT payload
 * @param ctx who sent it (the authenticated device id) and when the broker received it
 * @param limits overrides for {@link DEFAULT_UPLINK_LIMITS}
 */
export function validateUplink(bytes: Uint8Array, ctx: UplinkContext, limits?: Partial<UplinkLimits>): UplinkValidation {
  let uplink: Uplink;
  try {
    uplink = decodeUplink(bytes);
  } catch (err) {
    return { ok: false, reason: 'decode_failed', detail: err instanceof Error ? err.message : String(err) };
  }
  const resolved = resolveLimits(DEFAULT_UPLINK_LIMITS, limits);
  try {
    checkEnvelope(uplink, ctx, resolved);
    checkItems(uplink, ctx, resolved);
  } catch (err) {
    if (err instanceof Reject) return { ok: false, reason: err.reason, detail: err.detail };
    throw err;
  }
  return { ok: true, uplink };
}
