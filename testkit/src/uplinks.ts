import { encodeUplink, type Uplink } from '@parley/proto';

/**
 * A valid uplink for tests: one `temp_c` sample whose value is the seq, so stored rows are easy to
 * check. `extra` overrides any field (e.g. a NaN sample or another device id to provoke a reject).
 */
export function testUplink(deviceId: string, seq: number, extra: Partial<Uplink> = {}): Uplink {
  return {
    schemaVersion: 1,
    deviceId,
    bootId: 'test-boot',
    seq,
    deviceTimeMs: Date.now(),
    firmware: '1.0.0',
    samples: [{ metric: 'temp_c', value: seq, timeMs: 0 }],
    events: [],
    commandResults: [],
    ...extra,
  };
}

/** `testUplink` encoded to bytes, ready to publish. */
export function testUplinkBytes(deviceId: string, seq: number, extra: Partial<Uplink> = {}): Uint8Array {
  return encodeUplink(testUplink(deviceId, seq, extra));
}
