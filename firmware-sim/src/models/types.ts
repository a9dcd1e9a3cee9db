import type { DeviceEvent } from '@parley/proto';
import type { Random } from '../prng.js';

/** A metric a model reports, with the resolution its sensor has. */
export interface MetricSpec {
  /** lower_snake_case, dots allowed, ≤ 64 characters (see `isValidMetricName`). */
  readonly name: string;
  /** Decimal places the value is rounded to, like a real sensor's resolution. */
  readonly decimals: number;
}

/** Knobs every model understands. */
export interface ModelOptions {
  /** Seeded generator owned by this simulation; the only source of randomness it may use. */
  rand: Random;
  /** Firmware the device runs; models vary a little by version so fleet analytics has something to find. */
  firmware: string;
  /** Expected spontaneous faults per device per day. Default 0.2. */
  faultsPerDay?: number;
  /**
   * Wear, 0 (new) .. 1 (worn out): reduces efficiency (fridge cooling, washer heater scale,
   * heat-pump COP). Default 0.
   */
  degradation?: number;
  /** Wear added per simulated day, for slow drift over a long run. Default 0. */
  degradationPerDay?: number;
  /** Offset of the appliance's local time from UTC in minutes (drives daily usage). Default 60. */
  utcOffsetMinutes?: number;
}

/** What a model makes of a remote command. */
export type CommandOutcome =
  | { kind: 'unknown' }
  | { kind: 'rejected'; detail: string }
  /** Accepted; the final status is known now but reported after `durationMs` of simulated work. */
  | { kind: 'run'; durationMs: number; status: 'succeeded' | 'failed'; detail: string };

/**
 * One running appliance. Call {@link advance} with non-decreasing device times; then read
 * {@link values} (by index into the model's metrics; NaN = "no reading now", e.g. COP while off).
 */
export interface ApplianceSim {
  readonly values: Float64Array;
  /** Moves the physics to `timeMs` (device clock). The first call only sets the start time. */
  advance(timeMs: number): void;
  /** Moves events produced since the last call into `out`. */
  drainEvents(out: DeviceEvent[]): void;
  /** Runs a model-specific command (the device handles the generic ones). */
  command(name: string, params: Record<string, string>): CommandOutcome;
  /**
   * Checks one model-specific config setting and, if `apply` (the default), applies it. Returns an
   * error text if the key or value is invalid. Devices check every key before applying any, so a
   * config update is all-or-nothing.
   */
  applySetting(key: string, value: string, apply?: boolean): string | undefined;
  /** Injects a scenario for tests and demos (e.g. 'door_open'); returns false if not supported. */
  trigger(scenario: string, durationMs?: number): boolean;
}

/** An appliance model: its identity, metrics, firmware versions and a factory for simulations. */
export interface ApplianceModel {
  readonly name: string;
  readonly metrics: readonly MetricSpec[];
  /** Versions that exist for this model, oldest first. */
  readonly firmwares: readonly string[];
  create(options: ModelOptions): ApplianceSim;
}
