import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_UPLINK_LIMITS,
  encodeUplink,
  REJECT_REASONS,
  validateUplink,
  type RejectReason,
  type Uplink,
  type UplinkLimits,
} from './index';

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
const ctx = { deviceId: 'fridge-0001', receivedAtMs: T0 + 1000 };

function uplink(overrides: Partial<Uplink> = {}): Uplink {
  return {
    schemaVersion: 1,
    deviceId: ctx.deviceId,
    bootId: '5f0c2a9e-7d41-4c1b-9d2e-0a1b2c3d4e5f',
    seq: 1,
    deviceTimeMs: T0,
    firmware: '2.1.0',
    samples: [{ metric: 'compressor.power_w', value: 87.5, timeMs: 0 }],
    events: [{ code: 'E42', severity: 'error', timeMs: T0 - 10, message: 'hot', attributes: { zone: 'top' } }],
    commandResults: [{ commandId: 'cmd-1', status: 'succeeded', timeMs: 0, detail: '' }],
    ...overrides,
  };
}

const validate = (u: Uplink, limits?: Partial<UplinkLimits>) => validateUplink(encodeUplink(u), ctx, limits);
const sample = (metric: string, value = 1, timeMs = 0) => ({ metric, value, timeMs });
const event = (over: Partial<Uplink['events'][number]> = {}) => ({ code: 'door_open', severity: 'info' as const, timeMs: 0, message: '', attributes: {}, ...over });
const result = (over: Partial<Uplink['commandResults'][number]> = {}) => ({ commandId: 'cmd-1', status: 'accepted' as const, timeMs: 0, detail: '', ...over });

describe('validateUplink accepts', () => {
  it('a complete uplink and returns it decoded', () => {
    expect(validate(uplink())).toEqual({ ok: true, uplink: uplink() });
  });

  it('a heartbeat with no samples, events or results', () => {
    expect(validate(uplink({ samples: [], events: [], commandResults: [] })).ok).toBe(true);
  });

  it('device clock skew inside the window, keeping the times as sent', () => {
    for (const deviceTimeMs of [ctx.receivedAtMs + 300 * DAY, ctx.receivedAtMs - 5 * 365 * DAY, Date.UTC(2000, 0, 1)]) {
      const r = validate(uplink({ deviceTimeMs, samples: [sample('temp_c', 1, deviceTimeMs)] }));
      expect(r).toMatchObject({ ok: true, uplink: { deviceTimeMs, samples: [{ timeMs: deviceTimeMs }] } });
    }
  });

  it('items at the limits', () => {
    const r = validate(
      uplink({
        samples: Array.from({ length: 2000 }, (_, i) => sample(`m${i}`)),
        events: Array.from({ length: 200 }, () => event({ message: 'x'.repeat(1024), attributes: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v'.repeat(256)])) })),
        commandResults: Array.from({ length: 100 }, () => result({ detail: 'd'.repeat(1024) })),
      }),
    );
    expect(r.ok).toBe(true);
  });

  it('metric names in dotted lower snake case up to 64 characters', () => {
    for (const metric of ['temp_c', 'a', 'compressor.power_w', 'a1.b_2.c3', 'x'.repeat(64)]) {
      expect(validate(uplink({ samples: [sample(metric)] })).ok, metric).toBe(true);
    }
  });
});

// One case (at least) per reject reason; the last test checks that none is missing.
const cases: [RejectReason, string, () => ReturnType<typeof validateUplink>, RegExp][] = [
  ['decode_failed', 'truncated bytes', () => validateUplink(encodeUplink(uplink()).subarray(0, 20), ctx), /^Uplink is not valid protobuf: truncated/],
  ['decode_failed', 'garbage', () => validateUplink(Uint8Array.of(0xff, 0xff, 0xff), ctx), /^Uplink is not valid protobuf/],
  ['unsupported_schema_version', 'version 2', () => validate(uplink({ schemaVersion: 2 })), /^schema_version is 2; this platform reads 1$/],
  ['unsupported_schema_version', 'version unset', () => validate(uplink({ schemaVersion: 0 })), /^schema_version is 0 \(not set\)/],
  ['device_id_mismatch', 'another device', () => validate(uplink({ deviceId: 'fridge-0002' })), /^device_id is "fridge-0002" but the connection authenticated as "fridge-0001"$/],
  ['device_id_mismatch', 'empty device id', () => validate(uplink({ deviceId: '' })), /^device_id is "" but/],
  ['boot_id_invalid', 'empty', () => validate(uplink({ bootId: '' })), /^boot_id is empty$/],
  ['boot_id_invalid', 'spaces', () => validate(uplink({ bootId: 'boot 1' })), /^boot_id "boot 1" is not 1–64 characters/],
  ['seq_invalid', 'seq 0', () => validate(uplink({ seq: 0 })), /^seq is 0; per-boot sequence numbers start at 1$/],
  ['device_time_invalid', 'unset', () => validate(uplink({ deviceTimeMs: 0 })), /^device_time_ms is 0 \(not set\)$/],
  ['device_time_invalid', '1970', () => validate(uplink({ deviceTimeMs: 86_400_000 })), /^device_time_ms is 86400000 \(1970-01-02T00:00:00\.000Z\), before 2000-01-01/],
  ['device_time_invalid', 'negative', () => validate(uplink({ deviceTimeMs: -5 })), /before 2000-01-01/],
  ['device_time_invalid', 'far future', () => validate(uplink({ deviceTimeMs: ctx.receivedAtMs + 400 * DAY })), /^device_time_ms is \d+ \(2027-.*\), 400 days ahead of the broker's clock \(limit 365\)$/],
  ['firmware_invalid', 'empty', () => validate(uplink({ firmware: '' })), /^firmware is empty$/],
  ['firmware_invalid', 'with spaces', () => validate(uplink({ firmware: 'v 2' })), /^firmware "v 2" is not/],
  ['too_many_items', 'samples', () => validate(uplink({ samples: Array.from({ length: 2001 }, () => sample('m')) })), /^samples has 2001 items; the limit is 2000$/],
  ['too_many_items', 'events', () => validate(uplink({ events: Array.from({ length: 201 }, () => event()) })), /^events has 201 items; the limit is 200$/],
  ['too_many_items', 'results', () => validate(uplink({ commandResults: Array.from({ length: 101 }, () => result()) })), /^command_results has 101 items; the limit is 100$/],
  ['too_many_items', 'attributes', () => validate(uplink({ events: [event({ attributes: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) })] })), /^events\[0\]\.attributes has 33 entries; the limit is 32$/],
  ['too_many_items', 'custom limit', () => validate(uplink({ samples: [sample('a'), sample('b')] }), { maxSamples: 1 }), /^samples has 2 items; the limit is 1$/],
  ['metric_name_invalid', 'upper case and space', () => validate(uplink({ samples: [sample('temp_c'), sample('Temp C')] })), /^samples\[1\]\.metric "Temp C" is not lower_snake_case segments joined by dots$/],
  ['metric_name_invalid', 'empty', () => validate(uplink({ samples: [sample('')] })), /^samples\[0\]\.metric is empty$/],
  ['metric_name_invalid', 'leading dot', () => validate(uplink({ samples: [sample('.temp')] })), /metric "\.temp" is not/],
  ['metric_name_invalid', 'empty segment', () => validate(uplink({ samples: [sample('a..b')] })), /metric "a\.\.b" is not/],
  ['metric_name_invalid', 'leading digit', () => validate(uplink({ samples: [sample('1temp')] })), /metric "1temp" is not/],
  ['metric_name_invalid', '65 characters', () => validate(uplink({ samples: [sample('x'.repeat(65))] })), /^samples\[0\]\.metric is 65 characters; the limit is 64$/],
  ['value_not_finite', 'NaN', () => validate(uplink({ samples: [sample('a'), sample('b'), sample('c'), sample('d', Number.NaN)] })), /^samples\[3\]\.value is NaN$/],
  ['value_not_finite', 'Infinity', () => validate(uplink({ samples: [sample('a', Number.POSITIVE_INFINITY)] })), /^samples\[0\]\.value is Infinity$/],
  ['value_not_finite', '-Infinity', () => validate(uplink({ samples: [sample('a', Number.NEGATIVE_INFINITY)] })), /^samples\[0\]\.value is -Infinity$/],
  ['item_time_invalid', 'sample in 1970', () => validate(uplink({ samples: [sample('a', 1, 1000)] })), /^samples\[0\]\.time_ms is 1000 \(1970-.*\), before 2000-01-01/],
  ['item_time_invalid', 'event far ahead', () => validate(uplink({ events: [event({ timeMs: ctx.receivedAtMs + 366 * DAY })] })), /^events\[0\]\.time_ms is .* 366 days ahead/],
  ['item_time_invalid', 'result before 2000', () => validate(uplink({ commandResults: [result({ timeMs: -1 })] })), /^command_results\[0\]\.time_ms is -1/],
  ['event_code_invalid', 'empty', () => validate(uplink({ events: [event({ code: '' })] })), /^events\[0\]\.code is empty$/],
  ['event_code_invalid', 'slash', () => validate(uplink({ events: [event({ code: 'door/open' })] })), /^events\[0\]\.code "door\/open" is not/],
  ['attribute_key_invalid', 'space in key', () => validate(uplink({ events: [event({ attributes: { 'door name': 'x' } })] })), /^events\[0\]\.attributes key "door name" is not/],
  ['attribute_key_invalid', 'empty key', () => validate(uplink({ events: [event({ attributes: { '': 'x' } })] })), /^events\[0\]\.attributes key "" is not/],
  ['command_id_invalid', 'empty', () => validate(uplink({ commandResults: [result({ commandId: '' })] })), /^command_results\[0\]\.command_id is empty$/],
  ['command_id_invalid', 'wildcard', () => validate(uplink({ commandResults: [result({ commandId: 'cmd+1' })] })), /^command_results\[0\]\.command_id "cmd\+1" is not/],
  ['text_too_long', 'event message', () => validate(uplink({ events: [event({ message: 'm'.repeat(1025) })] })), /^events\[0\]\.message is 1025 characters; the limit is 1024$/],
  ['text_too_long', 'attribute value', () => validate(uplink({ events: [event({ attributes: { k: 'v'.repeat(257) } })] })), /^events\[0\]\.attributes\["k"\] is 257 characters; the limit is 256$/],
  ['text_too_long', 'result detail', () => validate(uplink({ commandResults: [result({ detail: 'd'.repeat(1025) })] })), /^command_results\[0\]\.detail is 1025 characters; the limit is 1024$/],
];

describe('validateUplink rejects', () => {
  it.each(cases)('%s: %s', (reason, _name, run, detail) => {
    const r = run();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe(reason);
    expect(r.detail).toMatch(detail);
  });

  it('with a test for every reject reason', () => {
    expect(new Set(cases.map(([reason]) => reason))).toEqual(new Set(REJECT_REASONS));
  });

  it('never echoes more than 40 characters of payload text', () => {
    const long = `Z${'a'.repeat(10_000)}`;
    for (const u of [
      uplink({ deviceId: long }),
      uplink({ bootId: long }),
      uplink({ firmware: `${long} x` }),
      uplink({ samples: [sample(`X${'y'.repeat(50)}`)] }),
      uplink({ events: [event({ code: `${long}/` })] }),
      uplink({ events: [event({ attributes: { [`${'k'.repeat(50)} `]: 'v' } })] }),
    ]) {
      const r = validate(u);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.detail.length, r.detail).toBeLessThan(200);
        expect(r.detail).not.toMatch(/[a-y]{41}/);
      }
    }
  });

  it('escapes control characters in quoted text', () => {
    const r = validate(uplink({ bootId: 'a\nb\u0000' }));
    expect(r).toMatchObject({ ok: false, reason: 'boot_id_invalid', detail: 'boot_id "a\\nb\\u0000" is not 1–64 characters of A–Z a–z 0–9 _ . : -, starting with a letter or digit' });
  });

  it('ignores undefined limit overrides', () => {
    expect(validate(uplink(), { maxSamples: undefined }).ok).toBe(true);
    expect(DEFAULT_UPLINK_LIMITS.maxSamples).toBe(2000);
  });
});

/** mulberry32: a tiny seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('validateUplink under fuzzing', () => {
  const vectorsDir = fileURLToPath(new URL('../vectors/', import.meta.url));
  const seeds = [
    encodeUplink(uplink()),
    encodeUplink(uplink({ samples: [], events: [], commandResults: [] })),
    ...readdirSync(vectorsDir)
      .filter((f) => f.startsWith('uplink_') && f.endsWith('.bin'))
      .map((f) => new Uint8Array(readFileSync(`${vectorsDir}${f}`))),
  ];

  function mutate(rand: () => number): Uint8Array {
    const int = (n: number) => Math.floor(rand() * n);
    if (rand() < 0.15) return Uint8Array.from({ length: int(300) }, () => int(256)); // pure noise
    const bytes = [...seeds[int(seeds.length)]!];
    for (let i = 0, n = 1 + int(4); i < n; i++) {
      const at = int(bytes.length + 1);
      switch (int(6)) {
        case 0: // flip a bit
          if (bytes.length) bytes[at % bytes.length]! ^= 1 << int(8);
          break;
        case 1: // truncate
          bytes.length = at;
          break;
        case 2: // insert random bytes
          bytes.splice(at, 0, ...Array.from({ length: 1 + int(8) }, () => int(256)));
          break;
        case 3: // delete a run
          bytes.splice(at, 1 + int(8));
          break;
        case 4: // overwrite with a varint-ish extreme
          bytes.splice(at, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
          break;
        default: // duplicate a slice (repeated fields, overlong messages)
          bytes.splice(at, 0, ...bytes.slice(int(bytes.length), int(bytes.length)));
      }
    }
    return Uint8Array.from(bytes);
  }

  it('never throws and always answers ok or a known reason (5,000 seeded inputs)', () => {
    const rand = prng(20260101);
    const reasons = new Set<string>(REJECT_REASONS);
    const seen = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const input = mutate(rand);
      let r: ReturnType<typeof validateUplink>;
      try {
        r = validateUplink(input, { deviceId: 'vec-fridge-01', receivedAtMs: T0 + 1500 });
      } catch (err) {
        throw new Error(`input #${i} (${Buffer.from(input).toString('hex')}) threw: ${String(err)}`);
      }
      const key = r.ok ? 'ok' : r.reason;
      seen.set(key, (seen.get(key) ?? 0) + 1);
      if (r.ok) {
        // Whatever passes must survive a re-encode and pass again.
        expect(validateUplink(encodeUplink(r.uplink), { deviceId: 'vec-fridge-01', receivedAtMs: T0 + 1500 }).ok).toBe(true);
      } else {
        expect(reasons.has(r.reason), r.reason).toBe(true);
        expect(r.detail.length).toBeLessThan(400);
      }
    }
    // The mutations must reach both outcomes, or the test proves little.
    expect(seen.get('ok') ?? 0).toBeGreaterThan(50);
    expect(seen.get('decode_failed') ?? 0).toBeGreaterThan(50);
  });
});
