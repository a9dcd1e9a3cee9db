/**
 * Syntax rules for the identifiers and names inside messages. They are exported so the API,
 * registry and simulator can check input with the very same rules the broker applies.
 */

/**
 * Metric names: lower_snake_case segments joined by dots (`temp_c`, `compressor.power_w`), at most
 * {@link MAX_METRIC_NAME_LENGTH} characters. Each segment starts with a letter so names are usable
 * as-is in ClickHouse, Prometheus-style tooling and URLs.
 */
export const METRIC_NAME_PATTERN = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/;
export const MAX_METRIC_NAME_LENGTH = 64;

/**
 * Whether `name` is a valid metric name: {@link METRIC_NAME_PATTERN} and at most
 * {@link MAX_METRIC_NAME_LENGTH} characters. A character loop rather than the regex because the
 * broker runs it for every sample (the regex call was ~15% of validateUplink); a test keeps the
 * two in agreement.
 */
export function isValidMetricName(name: string): boolean {
  const n = name.length;
  if (n === 0 || n > MAX_METRIC_NAME_LENGTH) return false;
  let segmentStart = true;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) {
      segmentStart = false; // a-z
    } else if (segmentStart) {
      return false; // a segment must start with a-z
    } else if (c === 0x2e) {
      segmentStart = true; // '.'
    } else if (!((c >= 0x30 && c <= 0x39) || c === 0x5f)) {
      return false; // not 0-9 or '_'
    }
  }
  return !segmentStart; // no trailing '.'
}

/** Boot ids: 1–64 characters from `A–Z a–z 0–9 _ . : -`, starting with a letter or digit (UUIDs fit). */
export const BOOT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Firmware versions: 1–64 characters, semver-friendly (`2.1.0`, `2.1.0-rc.1+build.77`, `v3_2024-05`). */
export const FIRMWARE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$/;

/** Event codes: 1–64 characters from `A–Z a–z 0–9 _ . : -`, starting with a letter or digit (`door_open`, `E42`). */
export const EVENT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/**
 * Command ids: 1–64 characters from `A–Z a–z 0–9 _ . : -`, starting with a letter or digit. The
 * platform issues them (UUIDs, ULIDs and `cmd-…` all fit); devices only echo them back.
 */
export const COMMAND_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Command names: lower_snake_case, 1–64 characters (`defrost`, `set_eco_mode`). */
export const COMMAND_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * Keys of event attributes, command parameters and config settings: 1–64 characters from
 * `A–Z a–z 0–9 _ . : -`. They become map keys in ClickHouse and in JSON, so no spaces or controls.
 */
export const MAP_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** SHA-256 digests are 64 lowercase hex digits. */
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** 2000-01-01T00:00:00Z: earlier times are an unset or reset clock, not real data. */
export const MIN_PLAUSIBLE_TIME_MS = 946_684_800_000;
