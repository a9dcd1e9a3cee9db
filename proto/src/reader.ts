import * as $protobuf from 'protobufjs/minimal.js';

/**
 * `NumberReader`: the protobufjs Reader the codec decodes with. Two differences from the stock
 * reader, both scoped to this package (no global `protobuf.util.Long` / `configure()` change that
 * would surprise any other protobufjs user in the process, e.g. OpenTelemetry exporters):
 *
 * 1. `int64()` returns a JS number. The stock reader returns a `Long` whenever the `long` package
 *    is installed (it is, in this repo), which costs an allocation per timestamp and pushes Long
 *    handling onto every caller. Values beyond ±2^53 lose precision; for epoch milliseconds that is
 *    ~285,000 years away, and the validators reject such times anyway.
 * 2. `discardUnknown` is off, so skipped fields are collected in `$unknowns`. The codec inspects
 *    them to reject *known* field numbers sent with the wrong wire type (see wire-types.ts). Truly
 *    unknown fields are skipped and dropped; the raw payload the platform stores still has them.
 */
export type NumberReader = $protobuf.Reader;

/** Constructor type of {@link NumberReader}; see the docs there. */
export interface NumberReaderConstructor {
  new (bytes: Uint8Array): NumberReader;
  prototype: NumberReader;
}

// A pre-ES6 constructor, the way protobufjs' own BufferReader extends Reader. An ES `class
// NumberReader extends Reader` (Reader being a plain function) made the whole decode ~3x slower
// on Node 20 in a side-by-side benchmark, and every decode creates a reader.
const BaseReader = $protobuf.Reader as unknown as (this: $protobuf.Reader, bytes: Uint8Array) => void;

export const NumberReader = function NumberReader(this: $protobuf.Reader, bytes: Uint8Array): void {
  BaseReader.call(this, bytes);
  this.discardUnknown = false;
} as unknown as NumberReaderConstructor;

function outOfRange(reader: $protobuf.Reader, pos: number): RangeError {
  return new RangeError(`index out of range: ${pos} + 1 > ${reader.len}`);
}

/** Two's-complement 64-bit (hi:lo) to the nearest number, exactly like protobufjs' LongBits.toNumber. */
function toNumber(lo: number, hi: number): number {
  lo >>>= 0;
  hi >>>= 0;
  if (hi >>> 31) {
    const negLo = (~lo + 1) >>> 0;
    let negHi = ~hi >>> 0;
    if (negLo === 0) negHi = (negHi + 1) >>> 0;
    return -(negLo + negHi * 4294967296);
  }
  return lo + hi * 4294967296;
}

/**
 * Reads an int64 varint (up to 10 bytes) straight into a number. Most timestamps take the
 * 6-byte path; the loop form keeps it small and V8 handles it well (see scripts/bench.ts).
 */
function readInt64(this: $protobuf.Reader): number {
  const buf = this.buf;
  const len = this.len;
  let pos = this.pos;
  let lo = 0;
  let b: number;
  for (let shift = 0; shift < 28; shift += 7) {
    if (pos >= len) throw outOfRange(this, pos);
    b = buf[pos++]!;
    lo |= (b & 0x7f) << shift;
    if (b < 0x80) {
      this.pos = pos;
      return lo;
    }
  }
  if (pos >= len) throw outOfRange(this, pos);
  b = buf[pos++]!;
  lo |= (b & 0x7f) << 28; // bits 28..31; the byte's top 3 bits go to hi
  let hi = (b & 0x7f) >> 4;
  if (b < 0x80) {
    this.pos = pos;
    return toNumber(lo, hi);
  }
  for (let shift = 3; shift < 32; shift += 7) {
    if (pos >= len) throw outOfRange(this, pos);
    b = buf[pos++]!;
    hi |= (b & 0x7f) << shift;
    if (b < 0x80) {
      this.pos = pos;
      return toNumber(lo, hi);
    }
  }
  throw new Error(`invalid varint encoding at offset ${this.pos}`);
}

NumberReader.prototype = Object.create($protobuf.Reader.prototype, {
  constructor: { value: NumberReader, writable: true, configurable: true },
  // Declared as returning `Long` in protobufjs' types; replaced on this subclass only.
  int64: { value: readInt64, writable: true, configurable: true },
}) as NumberReader;
