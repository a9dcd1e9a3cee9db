import { decodeUplink, encodeUplink, validateUplink, type DeviceEvent, type Uplink } from '@parley/proto';
import { describe, expect, it } from 'vitest';
import { createRandom, pick, type Random } from './prng.js';
import { encodeUplinkFast } from './uplink-encoder.js';

const NOW = Date.UTC(2025, 5, 1, 12);
const TEXTS = ['', 'door open', 'Tür offen – 5 °C', '🧊 ice', 'x'.repeat(300), 'naïve'];

function randomUplink(rand: Random): Uplink {
  const int = (max: number) => Math.floor(rand() * max);
  const attrs = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (let i = int(4); i > 0; i--) out[pick(rand, ['reason', 'temp_c', 'a.b:c-d', 'k'])] = pick(rand, TEXTS).slice(0, 200);
    return out;
  };
  const events: DeviceEvent[] = Array.from({ length: int(3) }, () => ({
    code: pick(rand, ['door_open', 'E21', 'HP01', 'boot']),
    severity: pick(rand, ['unspecified', 'info', 'warning', 'error', 'critical'] as const),
    timeMs: rand() < 0.2 ? 0 : NOW - int(100_000),
    message: pick(rand, TEXTS),
    attributes: attrs(),
  }));
  return {
    schemaVersion: 1,
    deviceId: pick(rand, ['fridge-x1-0001', 'w2:eu.7']),
    bootId: '3f2c9a4e-7a51-4c1e-9f0b-2d0c8a6e5b11',
    seq: 1 + int(rand() < 0.1 ? 4_000_000_000 : 1000),
    deviceTimeMs: NOW - int(1000),
    firmware: pick(rand, ['1.4.2', '2.1.0-rc.1+build.77']),
    samples: Array.from({ length: int(rand() < 0.05 ? 300 : 12) }, () => ({
      metric: pick(rand, ['cabinet.temp_c', 'power_w', 'compressor.duty_cycle', 'a'.repeat(64)]),
      value: pick(rand, [0, -0.5, 3.14159, 1e300, -273.15, 12345678.9, 1]),
      timeMs: rand() < 0.2 ? 0 : NOW - int(10_000),
    })),
    events,
    commandResults: Array.from({ length: int(3) }, () => ({
      commandId: pick(rand, ['cmd-1', '01HZX3']),
      status: pick(rand, ['unspecified', 'accepted', 'succeeded', 'failed', 'rejected'] as const),
      timeMs: NOW - int(1000),
      detail: pick(rand, TEXTS),
    })),
  };
}

describe('encodeUplinkFast (the device-side encoder)', () => {
  it('round-trips through the platform decoder exactly like the platform encoder', () => {
    const rand = createRandom('encoder');
    for (let i = 0; i < 2000; i++) {
      const u = randomUplink(rand);
      const fast = encodeUplinkFast(u);
      expect(decodeUplink(fast)).toEqual(decodeUplink(encodeUplink(u)));
    }
  });

  it('produces uplinks the broker accepts', () => {
    const rand = createRandom('valid');
    for (let i = 0; i < 200; i++) {
      const u = randomUplink(rand);
      expect(validateUplink(encodeUplinkFast(u), { deviceId: u.deviceId, receivedAtMs: NOW })).toMatchObject({ ok: true });
    }
  });

  it('encodes submessages longer than 127 bytes and negative times', () => {
    const u: Uplink = {
      schemaVersion: 1, deviceId: 'd1', bootId: 'b1', seq: 1, deviceTimeMs: NOW, firmware: '1.0.0',
      samples: [{ metric: 'm', value: 1, timeMs: -5 }],
      events: [{ code: 'long', severity: 'info', timeMs: 0, message: 'é'.repeat(5000), attributes: { k: 'v'.repeat(256) } }],
      commandResults: [],
    };
    expect(decodeUplink(encodeUplinkFast(u))).toEqual(decodeUplink(encodeUplink(u)));
  });

  it('returns an independent buffer per call', () => {
    const u = randomUplink(createRandom(1));
    const a = encodeUplinkFast(u);
    const copy = Buffer.from(a);
    encodeUplinkFast({ ...u, seq: u.seq + 1 });
    expect(a).toEqual(copy);
  });

  it('refuses non-integer times instead of writing garbage', () => {
    const u = randomUplink(createRandom(2));
    expect(() => encodeUplinkFast({ ...u, deviceTimeMs: 1.5 })).toThrow(RangeError);
  });
});
