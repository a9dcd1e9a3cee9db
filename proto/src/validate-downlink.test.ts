import { describe, expect, it } from 'vitest';
import { DOWNLINK_REJECT_REASONS, validateDownlink, type Downlink, type DownlinkRejectReason } from './index';

const T0 = Date.UTC(2026, 0, 1);
const base = { schemaVersion: 1, commandId: 'cmd-01HZX3', issuedAtMs: T0, expiresAtMs: T0 + 3_600_000 };
const command = (over: Partial<Downlink> = {}, body: Partial<Extract<Downlink['body'], { kind: 'command' }>> = {}): Downlink => ({
  ...base,
  body: { kind: 'command', name: 'defrost', params: { duration_min: '20' }, ...body },
  ...over,
});
const offer = (body: Partial<Extract<Downlink['body'], { kind: 'firmware_offer' }>>): Downlink => ({
  ...base,
  body: { kind: 'firmware_offer', version: '2.2.0', url: 'https://updates.example.com/fw.bin', sha256: 'a'.repeat(64), ...body },
});

describe('validateDownlink accepts', () => {
  it.each([
    ['a command', command()],
    ['a command without params', command({}, { params: {} })],
    ['a config update without expiry', { ...base, expiresAtMs: 0, body: { kind: 'config', settings: { eco_mode: 'on' } } } as Downlink],
    ['a firmware offer', offer({})],
    ['a UUID command id', command({ commandId: '5f0c2a9e-7d41-4c1b-9d2e-0a1b2c3d4e5f' })],
  ])('%s', (_name, d) => {
    expect(validateDownlink(d)).toEqual({ ok: true, downlink: d });
  });
});

const cases: [DownlinkRejectReason, string, Downlink, RegExp][] = [
  ['unsupported_schema_version', 'version 2', command({ schemaVersion: 2 }), /^schemaVersion is 2; devices read 1$/],
  ['command_id_invalid', 'empty', command({ commandId: '' }), /^commandId is empty$/],
  ['command_id_invalid', 'wildcard', command({ commandId: 'cmd/#' }), /^commandId "cmd\/#" is not 1–64 characters/],
  ['command_id_invalid', 'too long', command({ commandId: 'c'.repeat(65) }), /^commandId "c{40}…" is not/],
  ['issued_at_invalid', 'unset', command({ issuedAtMs: 0, expiresAtMs: 0 }), /^issuedAtMs is 0 \(1970-01-01T00:00:00\.000Z\); it must be an integer on or after 2000-01-01$/],
  ['issued_at_invalid', 'fractional', command({ issuedAtMs: T0 + 0.5 }), /^issuedAtMs is /],
  ['expiry_invalid', 'before issue', command({ expiresAtMs: T0 - 1 }), /^expiresAtMs is \d+ \(2025-12-31T23:59:59\.999Z\); it must be 0 \(no expiry\) or after issuedAtMs/],
  ['expiry_invalid', 'equal to issue', command({ expiresAtMs: T0 }), /^expiresAtMs is/],
  ['body_invalid', 'missing', { ...base } as Downlink, /^body is missing$/],
  ['body_invalid', 'unknown kind', { ...base, body: { kind: 'reboot' } } as unknown as Downlink, /^body\.kind "reboot" is not/],
  ['body_invalid', 'empty config', { ...base, body: { kind: 'config', settings: {} } }, /^body\.settings is empty/],
  ['body_invalid', 'non-string param', command({}, { params: { n: 5 as unknown as string } }), /^body\.params\["n"\] must be a string, got number$/],
  ['command_name_invalid', 'camel case', command({}, { name: 'setEcoMode' }), /^body\.name "setEcoMode" is not lower_snake_case/],
  ['command_name_invalid', 'empty', command({}, { name: '' }), /^body\.name is empty$/],
  ['parameter_key_invalid', 'space in key', command({}, { params: { 'a b': '1' } }), /^body\.params key "a b" is not/],
  ['too_many_items', 'params', command({}, { params: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`p${i}`, '1'])) }), /^body\.params has 65 entries; the limit is 64$/],
  ['text_too_long', 'param value', command({}, { params: { p: 'x'.repeat(1025) } }), /^body\.params\["p"\] is 1025 characters; the limit is 1024$/],
  ['firmware_offer_invalid', 'http url', offer({ url: 'http://updates.example.com/fw.bin' }), /^body\.url must use https, not "http:"$/],
  ['firmware_offer_invalid', 'relative url', offer({ url: '/fw.bin' }), /^body\.url "\/fw\.bin" is not an absolute URL$/],
  ['firmware_offer_invalid', 'uppercase sha', offer({ sha256: 'A'.repeat(64) }), /^body\.sha256 must be 64 lowercase hex digits$/],
  ['firmware_offer_invalid', 'empty version', offer({ version: '' }), /^body\.version is empty$/],
];

describe('validateDownlink rejects', () => {
  it.each(cases)('%s: %s', (reason, _name, d, detail) => {
    const r = validateDownlink(d);
    expect(r).toMatchObject({ ok: false, reason });
    if (!r.ok) expect(r.detail).toMatch(detail);
  });

  it('with a test for every reject reason', () => {
    expect(new Set(cases.map(([reason]) => reason))).toEqual(new Set(DOWNLINK_REJECT_REASONS));
  });

  it('applies limit overrides', () => {
    expect(validateDownlink(command(), { maxParams: 0 })).toMatchObject({ ok: false, reason: 'too_many_items' });
  });

  it('never throws on garbage', () => {
    for (const d of [null, undefined, 42, 'x', {}, { schemaVersion: 1 }, { ...base, body: null }, { ...base, body: { kind: 'config', settings: null } }]) {
      expect(() => validateDownlink(d as unknown as Downlink)).not.toThrow();
      expect(validateDownlink(d as unknown as Downlink).ok).toBe(false);
    }
  });
});
