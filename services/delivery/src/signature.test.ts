import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature';

describe('webhook signatures', () => {
  const secret = 'whsec_test';
  const body = '{"records":[1]}';
  const now = 1_800_000_000;

  it('verifies what it signed, and nothing else', () => {
    const header = signBody(secret, body, now);
    expect(header).toMatch(/^t=1800000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, body, header, now)).toBe(true);
    expect(verifySignature(secret, body + ' ', header, now)).toBe(false);
    expect(verifySignature('whsec_other', body, header, now)).toBe(false);
    expect(verifySignature(secret, body, header.replace('t=1800000000', 't=1800000001'), now)).toBe(false);
    expect(verifySignature(secret, body, undefined, now)).toBe(false);
    expect(verifySignature(secret, body, 'garbage', now)).toBe(false);
  });

  it('refuses a replay outside the tolerance (the timestamp is signed)', () => {
    const header = signBody(secret, body, now);
    expect(verifySignature(secret, body, header, now + 300)).toBe(true);
    expect(verifySignature(secret, body, header, now + 301)).toBe(false);
  });
});
