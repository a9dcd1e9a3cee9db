import { describe, expect, it } from 'vitest';
import { DEVICE_ID_PATTERN, isDeviceId, newDeviceId } from './device-id';

describe('device ids', () => {
  it('are the prefix, a dash and 12 lower-case base32 characters', () => {
    const id = newDeviceId('fridge-x1');
    expect(id).toMatch(/^fridge-x1-[0-9a-hjkmnp-tv-z]{12}$/);
    expect(id).toMatch(DEVICE_ID_PATTERN);
  });

  it('do not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newDeviceId('m')));
    expect(ids.size).toBe(10_000);
  });

  it('use every character of the alphabet (no bias towards a subset)', () => {
    const chars = new Set(Array.from({ length: 2000 }, () => newDeviceId('m').slice(2)).join(''));
    expect(chars.size).toBe(32);
  });

  it.each(['devices/x', 'a+b', 'a#', '$SYS', '', ' a', 'a b', 'ä', '-a', 'a'.repeat(129), 'a\u0000'])(
    'rejects %j, which is not safe as an MQTT topic level',
    (id) => {
      expect(isDeviceId(id)).toBe(false);
    },
  );

  it.each(['a', 'fridge-x1-7k2m9q4tz0bd', 'ACME.w2:eu-1', 'a_b', 'a'.repeat(128)])('accepts %j', (id) => {
    expect(isDeviceId(id)).toBe(true);
  });

  it('rejects non-strings', () => {
    expect(isDeviceId(undefined)).toBe(false);
    expect(isDeviceId(42)).toBe(false);
  });
});
