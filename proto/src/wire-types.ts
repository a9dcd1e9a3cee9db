import { ProtoDecodeError } from './errors';

/** Protobuf wire types by number, for error messages. */
const WIRE_TYPE_NAMES = ['VARINT', 'I64', 'LEN', 'SGROUP', 'EGROUP', 'I32'] as const;

/** Field number -> [wire type the schema implies, proto field name]. */
export type FieldTable = Readonly<Record<number, readonly [wireType: number, name: string]>>;

// The wire type each field of telemetry.proto must arrive with. A unit test loads the .proto with
// protobufjs' parser and checks these tables against it, so a schema change cannot leave them
// behind silently. A field missing here only loses the wrong-wire-type check, nothing else.
export const UPLINK_FIELDS: FieldTable = {
  1: [0, 'schema_version'],
  2: [2, 'device_id'],
  3: [2, 'boot_id'],
  4: [0, 'seq'],
  5: [0, 'device_time_ms'],
  6: [2, 'firmware'],
  7: [2, 'samples'],
  8: [2, 'events'],
  9: [2, 'command_results'],
};
export const SAMPLE_FIELDS: FieldTable = { 1: [2, 'metric'], 2: [1, 'value'], 3: [0, 'time_ms'] };
export const EVENT_FIELDS: FieldTable = { 1: [2, 'code'], 2: [0, 'severity'], 3: [0, 'time_ms'], 4: [2, 'message'], 5: [2, 'attributes'] };
export const COMMAND_RESULT_FIELDS: FieldTable = { 1: [2, 'command_id'], 2: [0, 'status'], 3: [0, 'time_ms'], 4: [2, 'detail'] };
export const DOWNLINK_FIELDS: FieldTable = {
  1: [0, 'schema_version'],
  2: [2, 'command_id'],
  3: [0, 'issued_at_ms'],
  4: [0, 'expires_at_ms'],
  5: [2, 'command'],
  6: [2, 'config'],
  7: [2, 'firmware_offer'],
};
export const COMMAND_FIELDS: FieldTable = { 1: [2, 'name'], 2: [2, 'params'] };
export const CONFIG_UPDATE_FIELDS: FieldTable = { 1: [2, 'settings'] };
export const FIRMWARE_OFFER_FIELDS: FieldTable = { 1: [2, 'version'], 2: [2, 'url'], 3: [2, 'sha256'] };

/** Reads the tag varint at the start of a skipped field's raw bytes. */
function readTag(raw: Uint8Array): number {
  let tag = 0;
  for (let i = 0, shift = 0; i < raw.length && i < 5; i++, shift += 7) {
    const b = raw[i]!;
    tag |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  return tag >>> 0;
}

/**
 * Throws if any field protobufjs skipped is one the schema knows, i.e. it came with the wrong wire
 * type. The protobuf spec lets decoders treat that as an unknown field and carry on, which would
 * turn the classic firmware bug (a C `float` sent as wire type 5 where the schema says `double`)
 * into a silently stored 0. The platform rejects it instead so the device maker sees the bug.
 *
 * @param unknowns the message's `$unknowns` (raw bytes of each skipped field), if any
 * @param path where the message sits, for the error message: `Uplink.samples[3]`
 */
export function assertKnownWireTypes(unknowns: readonly Uint8Array[] | undefined | null, table: FieldTable, path: string): void {
  if (unknowns == null) return;
  for (const raw of unknowns) {
    const tag = readTag(raw);
    const expected = table[tag >>> 3];
    if (expected === undefined) continue;
    const [wireType, name] = expected;
    const got = tag & 7;
    throw new ProtoDecodeError(
      `${path}.${name} (field ${tag >>> 3}) has wire type ${got} (${WIRE_TYPE_NAMES[got] ?? '?'}); the schema says ${wireType} (${WIRE_TYPE_NAMES[wireType]})`,
    );
  }
}
