import { crc32 } from 'node:zlib';
import { invalidRecordError } from './errors';
import type { AppendRecord, LogRecord } from './telemetry-log';

/**
 * On-disk framing of one record in a segment file. All integers little-endian.
 *
 * ```
 * pos  size  field
 *   0     4  length       u32  number of bytes that follow this field (crc .. end of value)
 *   4     4  crc          u32  CRC-32 (IEEE, zlib.crc32) of bytes [8, 4 + length)
 *   8     1  magic        u8   format version, currently 1
 *   9     8  offset       u64  the record's offset in the partition
 *  17     8  timestamp    i64  ms since epoch
 *  25     2  keyLength    u16  then `keyLength` bytes of UTF-8 key
 *   .     2  headerCount  u16  then per header: u16 nameLength, name, u16 valueLength, value (UTF-8)
 *   .     4  valueLength  u32  then `valueLength` bytes of value
 * ```
 *
 * Why this shape: the length comes first so a reader can skip a record without decoding it, and a
 * torn write shows up either as a length running past the end of the file or as a CRC mismatch.
 * The CRC covers the offset, so a record copied to the wrong place does not verify. The offset is
 * stored in the record (not only derived from the segment's base) so recovery can check that the
 * offsets are contiguous and a reader can seek by scanning. `zlib.crc32` is native (Node ≥ 20.15),
 * so checksumming costs far less than the syscalls around it.
 */
export const RECORD_MAGIC = 1;
/** Bytes before the key: length, crc, magic, offset, timestamp, keyLength. */
const FIXED_PREFIX = 27;
/** The smallest possible framed record (empty key, no headers, empty value). */
export const MIN_RECORD_BYTES = FIXED_PREFIX + 2 + 4;
/** Upper bound on one framed record; anything larger in a file is treated as corruption. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;
const MAX_U16 = 0xffff;

/**
 * Frames a record with offset and CRC still zero: the offset is only known when the group is
 * written, so `sealRecord` fills both in then. Encoding happens at `append` time so the CPU cost
 * is spread over the callers instead of stalling the group writer. Throws a ValidationError
 * (`log_record_invalid`) for records that cannot be framed.
 */
export function encodeRecord(record: AppendRecord, now: number): Buffer {
  const timestamp = record.timestamp ?? now;
  if (!Number.isSafeInteger(timestamp)) {
    throw invalidRecordError('record timestamp must be an integer number of ms since epoch', { timestamp });
  }
  const keyLength = Buffer.byteLength(record.key, 'utf8');
  if (keyLength > MAX_U16) throw invalidRecordError('record key is longer than 65535 bytes', { keyLength });
  const headerEntries = record.headers ? Object.entries(record.headers) : [];
  if (headerEntries.length > MAX_U16) {
    throw invalidRecordError('record has more than 65535 headers', { headers: headerEntries.length });
  }
  let size = FIXED_PREFIX + keyLength + 2 + 4 + record.value.length;
  const headerLengths: number[] = [];
  for (const [name, value] of headerEntries) {
    const n = Buffer.byteLength(name, 'utf8');
    const v = Buffer.byteLength(value, 'utf8');
    if (n > MAX_U16 || v > MAX_U16) throw invalidRecordError('record header name or value is longer than 65535 bytes', { header: name.slice(0, 64) });
    headerLengths.push(n, v);
    size += 4 + n + v;
  }
  if (size > MAX_RECORD_BYTES) {
    throw invalidRecordError(`record is ${size} bytes framed; the file log accepts at most ${MAX_RECORD_BYTES}`, { size });
  }

  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt32LE(size - 4, 0);
  buf.writeUInt32LE(0, 4);
  buf.writeUInt8(RECORD_MAGIC, 8);
  buf.writeBigUInt64LE(0n, 9);
  buf.writeBigInt64LE(BigInt(timestamp), 17);
  buf.writeUInt16LE(keyLength, 25);
  let pos = FIXED_PREFIX;
  pos += buf.write(record.key, pos, 'utf8');
  buf.writeUInt16LE(headerEntries.length, pos);
  pos += 2;
  for (let i = 0; i < headerEntries.length; i++) {
    const [name, value] = headerEntries[i]!;
    buf.writeUInt16LE(headerLengths[2 * i]!, pos);
    pos += 2;
    pos += buf.write(name, pos, 'utf8');
    buf.writeUInt16LE(headerLengths[2 * i + 1]!, pos);
    pos += 2;
    pos += buf.write(value, pos, 'utf8');
  }
  buf.writeUInt32LE(record.value.length, pos);
  pos += 4;
  record.value.copy(buf, pos);
  return buf;
}

/** Writes the offset into a framed record and computes its CRC. */
export function sealRecord(framed: Buffer, offset: bigint): void {
  framed.writeBigUInt64LE(offset, 9);
  framed.writeUInt32LE(crc32(framed.subarray(8)), 4);
}

export type DecodeResult =
  | { kind: 'record'; record: LogRecord; size: number }
  /** The buffer ends inside the record; `size` is the full framed size when the length was readable. */
  | { kind: 'incomplete'; size: number | null }
  | { kind: 'corrupt'; reason: string };

/**
 * Decodes the record starting at `pos`. `value` is a view into `buf` (no copy), so callers must not
 * reuse `buf` for other data while records are alive.
 */
export function decodeRecord(buf: Buffer, pos: number): DecodeResult {
  const available = buf.length - pos;
  if (available < 4) return { kind: 'incomplete', size: null };
  const length = buf.readUInt32LE(pos);
  const size = length + 4;
  if (size < MIN_RECORD_BYTES || size > MAX_RECORD_BYTES) return { kind: 'corrupt', reason: `impossible record length ${length}` };
  if (available < size) return { kind: 'incomplete', size };
  const end = pos + size;
  if (crc32(buf.subarray(pos + 8, end)) !== buf.readUInt32LE(pos + 4)) return { kind: 'corrupt', reason: 'crc mismatch' };
  // Past the CRC the bytes are what we wrote, but a bug elsewhere must still not read out of range.
  if (buf[pos + 8] !== RECORD_MAGIC) return { kind: 'corrupt', reason: `unknown record format ${buf[pos + 8]}` };
  const offset = buf.readBigUInt64LE(pos + 9);
  const timestamp = Number(buf.readBigInt64LE(pos + 17));
  let p = pos + FIXED_PREFIX;
  const keyLength = buf.readUInt16LE(pos + 25);
  if (p + keyLength + 2 > end) return { kind: 'corrupt', reason: 'key runs past the record' };
  const key = buf.toString('utf8', p, p + keyLength);
  p += keyLength;
  const headerCount = buf.readUInt16LE(p);
  p += 2;
  const headers: Record<string, string> = {};
  for (let i = 0; i < headerCount; i++) {
    if (p + 2 > end) return { kind: 'corrupt', reason: 'headers run past the record' };
    const n = buf.readUInt16LE(p);
    p += 2;
    if (p + n + 2 > end) return { kind: 'corrupt', reason: 'headers run past the record' };
    const name = buf.toString('utf8', p, p + n);
    p += n;
    const v = buf.readUInt16LE(p);
    p += 2;
    if (p + v > end) return { kind: 'corrupt', reason: 'headers run past the record' };
    headers[name] = buf.toString('utf8', p, p + v);
    p += v;
  }
  if (p + 4 > end) return { kind: 'corrupt', reason: 'value length runs past the record' };
  const valueLength = buf.readUInt32LE(p);
  p += 4;
  if (p + valueLength !== end) return { kind: 'corrupt', reason: 'value length disagrees with the record length' };
  return {
    kind: 'record',
    size,
    record: { partition: 0, offset, key, value: buf.subarray(p, end), headers, timestamp },
  };
}

/**
 * Reads only the offset of the framed record at `pos` (no CRC check): used to skip records below a
 * consumer's start offset without decoding them. Returns null when the frame is incomplete/impossible.
 */
export function peekFrame(buf: Buffer, pos: number): { offset: bigint; size: number } | null {
  if (buf.length - pos < FIXED_PREFIX) return null;
  const size = buf.readUInt32LE(pos) + 4;
  if (size < MIN_RECORD_BYTES || size > MAX_RECORD_BYTES || buf.length - pos < size) return null;
  return { offset: buf.readBigUInt64LE(pos + 9), size };
}
