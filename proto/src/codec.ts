import * as $protobuf from 'protobufjs/minimal.js';
import { parley } from './gen/telemetry.js';
import { commandStatusFromWire, commandStatusToWire, severityFromWire, severityToWire } from './enums';
import { ProtoDecodeError, ProtoEncodeError } from './errors';
import { NumberReader } from './reader';
import type { CommandResult, DeviceEvent, Downlink, DownlinkBody, Sample, Uplink } from './types';
import {
  assertKnownWireTypes,
  COMMAND_FIELDS,
  COMMAND_RESULT_FIELDS,
  CONFIG_UPDATE_FIELDS,
  DOWNLINK_FIELDS,
  EVENT_FIELDS,
  FIRMWARE_OFFER_FIELDS,
  SAMPLE_FIELDS,
  UPLINK_FIELDS,
} from './wire-types';

export { SCHEMA_VERSION } from './types';
export type { CommandResult, CommandStatus, DeviceEvent, Downlink, DownlinkBody, Sample, Severity, Uplink } from './types';

const pb = parley.telemetry.v1;
type PbSample = parley.telemetry.v1.Sample;
type PbEvent = parley.telemetry.v1.Event;
type PbCommandResult = parley.telemetry.v1.CommandResult;
type StringMap = Record<string, string>;

/** The frozen object protobufjs leaves in place of a map that was absent on the wire. */
const EMPTY_MAP: unknown = $protobuf.util.emptyObject;

// ---- decoding -------------------------------------------------------------------------------
//
// Decoding runs protobufjs' generated decoder (fast: a switch per field, no reflection) and then
// copies the fields it produced into plain objects. The copy is deliberate: generated instances
// keep defaults on their prototype (an absent string is not an own property), which makes them
// surprising to spread, serialise or deep-compare, and they would leak protobufjs into every
// service. No toObject/JSON round trip is involved.

/** Generated message types all decode from a reader; typed loosely so one helper serves all. */
interface Decodable<T> {
  decode(reader: $protobuf.Reader): T;
}

function describeFailure(err: unknown): string {
  if (err instanceof TypeError && /utf-?8/i.test(err.message)) return 'a string field is not valid UTF-8';
  if (err instanceof RangeError && err.message.startsWith('index out of range')) {
    return `truncated or corrupt: a field runs past the end of the payload or of its enclosing message (${err.message})`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

function decodeMessage<T>(type: Decodable<T>, name: string, bytes: Uint8Array): T {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtoDecodeError(`${name}: expected bytes (Uint8Array), got ${bytes === null ? 'null' : typeof bytes}`);
  }
  const reader = new NumberReader(bytes);
  try {
    return type.decode(reader);
  } catch (err) {
    throw new ProtoDecodeError(
      `${name} is not valid protobuf: ${describeFailure(err)} (payload ${bytes.length} bytes, failed near byte ${Math.min(reader.pos, bytes.length)})`,
      { cause: err, context: { messageType: name, size: bytes.length, offset: reader.pos } },
    );
  }
}

/**
 * An int64 field as decoded. Present values are numbers (NumberReader), but an absent field reads
 * the generated prototype default, which is a `Long` zero whenever the `long` package is installed.
 */
function ms(v: number): number {
  return typeof v === 'number' ? v : 0;
}

/** A decoded map field as a fresh, mutable plain object. */
function ownMap(map: StringMap | null | undefined): StringMap {
  return map == null || map === EMPTY_MAP ? {} : map;
}

/**
 * Decodes an uplink payload.
 *
 * Unknown fields are skipped (a newer firmware may send fields this build does not know), unknown
 * enum numbers read as `'unspecified'`, and int64 times arrive as numbers.
 *
 * @throws ProtoDecodeError (code `decode_failed`) if the bytes are not a well-formed Uplink:
 *   truncated, corrupt, invalid UTF-8 in a string, or a known field sent with the wrong wire type.
 *   The message says where; it never echoes payload content.
 */
export function decodeUplink(bytes: Uint8Array): Uplink {
  const m = decodeMessage(pb.Uplink, 'Uplink', bytes);
  assertKnownWireTypes(m.$unknowns, UPLINK_FIELDS, 'Uplink');

  const pbSamples = m.samples as PbSample[];
  const samples: Sample[] = [];
  for (let i = 0; i < pbSamples.length; i++) {
    const s = pbSamples[i]!;
    if (s.$unknowns != null) assertKnownWireTypes(s.$unknowns, SAMPLE_FIELDS, `Uplink.samples[${i}]`);
    samples.push({ metric: s.metric, value: s.value, timeMs: ms(s.timeMs) });
  }

  const pbEvents = m.events as PbEvent[];
  const events: DeviceEvent[] = [];
  for (let i = 0; i < pbEvents.length; i++) {
    const e = pbEvents[i]!;
    if (e.$unknowns != null) assertKnownWireTypes(e.$unknowns, EVENT_FIELDS, `Uplink.events[${i}]`);
    events.push({
      code: e.code,
      severity: severityFromWire(e.severity),
      timeMs: ms(e.timeMs),
      message: e.message,
      attributes: ownMap(e.attributes),
    });
  }

  const pbResults = m.commandResults as PbCommandResult[];
  const commandResults: CommandResult[] = [];
  for (let i = 0; i < pbResults.length; i++) {
    const c = pbResults[i]!;
    if (c.$unknowns != null) assertKnownWireTypes(c.$unknowns, COMMAND_RESULT_FIELDS, `Uplink.command_results[${i}]`);
    commandResults.push({ commandId: c.commandId, status: commandStatusFromWire(c.status), timeMs: ms(c.timeMs), detail: c.detail });
  }

  return {
    schemaVersion: m.schemaVersion,
    deviceId: m.deviceId,
    bootId: m.bootId,
    seq: m.seq,
    deviceTimeMs: ms(m.deviceTimeMs),
    firmware: m.firmware,
    samples,
    events,
    commandResults,
  };
}

/**
 * Decodes a downlink payload (what a device, or the simulator, receives).
 *
 * @throws ProtoDecodeError (code `decode_failed`) if the bytes are not a well-formed Downlink, or
 *   if it has no body: a downlink that asks for nothing is never sent by the platform.
 */
export function decodeDownlink(bytes: Uint8Array): Downlink {
  const m = decodeMessage(pb.Downlink, 'Downlink', bytes);
  assertKnownWireTypes(m.$unknowns, DOWNLINK_FIELDS, 'Downlink');
  let body: DownlinkBody;
  // `body` is protobufjs' virtual oneof property: the member decoded last wins, as the spec says.
  switch (m.body) {
    case 'command': {
      const c = m.command as parley.telemetry.v1.Command;
      assertKnownWireTypes(c.$unknowns, COMMAND_FIELDS, 'Downlink.command');
      body = { kind: 'command', name: c.name, params: ownMap(c.params) };
      break;
    }
    case 'config': {
      const c = m.config as parley.telemetry.v1.ConfigUpdate;
      assertKnownWireTypes(c.$unknowns, CONFIG_UPDATE_FIELDS, 'Downlink.config');
      body = { kind: 'config', settings: ownMap(c.settings) };
      break;
    }
    case 'firmwareOffer': {
      const f = m.firmwareOffer as parley.telemetry.v1.FirmwareOffer;
      assertKnownWireTypes(f.$unknowns, FIRMWARE_OFFER_FIELDS, 'Downlink.firmware_offer');
      body = { kind: 'firmware_offer', version: f.version, url: f.url, sha256: f.sha256 };
      break;
    }
    default:
      throw new ProtoDecodeError('Downlink has no body: one of command (5), config (6) or firmware_offer (7) is required', {
        context: { messageType: 'Downlink', size: bytes.length },
      });
  }
  return { schemaVersion: m.schemaVersion, commandId: m.commandId, issuedAtMs: ms(m.issuedAtMs), expiresAtMs: ms(m.expiresAtMs), body };
}

// ---- encoding -------------------------------------------------------------------------------
//
// Values are checked only as far as the wire needs (types, integer ranges, enum names): protobufjs
// would otherwise coerce or truncate silently (seq 2^32 becomes 0, a string where a number belongs
// becomes garbage). Semantic rules are the validators' job.

// Each check takes the field's location as (list, index, field) and builds the path string only
// when it fails, so a valid message costs no string building (encoding is dominated by the
// protobufjs writer; the checks should stay invisible next to it).

/** `list[index].field`, or just `field` when `index` is -1. */
function at(list: string, index: number, field: string): string {
  return index < 0 ? field : `${list}[${index}].${field}`;
}

function bad(path: string, expected: string, got: unknown): never {
  // Numbers are safe to show; strings and objects could be payload, so only their type is named.
  const shown = typeof got === 'number' ? String(got) : got === null ? 'null' : typeof got;
  throw new ProtoEncodeError(`${path} must be ${expected}, got ${shown}`);
}

function uint32(v: unknown, list: string, index: number, field: string): number {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff_ffff) return v;
  return bad(at(list, index, field), 'an integer in 0..4294967295 (uint32)', v);
}

function int64(v: unknown, list: string, index: number, field: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  return bad(at(list, index, field), 'a safe integer (int64 milliseconds)', v);
}

function double(v: unknown, list: string, index: number, field: string): number {
  // NaN and ±Infinity are encodable doubles; whether they are acceptable is validateUplink's call.
  if (typeof v === 'number') return v;
  return bad(at(list, index, field), 'a number', v);
}

function string(v: unknown, list: string, index: number, field: string): string {
  if (typeof v === 'string') return v;
  return bad(at(list, index, field), 'a string', v);
}

function stringMap(v: unknown, list: string, index: number, field: string): StringMap {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad(at(list, index, field), 'an object of strings', v);
  const map = v as Record<string, unknown>;
  for (const key in map) {
    if (!Object.hasOwn(map, key)) continue;
    const value = map[key];
    if (typeof value !== 'string') bad(`${at(list, index, field)}[${JSON.stringify(key.slice(0, 40))}]`, 'a string', value);
  }
  return map as StringMap;
}

function array<T>(v: T[], field: string): T[] {
  if (Array.isArray(v)) return v;
  return bad(field, 'an array', v);
}

function enumValue(v: unknown, toWire: (s: string) => number | undefined, names: string, list: string, index: number, field: string): number {
  const n = typeof v === 'string' ? toWire(v) : undefined;
  if (n !== undefined) return n;
  throw new ProtoEncodeError(
    `${at(list, index, field)} must be one of ${names}, got ${typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v}`,
  );
}

const SEVERITY_NAMES = "'unspecified', 'info', 'warning', 'error', 'critical'";
const STATUS_NAMES = "'unspecified', 'accepted', 'succeeded', 'failed', 'rejected'";

/**
 * Encodes an uplink. Default values (0, `''`, empty lists) are omitted, as proto3 requires.
 *
 * @throws ProtoEncodeError (code `encode_failed`) if a value cannot be represented on the wire:
 *   non-integer or out-of-range integers, unknown enum names, wrong JS types.
 */
export function encodeUplink(u: Uplink): Uint8Array {
  const samples = array(u.samples, 'samples').map((s, i) => ({
    metric: string(s.metric, 'samples', i, 'metric'),
    value: double(s.value, 'samples', i, 'value'),
    timeMs: int64(s.timeMs, 'samples', i, 'timeMs'),
  }));
  const events = array(u.events, 'events').map((e, i) => ({
    code: string(e.code, 'events', i, 'code'),
    severity: enumValue(e.severity, severityToWire, SEVERITY_NAMES, 'events', i, 'severity'),
    timeMs: int64(e.timeMs, 'events', i, 'timeMs'),
    message: string(e.message, 'events', i, 'message'),
    attributes: stringMap(e.attributes, 'events', i, 'attributes'),
  }));
  const commandResults = array(u.commandResults, 'commandResults').map((c, i) => ({
    commandId: string(c.commandId, 'commandResults', i, 'commandId'),
    status: enumValue(c.status, commandStatusToWire, STATUS_NAMES, 'commandResults', i, 'status'),
    timeMs: int64(c.timeMs, 'commandResults', i, 'timeMs'),
    detail: string(c.detail, 'commandResults', i, 'detail'),
  }));
  return pb.Uplink
    .encode({
      schemaVersion: uint32(u.schemaVersion, '', -1, 'schemaVersion'),
      deviceId: string(u.deviceId, '', -1, 'deviceId'),
      bootId: string(u.bootId, '', -1, 'bootId'),
      seq: uint32(u.seq, '', -1, 'seq'),
      deviceTimeMs: int64(u.deviceTimeMs, '', -1, 'deviceTimeMs'),
      firmware: string(u.firmware, '', -1, 'firmware'),
      samples,
      events,
      commandResults,
    })
    .finish();
}

/**
 * Encodes a downlink. Exactly one body member is written, chosen by `body.kind`; it is written even
 * when empty (a command without parameters), so the device always learns which kind it got.
 *
 * @throws ProtoEncodeError (code `encode_failed`) if a value cannot be represented on the wire.
 */
export function encodeDownlink(d: Downlink): Uint8Array {
  const message: parley.telemetry.v1.Downlink.$Properties = {
    schemaVersion: uint32(d.schemaVersion, '', -1, 'schemaVersion'),
    commandId: string(d.commandId, '', -1, 'commandId'),
    issuedAtMs: int64(d.issuedAtMs, '', -1, 'issuedAtMs'),
    expiresAtMs: int64(d.expiresAtMs, '', -1, 'expiresAtMs'),
  };
  const body: DownlinkBody | undefined = d.body;
  switch (body?.kind) {
    case 'command':
      message.command = { name: string(body.name, '', -1, 'body.name'), params: stringMap(body.params, '', -1, 'body.params') };
      break;
    case 'config':
      message.config = { settings: stringMap(body.settings, '', -1, 'body.settings') };
      break;
    case 'firmware_offer':
      message.firmwareOffer = {
        version: string(body.version, '', -1, 'body.version'),
        url: string(body.url, '', -1, 'body.url'),
        sha256: string(body.sha256, '', -1, 'body.sha256'),
      };
      break;
    default: {
      const kind: unknown = (d.body as { kind?: unknown } | undefined)?.kind;
      throw new ProtoEncodeError(
        `body.kind must be 'command', 'config' or 'firmware_offer', got ${typeof kind === 'string' ? JSON.stringify(kind.slice(0, 40)) : typeof kind}`,
      );
    }
  }
  return pb.Downlink.encode(message).finish();
}
