import type { DeviceEvent, Severity } from '@parley/proto';
import { gaussian, type Random } from '../prng.js';
import type { ApplianceSim, CommandOutcome, ModelOptions } from './types.js';

const DAY_MS = 86_400_000;
/** Events kept between two drains; a device that stops reporting must not grow without bound. */
const MAX_PENDING_EVENTS = 256;

/** x relaxed towards `target` for `dt` seconds with time constant `tau` (exact for first-order lags). */
export function relax(x: number, target: number, dt: number, tau: number): number {
  return target + (x - target) * Math.exp(-dt / tau);
}

/** One step of an Ornstein–Uhlenbeck process: mean-reverting noise ("weather") with stationary std `sigma`. */
export function ou(x: number, dt: number, tau: number, sigma: number, rand: Random): number {
  const decay = Math.exp(-dt / tau);
  return x * decay + sigma * Math.sqrt(1 - decay * decay) * gaussian(rand);
}

/** Clamps x into [min, max]. */
export function clamp(x: number, min: number, max: number): number {
  return x < min ? min : x > max ? max : x;
}

/** Parses a numeric parameter within [min, max]; returns the number or an error text. */
export function parseNumberIn(value: string | undefined, name: string, min: number, max: number): number | string {
  if (value === undefined || value.trim() === '') return `missing ${name}`;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max) return `${name} must be a number within ${min}..${max}`;
  return n;
}

/** Parses 'true'/'false' (also 'on'/'off', '1'/'0'); returns the boolean or an error text. */
export function parseBool(value: string | undefined, name: string): boolean | string {
  switch (value?.trim().toLowerCase()) {
    case 'true': case 'on': case '1': return true;
    case 'false': case 'off': case '0': return false;
    default: return `${name} must be true or false`;
  }
}

/**
 * Common machinery of the models: sub-stepping (so a report interval of minutes does not skip a
 * 30-second door opening or break the integration), local time of day, Poisson chances, events,
 * spontaneous faults and slow wear.
 */
export abstract class SteppedSim implements ApplianceSim {
  readonly values: Float64Array;
  protected readonly rand: Random;
  protected readonly firmware: string;
  protected readonly faultsPerDay: number;
  protected degradation: number;
  /** Current simulated time, ms on the device clock. */
  protected now = Number.NaN;
  private readonly degradationPerMs: number;
  private readonly utcOffsetMs: number;
  private readonly maxStepMs: number;
  private events: DeviceEvent[] = [];

  /** @param maxStepS longest physics step; `advance` splits longer gaps into steps of at most this. */
  constructor(metricCount: number, options: ModelOptions, maxStepS = 5) {
    this.values = new Float64Array(metricCount);
    this.rand = options.rand;
    this.firmware = options.firmware;
    this.faultsPerDay = options.faultsPerDay ?? 0.2;
    this.degradation = clamp(options.degradation ?? 0, 0, 1);
    this.degradationPerMs = (options.degradationPerDay ?? 0) / DAY_MS;
    this.utcOffsetMs = (options.utcOffsetMinutes ?? 60) * 60_000;
    this.maxStepMs = maxStepS * 1000;
  }

  advance(timeMs: number): void {
    if (Number.isNaN(this.now)) {
      this.now = timeMs;
      this.init();
      this.refresh();
      return;
    }
    if (!(timeMs > this.now)) return;
    while (timeMs - this.now > this.maxStepMs) this.stepBy(this.maxStepMs);
    this.stepBy(timeMs - this.now);
    this.refresh();
  }

  drainEvents(out: DeviceEvent[]): void {
    if (this.events.length === 0) return;
    for (const event of this.events) out.push(event);
    this.events = [];
  }

  abstract command(name: string, params: Record<string, string>): CommandOutcome;

  applySetting(key: string, _value: string, _apply = true): string | undefined {
    return `unknown setting ${key}`;
  }

  trigger(_scenario: string, _durationMs?: number): boolean {
    return false;
  }

  /** Sets the initial state at `this.now`. */
  protected abstract init(): void;
  /** Advances the physics by `dt` seconds; `this.now` is already the end of the step. */
  protected abstract step(dt: number): void;
  /** Writes the current readings into `values`. */
  protected abstract refresh(): void;

  /** Local hour of day, 0 ≤ h < 24, fractional. */
  protected hourOfDay(): number {
    const local = (this.now + this.utcOffsetMs) % DAY_MS;
    return ((local + DAY_MS) % DAY_MS) / 3_600_000;
  }

  /** True with the probability that a Poisson process of `perHour` fires within `dt` seconds. */
  protected chance(perHour: number, dt: number): boolean {
    return perHour > 0 && this.rand() < 1 - Math.exp((-perHour * dt) / 3600);
  }

  /** Whether a spontaneous fault starts in this step; `weight` scales the configured rate (e.g. only while running). */
  protected faultNow(dt: number, weight = 1): boolean {
    return this.chance((this.faultsPerDay * weight) / 24, dt);
  }

  /** Records an event at the current simulated time. */
  protected emit(code: string, severity: Severity, message: string, attributes: Record<string, string> = {}): void {
    if (this.events.length >= MAX_PENDING_EVENTS) this.events.shift();
    this.events.push({ code, severity, timeMs: Math.round(this.now), message, attributes });
  }

  private stepBy(dtMs: number): void {
    this.now += dtMs;
    if (this.degradationPerMs > 0) this.degradation = Math.min(1, this.degradation + this.degradationPerMs * dtMs);
    this.step(dtMs / 1000);
  }
}
