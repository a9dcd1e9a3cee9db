import type { CommandStatus, Severity } from './types';

/** Every `Severity`, indexed by its wire number (`SEVERITIES[2] === 'warning'`). */
export const SEVERITIES = Object.freeze(['unspecified', 'info', 'warning', 'error', 'critical'] as const satisfies readonly Severity[]);

/** Every `CommandStatus`, indexed by its wire number (`COMMAND_STATUSES[2] === 'succeeded'`). */
export const COMMAND_STATUSES = Object.freeze([
  'unspecified',
  'accepted',
  'succeeded',
  'failed',
  'rejected',
] as const satisfies readonly CommandStatus[]);

const SEVERITY_NUMBERS: ReadonlyMap<string, number> = new Map(SEVERITIES.map((s, i) => [s, i]));
const COMMAND_STATUS_NUMBERS: ReadonlyMap<string, number> = new Map(COMMAND_STATUSES.map((s, i) => [s, i]));

// proto3 enums are open: a newer firmware may send a value this build has never heard of. Those
// read as 'unspecified' rather than failing the whole message (adding an enum value is a
// compatible change by the rules in telemetry.proto); the raw payload keeps the number.

/** Wire number to `Severity`; unknown numbers read as `'unspecified'`. */
export function severityFromWire(n: number): Severity {
  return SEVERITIES[n] ?? 'unspecified';
}

/** Wire number to `CommandStatus`; unknown numbers read as `'unspecified'`. */
export function commandStatusFromWire(n: number): CommandStatus {
  return COMMAND_STATUSES[n] ?? 'unspecified';
}

/** `Severity` to its wire number, or `undefined` for a string that is not a `Severity`. */
export function severityToWire(s: string): number | undefined {
  return SEVERITY_NUMBERS.get(s);
}

/** `CommandStatus` to its wire number, or `undefined` for a string that is not a `CommandStatus`. */
export function commandStatusToWire(s: string): number | undefined {
  return COMMAND_STATUS_NUMBERS.get(s);
}
