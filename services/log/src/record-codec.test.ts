import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, MIN_RECORD_BYTES, peekFrame, sealRecord } from './record-codec';

function framed(offset: bigint, value = Buffer.from('hello'), headers: Record<string, string> = { a: '1', ü: 'ß' }): Buffer {
  const buf = encodeRecord({ key: 'dev-1', value, headers, timestamp: 1_700_000_000_123 }, 0);
  sealRecord(buf, offset);
  return buf;
}

describe('record codec', () => {
  it('round-trips key, value, headers, timestamp and offset', () => {
    const r = decodeRecord(framed(42n), 0);
    expect(r.kind).toBe('record');
    if (r.kind !== 'record') return;
    expect(r.record).toMatchObject({ partition: 0, offset: 42n, key: 'dev-1', headers: { a: '1', ü: 'ß' }, timestamp: 1_700_000_000_123 });
    expect(r.record.value.toString()).toBe('hello');
    expect(r.size).toBe(framed(42n).length);
  });

  it('frames an empty record in MIN_RECORD_BYTES and defaults the timestamp', () => {
    const buf = encodeRecord({ key: '', value: Buffer.alloc(0) }, 123);
    expect(buf.length).toBe(MIN_RECORD_BYTES);
    sealRecord(buf, 0n);
    const r = decodeRecord(buf, 0);
    expect(r.kind === 'record' && r.record.timestamp).toBe(123);
  });

  it('reports a record cut short as incomplete, with its full size once the length is readable', () => {
    const buf = framed(1n);
    expect(decodeRecord(buf.subarray(0, 3), 0)).toEqual({ kind: 'incomplete', size: null });
    expect(decodeRecord(buf.subarray(0, buf.length - 1), 0)).toEqual({ kind: 'incomplete', size: buf.length });
  });

  it('detects any flipped byte after the CRC field', () => {
    const clean = framed(7n);
    for (let i = 8; i < clean.length; i++) {
      const bad = Buffer.from(clean);
      bad.writeUInt8(bad.readUInt8(i) ^ 0x01, i);
      expect(decodeRecord(bad, 0).kind, `flip at byte ${i}`).toBe('corrupt');
    }
  });

  it('treats an impossible length (zeros, garbage) as corrupt', () => {
    expect(decodeRecord(Buffer.alloc(64), 0)).toMatchObject({ kind: 'corrupt' });
    expect(decodeRecord(Buffer.from([0xff, 0xff, 0xff, 0x7f, 0, 0]), 0)).toMatchObject({ kind: 'corrupt' });
  });

  it('peeks the offset and size of a frame without decoding it', () => {
    const buf = Buffer.concat([framed(5n), framed(6n)]);
    const first = peekFrame(buf, 0)!;
    expect(first.offset).toBe(5n);
    expect(peekFrame(buf, first.size)!.offset).toBe(6n);
  });

  it('rejects keys and header values that do not fit their u16 length fields', () => {
    expect(() => encodeRecord({ key: 'x'.repeat(65_536), value: Buffer.alloc(0) }, 0)).toThrow(expect.objectContaining({ code: 'log_record_invalid' }));
    expect(() => encodeRecord({ key: 'k', value: Buffer.alloc(0), headers: { h: 'x'.repeat(65_536) } }, 0)).toThrow(
      expect.objectContaining({ code: 'log_record_invalid' }),
    );
  });
});
