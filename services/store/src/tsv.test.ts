import { describe, expect, it } from 'vitest';
import { tsvBinary, tsvString, tsvStringArray, tsvTime } from './tsv';

describe('tsv encoding', () => {
  it('escapes the characters TabSeparated gives meaning to', () => {
    expect(tsvString('a\tb\nc\\d\re\0f')).toBe('a\\tb\\nc\\\\d\\re\\0f');
    expect(tsvString('plain')).toBe('plain');
  });

  it('quotes array elements and escapes quotes inside them', () => {
    expect(tsvStringArray(["it's", 'x\ty'])).toBe("['it\\'s','x\\ty']");
    expect(tsvStringArray([])).toBe('[]');
  });

  it('writes times as decimal seconds with millisecond precision', () => {
    expect(tsvTime(1_700_000_000_123)).toBe('1700000000.123');
    expect(tsvTime(1_700_000_000_005)).toBe('1700000000.005');
    expect(tsvTime(1_700_000_000_000)).toBe('1700000000.000');
  });

  it('escapes binary payloads byte by byte and leaves other bytes alone', () => {
    const raw = Uint8Array.from([0x00, 0x09, 0x0a, 0x0d, 0x5c, 0xff, 0x41]);
    expect([...tsvBinary(raw)]).toEqual([0x5c, 0x30, 0x5c, 0x74, 0x5c, 0x6e, 0x5c, 0x72, 0x5c, 0x5c, 0xff, 0x41]);
  });
});
