// Golden vectors for the Parley device protocol: binary payloads plus a manifest of what each one
// must decode to (or why the platform rejects it).
//
// The bytes are built here with a tiny, independent protobuf writer instead of the generated
// protobufjs code. That makes the vectors an oracle for the generated codec (the tests check that
// decode(bytes) equals the manifest and encode(value) reproduces the bytes) rather than a snapshot
// of whatever that codec happens to do. Only Node built-ins; deterministic by construction (no
// clocks, no randomness), because `generate.mjs --check` compares the output byte for byte.

/** 2026-01-01T00:00:00Z: the device clock of every vector. */
const T0 = Date.UTC(2026, 0, 1);
const UPLINK_TYPE = 'parley.telemetry.v1.Uplink';
const DOWNLINK_TYPE = 'parley.telemetry.v1.Downlink';

/** What the platform's validator is told about each uplink vector (the authenticated connection). */
export const UPLINK_CONTEXT = Object.freeze({ deviceId: 'vec-fridge-01', receivedAtMs: T0 + 1_500 });

const SEVERITY = { unspecified: 0, info: 1, warning: 2, error: 3, critical: 4 };
const COMMAND_STATUS = { unspecified: 0, accepted: 1, succeeded: 2, failed: 3, rejected: 4 };

// ---- minimal proto3 wire writer -------------------------------------------------------------

const WIRE = { varint: 0, i64: 1, len: 2, i32: 5 };

/** Base-128 varint of an unsigned 64-bit BigInt. */
function varint(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return Uint8Array.from(out);
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const tag = (field, wire) => varint((field << 3) | wire);
const utf8 = (s) => new TextEncoder().encode(s);

function double(v) {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return b;
}

function float32(v) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return b;
}

// proto3 implicit presence: a scalar equal to its default is not written. Doubles compare with
// Object.is so that -0 (a real value) is written while +0 is not, as the official encoders do.
const fVarint = (field, v) => (v === 0 ? [] : [tag(field, WIRE.varint), varint(v)]);
const fDouble = (field, v) => (Object.is(v, 0) ? [] : [tag(field, WIRE.i64), double(v)]);
const fString = (field, s) => (s === '' ? [] : fBytes(field, utf8(s)));
const fBytes = (field, bytes) => [tag(field, WIRE.len), varint(bytes.length), bytes];
const fMessage = (field, parts) => fBytes(field, concat(parts));
/** A map entry always carries both key (1) and value (2), as protoc-generated encoders write it. */
const fMap = (field, record) =>
  Object.entries(record).flatMap(([k, v]) => fMessage(field, [...fBytes(1, utf8(k)), ...fBytes(2, utf8(v))]));

// ---- encoders for the schema in telemetry.proto ---------------------------------------------

function sample(s) {
  return [...fString(1, s.metric), ...fDouble(2, s.value), ...fVarint(3, s.timeMs)];
}

function event(e) {
  return [
    ...fString(1, e.code),
    ...fVarint(2, SEVERITY[e.severity]),
    ...fVarint(3, e.timeMs),
    ...fString(4, e.message),
    ...fMap(5, e.attributes),
  ];
}

function commandResult(c) {
  return [...fString(1, c.commandId), ...fVarint(2, COMMAND_STATUS[c.status]), ...fVarint(3, c.timeMs), ...fString(4, c.detail)];
}

/** `sampleParts` lets a vector replace how one sample is written (used for the wrong-wire-type case). */
function uplinkParts(u, sampleParts = sample) {
  return [
    ...fVarint(1, u.schemaVersion),
    ...fString(2, u.deviceId),
    ...fString(3, u.bootId),
    ...fVarint(4, u.seq),
    ...fVarint(5, u.deviceTimeMs),
    ...fString(6, u.firmware),
    ...u.samples.flatMap((s) => fMessage(7, sampleParts(s))),
    ...u.events.flatMap((e) => fMessage(8, event(e))),
    ...u.commandResults.flatMap((c) => fMessage(9, commandResult(c))),
  ];
}

function downlinkBody(b) {
  switch (b.kind) {
    case 'command':
      return fMessage(5, [...fString(1, b.name), ...fMap(2, b.params)]);
    case 'config':
      return fMessage(6, fMap(1, b.settings));
    case 'firmware_offer':
      return fMessage(7, [...fString(1, b.version), ...fString(2, b.url), ...fString(3, b.sha256)]);
    default:
      throw new Error(`unknown downlink body kind ${b.kind}`);
  }
}

function downlinkParts(d, bodyParts = downlinkBody) {
  return [
    ...fVarint(1, d.schemaVersion),
    ...fString(2, d.commandId),
    ...fVarint(3, d.issuedAtMs),
    ...fVarint(4, d.expiresAtMs),
    ...bodyParts(d.body),
  ];
}

// ---- the vectors ----------------------------------------------------------------------------

function envelope(overrides = {}) {
  return {
    schemaVersion: 1,
    deviceId: UPLINK_CONTEXT.deviceId,
    bootId: 'boot-7f3a9c',
    seq: 1,
    deviceTimeMs: T0,
    firmware: '2.1.0',
    samples: [],
    events: [],
    commandResults: [],
    ...overrides,
  };
}

const minimal = envelope({ samples: [{ metric: 'temp_c', value: 4.5, timeMs: 0 }] });

// Map entries are listed in key order: protobuf leaves map order unspecified, and sorted keys are
// what "deterministic serialization" in the official libraries produces, so other languages can
// reproduce these bytes exactly.
const full = envelope({
  seq: 4_294_967_295, // uint32 maximum: proves seq is unsigned and 32-bit
  firmware: '2.1.0-rc.1+build.77',
  samples: [
    { metric: 'temp_c', value: 4.25, timeMs: 0 },
    { metric: 'compressor.power_w', value: 87.5, timeMs: T0 - 60_000 },
    { metric: 'door.open_count', value: 0, timeMs: T0 - 30_000 },
    { metric: 'ambient.temp_c', value: -12.75, timeMs: T0 - 30_000 },
    { metric: 'energy.total_wh', value: 123_456_789.125, timeMs: T0 },
  ],
  events: [
    { code: 'boot', severity: 'unspecified', timeMs: T0 - 120_000, message: '', attributes: {} },
    { code: 'door_open', severity: 'info', timeMs: T0 - 30_000, message: 'Door opened', attributes: { door: 'main' } },
    { code: 'E42', severity: 'warning', timeMs: 0, message: 'Tür offen — 5 min', attributes: { door: 'main', duration_s: '300' } },
    { code: 'compressor.overcurrent', severity: 'error', timeMs: T0 - 1_000, message: 'Compressor current above limit', attributes: { current_a: '7.9', limit_a: '6.5' } },
    { code: 'thermal_runaway', severity: 'critical', timeMs: T0, message: 'Shutting down 🔥', attributes: {} },
  ],
  commandResults: [
    { commandId: 'cmd-0001', status: 'accepted', timeMs: T0 - 5_000, detail: '' },
    { commandId: 'cmd-0001', status: 'succeeded', timeMs: T0 - 2_000, detail: 'defrost finished after 18 min' },
    { commandId: 'cmd-0002', status: 'failed', timeMs: 0, detail: 'heater fault H3' },
    { commandId: 'cmd-0003', status: 'rejected', timeMs: 0, detail: 'unknown command "self_destruct"' },
    { commandId: 'cmd-0004', status: 'unspecified', timeMs: 0, detail: '' },
  ],
});

const heartbeat = envelope({ seq: 2 });

const downlinkCommand = {
  schemaVersion: 1,
  commandId: 'cmd-0001',
  issuedAtMs: T0,
  expiresAtMs: T0 + 3_600_000,
  body: { kind: 'command', name: 'defrost', params: { duration_min: '20', mode: 'eco' } },
};

const downlinkConfig = {
  schemaVersion: 1,
  commandId: 'cfg-0001',
  issuedAtMs: T0,
  expiresAtMs: 0, // no expiry
  body: { kind: 'config', settings: { eco_mode: 'on', report_interval_s: '60' } },
};

const downlinkFirmwareOffer = {
  schemaVersion: 1,
  commandId: 'fw-0001',
  issuedAtMs: T0,
  expiresAtMs: T0 + 7 * 86_400_000,
  body: {
    kind: 'firmware_offer',
    version: '2.2.0',
    url: 'https://updates.example.com/fridge-x1/2.2.0.bin',
    sha256: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  },
};

// Unknown fields a future schema might add: a varint and a string at field 100/101 of the
// envelope, and a fixed32 at field 4 of a sample (nested unknowns must be skipped too).
const unknownEnvelopeFields = [tag(100, WIRE.varint), varint(42), ...fString(101, 'from the future')];
const unknownSampleField = [tag(4, WIRE.i32), float32(1.5)];

const fullBytes = concat(uplinkParts(full));

/**
 * Every vector, in manifest order. `value` is the decoded value in the public TypeScript shape of
 * `@parley/proto` (see vectors/README.md); `canonical` means encoding `value` reproduces `bytes`.
 */
function vectors() {
  return [
    {
      name: 'uplink_minimal',
      message: UPLINK_TYPE,
      description: 'The smallest useful uplink: envelope plus one sample whose time_ms is 0 (= device_time_ms).',
      bytes: concat(uplinkParts(minimal)),
      valid: true,
      canonical: true,
      value: minimal,
    },
    {
      name: 'uplink_full',
      message: UPLINK_TYPE,
      description:
        'Every field: several samples (negative and zero values, explicit and implicit times), events of every severity with attributes and UTF-8 text, command results of every status, seq at the uint32 maximum.',
      bytes: fullBytes,
      valid: true,
      canonical: true,
      value: full,
    },
    {
      name: 'uplink_heartbeat',
      message: UPLINK_TYPE,
      description: 'No samples, events or results: a heartbeat. Valid; it only says "I am alive".',
      bytes: concat(uplinkParts(heartbeat)),
      valid: true,
      canonical: true,
      value: heartbeat,
    },
    {
      name: 'uplink_unknown_fields',
      message: UPLINK_TYPE,
      description:
        'uplink_minimal plus fields this schema does not know (100: varint, 101: string, and field 4 inside the sample). Decoders must skip them; re-encoding drops them, so the bytes are not canonical.',
      bytes: concat([
        ...uplinkParts(minimal, (s) => [...sample(s), ...unknownSampleField]),
        ...unknownEnvelopeFields,
      ]),
      valid: true,
      canonical: false,
      value: minimal,
    },
    {
      name: 'uplink_truncated',
      message: UPLINK_TYPE,
      description: 'uplink_full with its last 3 bytes cut off (a length prefix points past the end).',
      bytes: fullBytes.subarray(0, fullBytes.length - 3),
      valid: false,
      reject: 'decode_failed',
    },
    {
      name: 'uplink_wrong_wire_type',
      message: UPLINK_TYPE,
      description:
        'Sample.value (field 2, double, wire type 1) sent as a 32-bit float (wire type 5): the classic C firmware bug. Generic protobuf decoders would skip it as unknown and silently store 0; the platform rejects it.',
      bytes: concat(uplinkParts(minimal, (s) => [...fString(1, s.metric), tag(2, WIRE.i32), float32(s.value)])),
      valid: false,
      reject: 'decode_failed',
    },
    {
      name: 'uplink_invalid_utf8',
      message: UPLINK_TYPE,
      description: 'firmware (a string) holds the bytes FF FE, which are not UTF-8; proto3 strings must be valid UTF-8.',
      bytes: concat(uplinkParts(envelope({ firmware: '' })).concat(fBytes(6, Uint8Array.of(0xff, 0xfe)))),
      valid: false,
      reject: 'decode_failed',
    },
    {
      name: 'uplink_unsupported_schema_version',
      message: UPLINK_TYPE,
      description: 'schema_version 2: decodes, but this platform only reads version 1.',
      bytes: concat(uplinkParts({ ...minimal, schemaVersion: 2 })),
      valid: false,
      reject: 'unsupported_schema_version',
    },
    {
      name: 'uplink_missing_schema_version',
      message: UPLINK_TYPE,
      description: 'schema_version left at 0 (not written): firmware must always set it.',
      bytes: concat(uplinkParts({ ...minimal, schemaVersion: 0 })),
      valid: false,
      reject: 'unsupported_schema_version',
    },
    {
      name: 'uplink_nan_value',
      message: UPLINK_TYPE,
      description: 'A sample whose value is NaN: decodes, but a measurement must be a finite number.',
      bytes: concat(uplinkParts(envelope({ samples: [{ metric: 'temp_c', value: Number.NaN, timeMs: 0 }] }))),
      valid: false,
      reject: 'value_not_finite',
    },
    {
      name: 'uplink_bad_metric_name',
      message: UPLINK_TYPE,
      description: 'Metric "Temp C": names are lower_snake_case, optionally dotted.',
      bytes: concat(uplinkParts(envelope({ samples: [{ metric: 'Temp C', value: 4.5, timeMs: 0 }] }))),
      valid: false,
      reject: 'metric_name_invalid',
    },
    {
      name: 'uplink_seq_zero',
      message: UPLINK_TYPE,
      description: 'seq 0 (not written): the per-boot sequence starts at 1.',
      bytes: concat(uplinkParts({ ...minimal, seq: 0 })),
      valid: false,
      reject: 'seq_invalid',
    },
    {
      name: 'downlink_command',
      message: DOWNLINK_TYPE,
      description: 'A command with parameters and an expiry one hour after issue.',
      bytes: concat(downlinkParts(downlinkCommand)),
      valid: true,
      canonical: true,
      value: downlinkCommand,
    },
    {
      name: 'downlink_config',
      message: DOWNLINK_TYPE,
      description: 'A configuration update with no expiry (expires_at_ms 0, not written).',
      bytes: concat(downlinkParts(downlinkConfig)),
      valid: true,
      canonical: true,
      value: downlinkConfig,
    },
    {
      name: 'downlink_firmware_offer',
      message: DOWNLINK_TYPE,
      description: 'A firmware offer: version, HTTPS URL and the SHA-256 of the image (lowercase hex).',
      bytes: concat(downlinkParts(downlinkFirmwareOffer)),
      valid: true,
      canonical: true,
      value: downlinkFirmwareOffer,
    },
    {
      name: 'downlink_unknown_fields',
      message: DOWNLINK_TYPE,
      description:
        'downlink_command plus fields a future platform may add (100 in Downlink, 3 in Command). Firmware must skip them and act on the rest.',
      bytes: concat([
        ...downlinkParts(downlinkCommand, (b) =>
          fMessage(5, [...fString(1, b.name), ...fMap(2, b.params), ...fString(3, 'future')]),
        ),
        ...unknownEnvelopeFields,
      ]),
      valid: true,
      canonical: false,
      value: downlinkCommand,
    },
  ];
}

const hex = (bytes) => Buffer.from(bytes).toString('hex');

/**
 * Builds the vector files: `<name>.bin` for each vector and `manifest.json`.
 * @returns {Map<string, Uint8Array | string>} file name -> content
 */
export function buildVectors() {
  const files = new Map();
  const entries = [];
  for (const v of vectors()) {
    const file = `${v.name}.bin`;
    files.set(file, v.bytes);
    entries.push({
      name: v.name,
      file,
      message: v.message,
      description: v.description,
      size: v.bytes.length,
      hex: hex(v.bytes),
      valid: v.valid,
      ...(v.valid ? { canonical: v.canonical, value: v.value } : { reject: v.reject }),
    });
  }
  const manifest = {
    format: 'parley-golden-vectors/1',
    proto: 'telemetry.proto',
    schemaVersion: 1,
    uplinkContext: UPLINK_CONTEXT,
    vectors: entries,
  };
  files.set('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}
