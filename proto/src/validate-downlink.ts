import { describeTime, ID_RULE, invalidText, MAP_KEY_RULE, quote, resolveLimits } from './detail';
import {
  COMMAND_ID_PATTERN,
  COMMAND_NAME_PATTERN,
  FIRMWARE_PATTERN,
  MAP_KEY_PATTERN,
  MIN_PLAUSIBLE_TIME_MS,
  SHA256_PATTERN,
} from './patterns';
import { SCHEMA_VERSION, type Downlink } from './types';

/**
 * Why the platform refuses to send a downlink. Stable codes, like the uplink ones; the API maps
 * them to 400 responses.
 */
export const DOWNLINK_REJECT_REASONS = Object.freeze([
  /** `schemaVersion` is not {@link SCHEMA_VERSION}. */
  'unsupported_schema_version',
  /** `commandId` is empty or not in the allowed alphabet/length. */
  'command_id_invalid',
  /** `issuedAtMs` is not an integer on or after 2000-01-01. */
  'issued_at_invalid',
  /** `expiresAtMs` is neither 0 (no expiry) nor an integer after `issuedAtMs`. */
  'expiry_invalid',
  /** `body` is missing, of an unknown kind, malformed, or a config update with no settings. */
  'body_invalid',
  /** A command name is not lower_snake_case of 1–64 characters. */
  'command_name_invalid',
  /** A command parameter or config setting key is not in the allowed alphabet/length. */
  'parameter_key_invalid',
  /** More command parameters or config settings than the limit. */
  'too_many_items',
  /** A parameter or setting value is longer than its limit. */
  'text_too_long',
  /** A firmware offer's version, URL (https only) or SHA-256 is malformed. */
  'firmware_offer_invalid',
] as const);

/** A stable downlink reject code; see {@link DOWNLINK_REJECT_REASONS}. */
export type DownlinkRejectReason = (typeof DOWNLINK_REJECT_REASONS)[number];

/** Bounds applied by {@link validateDownlink}. */
export interface DownlinkLimits {
  /** Entries in command params or config settings. */
  maxParams: number;
  /** Characters in one param or setting value. */
  maxParamValueLength: number;
  /** Characters in a firmware URL. */
  maxUrlLength: number;
}

export const DEFAULT_DOWNLINK_LIMITS: Readonly<DownlinkLimits> = Object.freeze({
  maxParams: 64,
  maxParamValueLength: 1024,
  maxUrlLength: 2048,
});

/** The outcome of {@link validateDownlink}. */
export type DownlinkValidation = { ok: true; downlink: Downlink } | { ok: false; reason: DownlinkRejectReason; detail: string };

type Result = { reason: DownlinkRejectReason; detail: string } | null;

const fail = (reason: DownlinkRejectReason, detail: string): Result => ({ reason, detail });

function checkMap(path: string, map: unknown, limits: Readonly<DownlinkLimits>): Result {
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return fail('body_invalid', `${path} must be an object of strings`);
  const entries = Object.entries(map as Record<string, unknown>);
  if (entries.length > limits.maxParams) return fail('too_many_items', `${path} has ${entries.length} entries; the limit is ${limits.maxParams}`);
  for (const [key, value] of entries) {
    if (!MAP_KEY_PATTERN.test(key)) return fail('parameter_key_invalid', `${path} key ${quote(key)} is not ${MAP_KEY_RULE}`);
    if (typeof value !== 'string') return fail('body_invalid', `${path}[${quote(key)}] must be a string, got ${value === null ? 'null' : typeof value}`);
    if (value.length > limits.maxParamValueLength) {
      return fail('text_too_long', `${path}[${quote(key)}] is ${value.length} characters; the limit is ${limits.maxParamValueLength}`);
    }
  }
  return null;
}

function checkFirmwareUrl(url: unknown, limits: Readonly<DownlinkLimits>): Result {
  if (typeof url !== 'string' || url === '') return fail('firmware_offer_invalid', 'body.url is empty');
  if (url.length > limits.maxUrlLength) return fail('firmware_offer_invalid', `body.url is ${url.length} characters; the limit is ${limits.maxUrlLength}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('firmware_offer_invalid', `body.url ${quote(url)} is not an absolute URL`);
  }
  // The image is checked against sha256 either way, but plain HTTP would tell every network on the
  // path which firmware (and so which vulnerabilities) the device has.
  if (parsed.protocol !== 'https:') return fail('firmware_offer_invalid', `body.url must use https, not ${quote(parsed.protocol)}`);
  return null;
}

function checkBody(d: Downlink, limits: Readonly<DownlinkLimits>): Result {
  const body = d.body as Downlink['body'] | undefined | null;
  if (typeof body !== 'object' || body === null) return fail('body_invalid', 'body is missing');
  switch (body.kind) {
    case 'command':
      if (typeof body.name !== 'string' || !COMMAND_NAME_PATTERN.test(body.name)) {
        return fail('command_name_invalid', invalidText('body.name', body.name, 'lower_snake_case of 1–64 characters'));
      }
      return checkMap('body.params', body.params, limits);
    case 'config': {
      const problem = checkMap('body.settings', body.settings, limits);
      if (problem) return problem;
      return Object.keys(body.settings).length === 0 ? fail('body_invalid', 'body.settings is empty: a config update must change something') : null;
    }
    case 'firmware_offer':
      if (typeof body.version !== 'string' || !FIRMWARE_PATTERN.test(body.version)) {
        return fail('firmware_offer_invalid', invalidText('body.version', body.version, 'a version string (e.g. 2.1.0)'));
      }
      if (typeof body.sha256 !== 'string' || !SHA256_PATTERN.test(body.sha256)) {
        return fail('firmware_offer_invalid', 'body.sha256 must be 64 lowercase hex digits');
      }
      return checkFirmwareUrl(body.url, limits);
    default: {
      const kind: unknown = (body as { kind?: unknown }).kind;
      return fail('body_invalid', `body.kind ${typeof kind === 'string' ? quote(kind) : typeof kind} is not 'command', 'config' or 'firmware_offer'`);
    }
  }
}

function check(d: Downlink, limits: Readonly<DownlinkLimits>): Result {
  if (d.schemaVersion !== SCHEMA_VERSION) {
    return fail('unsupported_schema_version', `schemaVersion is ${String(d.schemaVersion)}; devices read ${SCHEMA_VERSION}`);
  }
  if (typeof d.commandId !== 'string' || !COMMAND_ID_PATTERN.test(d.commandId)) {
    return fail('command_id_invalid', invalidText('commandId', d.commandId, ID_RULE));
  }
  if (!Number.isSafeInteger(d.issuedAtMs) || d.issuedAtMs < MIN_PLAUSIBLE_TIME_MS) {
    return fail('issued_at_invalid', `issuedAtMs is ${typeof d.issuedAtMs === 'number' ? describeTime(d.issuedAtMs) : typeof d.issuedAtMs}; it must be an integer on or after 2000-01-01`);
  }
  if (d.expiresAtMs !== 0 && (!Number.isSafeInteger(d.expiresAtMs) || d.expiresAtMs <= d.issuedAtMs)) {
    return fail('expiry_invalid', `expiresAtMs is ${typeof d.expiresAtMs === 'number' ? describeTime(d.expiresAtMs) : typeof d.expiresAtMs}; it must be 0 (no expiry) or after issuedAtMs ${describeTime(d.issuedAtMs)}`);
  }
  return checkBody(d, limits);
}

/**
 * Checks an outgoing downlink before it is stored and sent. Never throws. `detail` names the field
 * (in the TypeScript shape the API receives: `body.params["x"]`) and quotes at most 40 characters.
 *
 * @param limits overrides for {@link DEFAULT_DOWNLINK_LIMITS}
 */
export function validateDownlink(d: Downlink, limits?: Partial<DownlinkLimits>): DownlinkValidation {
  const resolved = resolveLimits(DEFAULT_DOWNLINK_LIMITS, limits);
  const problem = typeof d === 'object' && d !== null ? check(d, resolved) : fail('body_invalid', 'downlink must be an object');
  return problem === null ? { ok: true, downlink: d } : { ok: false, ...problem };
}
