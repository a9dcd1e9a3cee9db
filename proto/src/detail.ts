// Helpers for reject details: human-readable, precise, and never a channel for payload content
// (details end up in logs, the dead-letter table and the owner's view).

/** Longest piece of payload text a detail may quote. */
export const MAX_QUOTED_LENGTH = 40;

/** A payload string quoted for a detail: JSON-escaped (no control characters) and cut to 40 chars. */
export function quote(s: string): string {
  return JSON.stringify(s.length > MAX_QUOTED_LENGTH ? `${s.slice(0, MAX_QUOTED_LENGTH)}…` : s);
}

/** An epoch-millisecond value with its ISO form when it has one. */
export function describeTime(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? `${ms} (${new Date(ms).toISOString()})` : String(ms);
}

/** "`path` is empty" / "`path` "value" is not `rule`" / "`path` must be a string, got number". */
export function invalidText(path: string, value: unknown, rule: string): string {
  if (typeof value !== 'string') return `${path} must be a string, got ${value === null ? 'null' : typeof value}`;
  if (value === '') return `${path} is empty`;
  return `${path} ${quote(value)} is not ${rule}`;
}

/** The rule text shared by ids (boot ids, event codes, command ids). */
export const ID_RULE = '1–64 characters of A–Z a–z 0–9 _ . : -, starting with a letter or digit';

/** The rule text for map keys (event attributes, command params, config settings). */
export const MAP_KEY_RULE = '1–64 characters of A–Z a–z 0–9 _ . : -';

/**
 * Limits with caller overrides applied; `undefined` overrides are ignored (so a config object with
 * unset optional fields does not switch a limit off).
 */
export function resolveLimits<T extends object>(defaults: Readonly<T>, overrides: Partial<T> | undefined): Readonly<T> {
  if (overrides === undefined) return defaults;
  const merged = { ...defaults } as T;
  for (const key of Object.keys(overrides) as (keyof T)[]) {
    const v = overrides[key];
    if (v !== undefined) merged[key] = v as T[keyof T];
  }
  return merged;
}
