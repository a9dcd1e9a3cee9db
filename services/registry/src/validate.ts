import { ValidationError } from '@parley/errors';

/** Most devices one `provisionDevices` call creates. */
export const MAX_PROVISION_COUNT = 100_000;
/** Largest page `listDevices` returns. */
export const MAX_PAGE_LIMIT = 1000;

/** A model name: lower-case letters, digits and `-`, 2–48 characters, e.g. `fridge-x1`. */
export const MODEL_PATTERN = /^[a-z0-9][a-z0-9-]{1,47}$/;
/** An explicit id prefix; with `-` and the random part the id still fits `DEVICE_ID_PATTERN`. */
export const ID_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
/**
 * A firmware version, semver-ish: `MAJOR.MINOR`, optionally `.PATCH` and a fourth number, then an
 * optional `-prerelease` and `+build` (`1.4`, `1.4.2`, `2.0.0-rc.1`, `3.1.0+b42`), at most 64 characters.
 */
export const FIRMWARE_PATTERN = /^(?=.{3,64}$)\d{1,9}\.\d{1,9}(?:\.\d{1,9}){0,2}(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Short, safe rendering of a rejected value for an error message (it is caller input, not a secret). */
function shown(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(v);
  return s.length > 70 ? `${s.slice(0, 67)}...` : s;
}

/** Returns `model` if it matches {@link MODEL_PATTERN}; otherwise throws `invalid_model`. */
export function validateModel(model: unknown): string {
  if (typeof model === 'string' && MODEL_PATTERN.test(model)) return model;
  throw new ValidationError('invalid_model', `Model ${shown(model)} is not valid: use 2–48 lower-case letters, digits and '-', starting with a letter or digit (e.g. "fridge-x1").`);
}

/** Returns `firmware` if it matches {@link FIRMWARE_PATTERN}; otherwise throws `invalid_firmware`. */
export function validateFirmware(firmware: unknown): string {
  if (typeof firmware === 'string' && FIRMWARE_PATTERN.test(firmware)) return firmware;
  throw new ValidationError('invalid_firmware', `Firmware version ${shown(firmware)} is not valid: use MAJOR.MINOR[.PATCH][-prerelease][+build], e.g. "1.4.2" or "2.0.0-rc.1".`);
}

/** Returns `count` if it is an integer in 1..{@link MAX_PROVISION_COUNT}; otherwise throws `invalid_count`. */
export function validateCount(count: unknown): number {
  if (typeof count === 'number' && Number.isInteger(count) && count >= 1 && count <= MAX_PROVISION_COUNT) return count;
  throw new ValidationError('invalid_count', `Count ${shown(count)} is not valid: provision between 1 and ${MAX_PROVISION_COUNT} devices per call.`);
}

/** Returns `prefix` if it matches {@link ID_PREFIX_PATTERN}; otherwise throws `invalid_id_prefix`. */
export function validateIdPrefix(prefix: unknown): string {
  if (typeof prefix === 'string' && ID_PREFIX_PATTERN.test(prefix)) return prefix;
  throw new ValidationError('invalid_id_prefix', `Id prefix ${shown(prefix)} is not valid: use 1–64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit (it becomes part of MQTT topics).`);
}

/** Returns `limit` if it is an integer in 1..{@link MAX_PAGE_LIMIT}; otherwise throws `invalid_limit`. */
export function validateLimit(limit: unknown): number {
  if (typeof limit === 'number' && Number.isInteger(limit) && limit >= 1 && limit <= MAX_PAGE_LIMIT) return limit;
  throw new ValidationError('invalid_limit', `Limit ${shown(limit)} is not valid: ask for 1 to ${MAX_PAGE_LIMIT} devices per page.`);
}

/** A cohort tag: `region:eu-west`, `cohort:beta`, `installer:acme` — lower case, digits and `_.:-`. */
export const TAG_PATTERN = /^[a-z0-9][a-z0-9_.:-]{0,63}$/;
export const MAX_TAGS = 16;

/** Returns the tags, de-duplicated and sorted, if each matches {@link TAG_PATTERN}; otherwise throws `invalid_tags`. */
export function validateTags(tags: unknown): string[] {
  if (Array.isArray(tags) && tags.length <= MAX_TAGS && tags.every((t) => typeof t === 'string' && TAG_PATTERN.test(t))) return [...new Set(tags as string[])].sort();
  throw new ValidationError('invalid_tags', `Tags must be a list of at most ${MAX_TAGS} lower-case tags such as "region:eu-west" or "cohort:beta" (letters, digits, _ . : -).`);
}
