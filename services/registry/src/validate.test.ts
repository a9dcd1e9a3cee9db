import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor';
import { validateCount, validateFirmware, validateIdPrefix, validateLimit, validateModel } from './validate';

describe('input validation', () => {
  it.each(['fridge-x1', 'ab', '9-lives', 'a'.repeat(48)])('accepts model %j', (m) => {
    expect(validateModel(m)).toBe(m);
  });

  it.each(['a', 'A1', '-ab', 'ab_c', 'a'.repeat(49), 'fridge x1', undefined, 7])('rejects model %j', (m) => {
    expect(() => validateModel(m)).toThrow(expect.objectContaining({ code: 'invalid_model', status: 400 }));
  });

  it.each(['1.4', '1.4.2', '1.2.3.4', '2.0.0-rc.1', '3.1.0+b42', '1.0.0-beta+exp.sha.5114f85'])('accepts firmware %j', (f) => {
    expect(validateFirmware(f)).toBe(f);
  });

  it.each(['1', 'v1.2.3', '1.2.3.4.5', '1.2-', '1..2', 'latest', '', `1.2.3-${'a'.repeat(60)}`, '1.2.3 ', null])('rejects firmware %j', (f) => {
    expect(() => validateFirmware(f)).toThrow(expect.objectContaining({ code: 'invalid_firmware' }));
  });

  it('bounds count to 1..100000 integers', () => {
    expect(validateCount(1)).toBe(1);
    expect(validateCount(100_000)).toBe(100_000);
    for (const c of [0, 100_001, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      expect(() => validateCount(c)).toThrow(expect.objectContaining({ code: 'invalid_count' }));
    }
  });

  it('bounds limit to 1..1000 integers', () => {
    expect(validateLimit(1000)).toBe(1000);
    for (const l of [0, 1001, 1.5, undefined]) {
      expect(() => validateLimit(l)).toThrow(expect.objectContaining({ code: 'invalid_limit' }));
    }
  });

  it('accepts id prefixes that keep ids topic-safe', () => {
    expect(validateIdPrefix('ACME.w2:eu')).toBe('ACME.w2:eu');
    for (const p of ['', 'a/b', '#', '+', '$x', 'a'.repeat(65)]) {
      expect(() => validateIdPrefix(p)).toThrow(expect.objectContaining({ code: 'invalid_id_prefix' }));
    }
  });

  it('keeps long rejected values out of error messages', () => {
    expect(() => validateModel('x'.repeat(10_000))).toThrow(/^Model "x{60,70}\.\.\. is not valid/);
  });
});

describe('page cursors', () => {
  it('round-trip the last id', () => {
    expect(decodeCursor(encodeCursor('fridge-x1-abc'))).toBe('fridge-x1-abc');
  });

  it.each(['', 'garbage', Buffer.from('{"after":"a/b"}').toString('base64url'), Buffer.from('[1]').toString('base64url')])(
    'reject %j with invalid_cursor',
    (c) => {
      expect(() => decodeCursor(c)).toThrow(expect.objectContaining({ code: 'invalid_cursor', status: 400 }));
    },
  );
});
