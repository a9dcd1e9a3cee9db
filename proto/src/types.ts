/**
 * The device protocol as plain TypeScript values: what services pass around, store and test
 * against. These mirror telemetry.proto field for field (lowerCamelCase names, enums as short
 * lowercase strings, oneof as a tagged union); the generated protobufjs classes stay internal.
 *
 * All times are milliseconds since the Unix epoch as JS numbers. The wire type is int64, but epoch
 * milliseconds stay below 2^53 for the next 280,000 years, so a number is exact and saves every
 * caller from Long/BigInt handling.
 */

/** The schema version this package writes and reads (`schema_version` in telemetry.proto). */
export const SCHEMA_VERSION = 1;

/** `Severity` without its `SEVERITY_` prefix. Unknown wire values decode as `'unspecified'`. */
export type Severity = 'unspecified' | 'info' | 'warning' | 'error' | 'critical';

/** `CommandStatus` without its `COMMAND_STATUS_` prefix. Unknown wire values decode as `'unspecified'`. */
export type CommandStatus = 'unspecified' | 'accepted' | 'succeeded' | 'failed' | 'rejected';

/** One measurement. */
export interface Sample {
  /** lower_snake_case, optionally dotted: `compressor.power_w`. */
  metric: string;
  value: number;
  /** Device clock; 0 means "at the envelope's `deviceTimeMs`". */
  timeMs: number;
}

/** Something that happened on the device: a door left open, an error code, a reboot. */
export interface DeviceEvent {
  /** e.g. `door_open`, `E42`. */
  code: string;
  severity: Severity;
  /** Device clock; 0 means "at the envelope's `deviceTimeMs`". */
  timeMs: number;
  /** Short human text; `''` when absent. */
  message: string;
  attributes: Record<string, string>;
}

/** The device's answer to a downlink, matched by `commandId`. */
export interface CommandResult {
  commandId: string;
  status: CommandStatus;
  /** Device clock; 0 means "at the envelope's `deviceTimeMs`". */
  timeMs: number;
  detail: string;
}

/**
 * One message from a device. `(deviceId, bootId, seq)` is the idempotency key: a re-sent message
 * carries the same key and is shown once.
 */
export interface Uplink {
  schemaVersion: number;
  /** Must equal the id the device authenticated with. */
  deviceId: string;
  /** Random id the device picks at every boot. */
  bootId: string;
  /** Per-boot sequence number, starting at 1 (uint32). */
  seq: number;
  /** Device clock when the message was built. Kept as sent: skew is never "fixed". */
  deviceTimeMs: number;
  /** Firmware version, e.g. `2.1.0`. */
  firmware: string;
  samples: Sample[];
  events: DeviceEvent[];
  commandResults: CommandResult[];
}

/** What a downlink asks the device to do (the `body` oneof). */
export type DownlinkBody =
  | { kind: 'command'; name: string; params: Record<string, string> }
  | { kind: 'config'; settings: Record<string, string> }
  | { kind: 'firmware_offer'; version: string; url: string; sha256: string };

/** One message to a device: a command, a configuration change or a firmware offer. */
export interface Downlink {
  schemaVersion: number;
  /** Unique; the device echoes it in `CommandResult.commandId`. */
  commandId: string;
  /** Platform clock. */
  issuedAtMs: number;
  /** 0 = no expiry; a device ignores a downlink received after this time. */
  expiresAtMs: number;
  body: DownlinkBody;
}
