import { fileURLToPath } from 'node:url';
import * as $protobuf from 'protobufjs/minimal.js';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { AppError } from '@parley/errors';
import { decodeDownlink, decodeUplink, encodeDownlink, encodeUplink, ProtoDecodeError, ProtoEncodeError, type Downlink, type Uplink } from './index';
import { parley } from './gen/telemetry.js';
import { NumberReader } from './reader';
import * as wire from './wire-types';

const pb = parley.telemetry.v1;
const T0 = Date.UTC(2026, 0, 1);

function uplink(overrides: Partial<Uplink> = {}): Uplink {
  return {
    schemaVersion: 1,
    deviceId: 'fridge-0001',
    bootId: 'boot-1',
    seq: 7,
    deviceTimeMs: T0,
    firmware: '2.1.0',
    samples: [
      { metric: 'temp_c', value: 4.5, timeMs: 0 },
      { metric: 'compressor.power_w', value: 87.25, timeMs: T0 - 1000 },
    ],
    events: [{ code: 'door_open', severity: 'warning', timeMs: T0 - 500, message: 'Tür offen', attributes: { door: 'main', duration_s: '300' } }],
    commandResults: [{ commandId: 'cmd-1', status: 'succeeded', timeMs: T0 - 100, detail: 'done' }],
    ...overrides,
  };
}

function expectDecodeError(fn: () => unknown, pattern: RegExp): ProtoDecodeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtoDecodeError);
    expect(err).toBeInstanceOf(AppError);
    const e = err as ProtoDecodeError;
    expect(e.code).toBe('decode_failed');
    expect(e.status).toBe(400);
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(pattern);
    return e;
  }
  throw new Error('expected a ProtoDecodeError');
}

function expectEncodeError(fn: () => unknown, pattern: RegExp): void {
  expect(fn).toThrow(ProtoEncodeError);
  expect(fn).toThrow(pattern);
  try {
    fn();
  } catch (err) {
    expect((err as ProtoEncodeError).code).toBe('encode_failed');
  }
}

describe('uplink codec', () => {
  it('round-trips every field', () => {
    const u = uplink();
    expect(decodeUplink(encodeUplink(u))).toEqual(u);
  });

  it('round-trips a heartbeat (no items) into fresh, mutable arrays and maps', () => {
    const u = uplink({ samples: [], events: [{ code: 'boot', severity: 'unspecified', timeMs: 0, message: '', attributes: {} }], commandResults: [] });
    const decoded = decodeUplink(encodeUplink(u));
    expect(decoded).toEqual(u);
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    decoded.samples.push({ metric: 'x', value: 1, timeMs: 0 });
    decoded.events[0]!.attributes.k = 'v';
    expect(decodeUplink(encodeUplink(u)).samples).toEqual([]);
  });

  it('decodes an empty payload as an all-defaults uplink', () => {
    expect(decodeUplink(new Uint8Array(0))).toEqual({
      schemaVersion: 0,
      deviceId: '',
      bootId: '',
      seq: 0,
      deviceTimeMs: 0,
      firmware: '',
      samples: [],
      events: [],
      commandResults: [],
    });
  });

  it('keeps int64 times exact as numbers across the safe range, including negatives', () => {
    for (const t of [1, -1, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, T0, -T0, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      const d = decodeUplink(encodeUplink(uplink({ deviceTimeMs: t, samples: [{ metric: 'm', value: 1, timeMs: t }] })));
      expect(d.deviceTimeMs).toBe(t);
      expect(d.samples[0]!.timeMs).toBe(t);
      expect(typeof d.deviceTimeMs).toBe('number');
    }
  });

  it('reads int64 like protobufjs + Long would, for random 64-bit varints', () => {
    let x = 0x9e3779b9;
    const rand = () => ((x = (x * 1103515245 + 12345) >>> 0), x);
    for (let i = 0; i < 2000; i++) {
      const w = $protobuf.Writer.create();
      const bits = new $protobuf.util.LongBits(rand(), i % 3 === 0 ? rand() : rand() >>> (i % 32));
      w.int64(bits.toNumber(false));
      const bytes = w.finish();
      const expected = (new $protobuf.Reader(bytes).int64() as unknown as { toNumber(): number }).toNumber();
      expect((new NumberReader(bytes) as unknown as { int64(): number }).int64()).toBe(expected);
    }
  });

  it('keeps -0, NaN and infinities (encodable; the validator judges them)', () => {
    const values = [-0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.MIN_VALUE, Number.MAX_VALUE];
    const d = decodeUplink(encodeUplink(uplink({ samples: values.map((value) => ({ metric: 'm', value, timeMs: 0 })) })));
    d.samples.forEach((s, i) => expect(Object.is(s.value, values[i])).toBe(true));
  });

  it('accepts Buffers and Uint8Array views with a byte offset', () => {
    const bytes = encodeUplink(uplink());
    const padded = new Uint8Array(bytes.length + 10);
    padded.set(bytes, 7);
    expect(decodeUplink(padded.subarray(7, 7 + bytes.length))).toEqual(uplink());
    expect(decodeUplink(Buffer.from(bytes))).toEqual(uplink());
  });

  it('reads enum numbers it does not know as unspecified', () => {
    // Numbers from a future schema, which the generated types (rightly) do not admit.
    const future = { events: [{ code: 'x', severity: 9 }], commandResults: [{ commandId: 'c', status: 42 }] };
    const bytes = pb.Uplink.encode(future as unknown as parley.telemetry.v1.Uplink.$Properties).finish();
    const d = decodeUplink(bytes);
    expect(d.events[0]!.severity).toBe('unspecified');
    expect(d.commandResults[0]!.status).toBe('unspecified');
  });

  it('keeps an attribute named __proto__ as plain data', () => {
    const d = decodeUplink(encodeUplink(uplink({ events: [{ code: 'x', severity: 'info', timeMs: 0, message: '', attributes: JSON.parse('{"__proto__":"v"}') }] })));
    const attrs = d.events[0]!.attributes;
    expect(Object.keys(attrs)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(attrs)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).v).toBeUndefined();
  });
});

describe('uplink decode errors', () => {
  const bytes = encodeUplink(uplink());

  it('reports truncation with the byte offset', () => {
    const e = expectDecodeError(() => decodeUplink(bytes.subarray(0, bytes.length - 2)), /^Uplink is not valid protobuf: truncated or corrupt.*payload \d+ bytes, failed near byte \d+/);
    expect(e.context).toMatchObject({ messageType: 'Uplink', size: bytes.length - 2 });
  });

  it('rejects a known field sent with the wrong wire type, naming the field', () => {
    // Sample.value (double, I64) written as a 32-bit float (I32).
    const w = $protobuf.Writer.create();
    w.uint32((7 << 3) | 2).fork().uint32((1 << 3) | 2).string('temp_c').uint32((2 << 3) | 5).float(4.5).ldelim();
    expectDecodeError(() => decodeUplink(w.finish()), /^Uplink\.samples\[0\]\.value \(field 2\) has wire type 5 \(I32\); the schema says 1 \(I64\)$/);
  });

  it('rejects an envelope field with the wrong wire type', () => {
    const w = $protobuf.Writer.create();
    w.uint32((5 << 3) | 1).fixed64(T0); // device_time_ms as fixed64
    expectDecodeError(() => decodeUplink(w.finish()), /^Uplink\.device_time_ms \(field 5\) has wire type 1/);
  });

  it('skips genuinely unknown fields of any wire type', () => {
    const w = $protobuf.Writer.create();
    w.uint32((100 << 3) | 0).uint32(1).uint32((101 << 3) | 1).fixed64(5).uint32((102 << 3) | 5).fixed32(5).uint32((103 << 3) | 2).string('x');
    const extra = w.finish();
    const combined = new Uint8Array([...bytes, ...extra]);
    expect(decodeUplink(combined)).toEqual(uplink());
  });

  it('rejects invalid UTF-8 in strings', () => {
    expectDecodeError(() => decodeUplink(Uint8Array.of((2 << 3) | 2, 2, 0xc3, 0x28)), /a string field is not valid UTF-8/);
  });

  it('rejects field number 0 and reserved wire types', () => {
    expectDecodeError(() => decodeUplink(Uint8Array.of(0x00, 0x01)), /field number 0/);
    expectDecodeError(() => decodeUplink(Uint8Array.of((100 << 3) | 6)), /invalid wire type 6/);
  });

  it('rejects non-bytes input', () => {
    expectDecodeError(() => decodeUplink('hello' as unknown as Uint8Array), /expected bytes \(Uint8Array\), got string/);
  });

  it('never echoes payload text', () => {
    const secret = 'SECRET-PAYLOAD-TEXT';
    const full = encodeUplink(uplink({ firmware: secret }));
    const e = expectDecodeError(() => decodeUplink(full.subarray(0, full.length - 1)), /truncated/);
    expect(e.message).not.toContain(secret);
  });
});

describe('uplink encode errors', () => {
  it.each([
    ['seq -1', { seq: -1 }, /^seq must be an integer in 0\.\.4294967295 \(uint32\), got -1$/],
    ['seq 2^32', { seq: 2 ** 32 }, /^seq must be .*got 4294967296$/],
    ['fractional schema version', { schemaVersion: 1.5 }, /^schemaVersion must be/],
    ['fractional time', { deviceTimeMs: 1.5 }, /^deviceTimeMs must be a safe integer/],
    ['unsafe time', { deviceTimeMs: 2 ** 60 }, /^deviceTimeMs must be a safe integer/],
    ['number as string', { deviceId: 42 as unknown as string }, /^deviceId must be a string, got 42$/],
    ['string as number', { seq: '5' as unknown as number }, /^seq must be .* got string$/],
    ['bad sample time', { samples: [{ metric: 'm', value: 1, timeMs: Number.NaN }] }, /^samples\[0\]\.timeMs must be a safe integer/],
    ['bad sample value', { samples: [{ metric: 'm', value: '1' as unknown as number, timeMs: 0 }] }, /^samples\[0\]\.value must be a number, got string$/],
    ['bad severity', { events: [{ code: 'x', severity: 'fatal' as 'error', timeMs: 0, message: '', attributes: {} }] }, /^events\[0\]\.severity must be one of .*got "fatal"$/],
    ['bad status', { commandResults: [{ commandId: 'c', status: 'done' as 'succeeded', timeMs: 0, detail: '' }] }, /^commandResults\[0\]\.status must be one of/],
    ['bad attribute value', { events: [{ code: 'x', severity: 'info', timeMs: 0, message: '', attributes: { n: 1 as unknown as string } }] }, /^events\[0\]\.attributes\["n"\] must be a string, got 1$/],
    ['samples not an array', { samples: null as unknown as [] }, /^samples must be an array, got null$/],
  ] as const)('refuses %s', (_name, overrides, pattern) => {
    expectEncodeError(() => encodeUplink(uplink(overrides as Partial<Uplink>)), pattern);
  });

  it('does not echo strings in encode errors', () => {
    expectEncodeError(
      () => encodeUplink(uplink({ events: [{ code: 'x', severity: 'x'.repeat(1000) as 'info', timeMs: 0, message: '', attributes: {} }] })),
      /got "x{40}"$/,
    );
  });
});

describe('downlink codec', () => {
  const base = { schemaVersion: 1, commandId: 'cmd-1', issuedAtMs: T0, expiresAtMs: T0 + 60_000 };
  const downlinks: Downlink[] = [
    { ...base, body: { kind: 'command', name: 'defrost', params: { duration_min: '20' } } },
    { ...base, body: { kind: 'command', name: '', params: {} } },
    { ...base, expiresAtMs: 0, body: { kind: 'config', settings: { eco_mode: 'on' } } },
    { ...base, body: { kind: 'config', settings: {} } },
    { ...base, body: { kind: 'firmware_offer', version: '2.2.0', url: 'https://x.example/fw.bin', sha256: 'ab'.repeat(32) } },
  ];

  it.each(downlinks.map((d) => [d.body.kind, d] as const))('round-trips a %s, even with an empty body', (_kind, d) => {
    expect(decodeDownlink(encodeDownlink(d))).toEqual(d);
  });

  it('lets the last oneof member on the wire win', () => {
    const bytes = pb.Downlink.encode({ schemaVersion: 1, command: { name: 'defrost' }, config: { settings: { a: 'b' } } }).finish();
    expect(decodeDownlink(bytes).body).toEqual({ kind: 'config', settings: { a: 'b' } });
  });

  it('refuses to decode a downlink without a body', () => {
    expectDecodeError(() => decodeDownlink(pb.Downlink.encode({ schemaVersion: 1, commandId: 'x' }).finish()), /^Downlink has no body/);
  });

  it('rejects a wrong wire type inside the body', () => {
    const w = $protobuf.Writer.create();
    w.uint32((5 << 3) | 2).fork().uint32((1 << 3) | 0).uint32(7).ldelim(); // Command.name as a varint
    expectDecodeError(() => decodeDownlink(w.finish()), /^Downlink\.command\.name \(field 1\) has wire type 0 \(VARINT\); the schema says 2 \(LEN\)$/);
  });

  it('refuses an unknown body kind when encoding', () => {
    expectEncodeError(() => encodeDownlink({ ...base, body: { kind: 'reboot' } as unknown as Downlink['body'] }), /^body\.kind must be .* got "reboot"$/);
    expectEncodeError(() => encodeDownlink({ ...base } as unknown as Downlink), /^body\.kind must be .* got undefined$/);
  });
});

describe('wire type tables', () => {
  // protobufjs' wire type for each scalar type name; everything else (messages, maps, strings) is LEN.
  const SCALAR_WIRE: Record<string, number> = {
    double: 1, fixed64: 1, sfixed64: 1, float: 5, fixed32: 5, sfixed32: 5,
    int32: 0, int64: 0, uint32: 0, uint64: 0, sint32: 0, sint64: 0, bool: 0,
  };
  const tables: Record<string, wire.FieldTable> = {
    Uplink: wire.UPLINK_FIELDS,
    Sample: wire.SAMPLE_FIELDS,
    Event: wire.EVENT_FIELDS,
    CommandResult: wire.COMMAND_RESULT_FIELDS,
    Downlink: wire.DOWNLINK_FIELDS,
    Command: wire.COMMAND_FIELDS,
    ConfigUpdate: wire.CONFIG_UPDATE_FIELDS,
    FirmwareOffer: wire.FIRMWARE_OFFER_FIELDS,
  };
  const root = protobuf.loadSync(fileURLToPath(new URL('../telemetry.proto', import.meta.url)));

  it.each(Object.keys(tables))('match telemetry.proto for %s', (name) => {
    const type = root.lookupType(`parley.telemetry.v1.${name}`);
    const expected: Record<number, [number, string]> = {};
    for (const f of type.fieldsArray) {
      f.resolve();
      const isEnum = f.resolvedType instanceof protobuf.Enum;
      const w = f.map || f.repeated ? 2 : isEnum ? 0 : (SCALAR_WIRE[f.type] ?? 2);
      expected[f.id] = [w, f.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
    }
    expect(tables[name]).toEqual(expected);
  });
});
