import { ValidationError } from '@parley/errors';

const DAY_MS = 86_400_000;

/** Parses a time given as ISO 8601 or epoch milliseconds. */
export function parseTime(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms) || ms < 0) {
    throw new ValidationError('invalid_time', `"${name}" must be an ISO 8601 time (2026-01-31T12:00:00Z) or epoch milliseconds.`);
  }
  return ms;
}

/**
 * A [from, to) range. Defaults: the last 30 days up to one day ahead (device clocks run ahead at
 * times and their data must still show up).
 */
export function parseRange(q: { from?: string; to?: string }, now = Date.now(), maxDays?: number): { fromMs: number; toMs: number } {
  const toMs = parseTime('to', q.to, now + DAY_MS);
  const fromMs = parseTime('from', q.from, toMs - 31 * DAY_MS);
  if (fromMs >= toMs) throw new ValidationError('invalid_range', '"from" must be before "to".');
  if (maxDays !== undefined && toMs - fromMs > maxDays * DAY_MS) {
    throw new ValidationError('range_too_large', `This query covers at most ${maxDays} days; ask for a shorter range (or several).`);
  }
  return { fromMs, toMs };
}

/** Longest range a fleet query may cover: bounded work per request whatever the caller asks. */
export const MAX_FLEET_RANGE_DAYS = 400;

/** JSON schema fragments shared by routes. */
export const timeParam = {
  type: 'string',
  maxLength: 40,
  description: 'ISO 8601 time or epoch milliseconds',
} as const;

export const deviceIdParam = {
  type: 'string',
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$',
  description: 'Device id',
} as const;

/** Path params of every per-device route. */
export const deviceParams = { type: 'object', properties: { id: deviceIdParam }, required: ['id'] } as const;

/** The [from, to) query parameters every time-ranged route takes. */
export const rangeQuery = { from: timeParam, to: timeParam } as const;

/** The querystring of a keyset-paged list: `limit` (1 to `max`, default 100) and the previous page's `nextCursor`. */
export const pageQuery = (max: number) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: { limit: { type: 'integer', minimum: 1, maximum: max, default: 100 }, cursor: { type: 'string', maxLength: 20 } },
  }) as const;

export const errorResponse = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'array', items: { type: 'object', additionalProperties: true } } },
      required: ['code', 'message'],
    },
  },
} as const;

export const errorResponses = {
  400: errorResponse,
  401: errorResponse,
  403: errorResponse,
  404: errorResponse,
} as const;
