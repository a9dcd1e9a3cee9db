import type { Random } from './prng.js';

/** Reconnect backoff tuning. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry, in ms. Default 500. */
  initialMs?: number;
  /** Upper bound of any delay, in ms. Default 30 000. */
  maxMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /**
   * Share of the delay that is randomised, 0..1. Default 0.5 ("equal jitter"): the delay is at least
   * half the ceiling, so a device never hammers the broker, yet a fleet that lost its broker at the
   * same instant spreads its reconnects over the other half instead of arriving as one wave.
   */
  jitter?: number;
}

const DEFAULTS: Required<BackoffOptions> = { initialMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 };

/** Validates and fills in backoff options once, so the per-retry path does no checks. */
export function resolveBackoff(options: BackoffOptions = {}): Required<BackoffOptions> {
  const o = { ...DEFAULTS, ...options };
  if (!(o.initialMs > 0) || !(o.maxMs >= o.initialMs)) throw new RangeError('backoff needs 0 < initialMs <= maxMs');
  if (!(o.factor >= 1)) throw new RangeError('backoff factor must be >= 1');
  if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError('backoff jitter must be within 0..1');
  return o;
}

/** The delay ceiling for a retry: `initialMs * factor^attempt`, capped at `maxMs` (attempt counts from 0). */
export function backoffCeiling(attempt: number, options: Required<BackoffOptions>): number {
  // Math.pow overflows to Infinity for huge attempts, which min() then caps: no special case needed.
  return Math.min(options.maxMs, options.initialMs * Math.pow(options.factor, Math.max(0, attempt)));
}

/** The delay before retry number `attempt` (0 = first retry), with jitter drawn from `rand`. */
export function backoffDelay(attempt: number, options: Required<BackoffOptions>, rand: Random): number {
  const ceiling = backoffCeiling(attempt, options);
  return Math.round(ceiling * (1 - options.jitter) + ceiling * options.jitter * rand());
}
