import { describe, expect, it } from 'vitest';
import { DEVICE_ID_PATTERN, downlinkTopic, isUplinkTopicOf, isValidDeviceId, parseDeviceTopic, uplinkTopic } from './index';

const VALID_IDS = ['fridge-x1-000123', 'a', 'A1', '5f0c2a9e-7d41-4c1b-9d2e-0a1b2c3d4e5f', 'urn:dev:42', 'x.y_z', 'x'.repeat(128)];
const INVALID_IDS = ['', '+', '#', 'a/b', 'a+', 'a#', '$SYS', '-lead', '.lead', '_lead', 'with space', 'tab\t', 'nul\u0000', 'ümlaut', 'x'.repeat(129), 'a\nb'];

describe('device ids', () => {
  it.each(VALID_IDS)('accepts %j', (id) => {
    expect(isValidDeviceId(id)).toBe(true);
  });

  it.each(INVALID_IDS)('rejects %j', (id) => {
    expect(isValidDeviceId(id)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(isValidDeviceId(42)).toBe(false);
    expect(isValidDeviceId(undefined)).toBe(false);
  });

  it('can never contain an MQTT separator or wildcard, whatever else it contains', () => {
    for (let c = 0; c < 0x3000; c++) {
      const ch = String.fromCharCode(c);
      if (DEVICE_ID_PATTERN.test(`a${ch}`)) expect('/+#$\u0000 '.includes(ch), `char ${c}`).toBe(false);
    }
  });
});

describe('topics', () => {
  it('builds the uplink and downlink topics', () => {
    expect(uplinkTopic('fridge-1')).toBe('devices/fridge-1/up');
    expect(downlinkTopic('fridge-1')).toBe('devices/fridge-1/down');
  });

  it.each(INVALID_IDS)('refuses to build a topic for %j', (id) => {
    expect(() => uplinkTopic(id)).toThrow(TypeError);
    expect(() => downlinkTopic(id)).toThrow(/invalid device id/);
  });

  it.each([
    ['devices/fridge-1/up', { deviceId: 'fridge-1', direction: 'up' }],
    ['devices/fridge-1/down', { deviceId: 'fridge-1', direction: 'down' }],
    ['devices/a:b.c_d-e/up', { deviceId: 'a:b.c_d-e', direction: 'up' }],
  ])('parses %s', (topic, expected) => {
    expect(parseDeviceTopic(topic)).toEqual(expected);
  });

  it('round-trips through the builders', () => {
    for (const id of VALID_IDS) {
      expect(parseDeviceTopic(uplinkTopic(id))).toEqual({ deviceId: id, direction: 'up' });
      expect(parseDeviceTopic(downlinkTopic(id))).toEqual({ deviceId: id, direction: 'down' });
    }
  });

  it.each([
    ['wildcard id', 'devices/+/up'],
    ['multi-level wildcard', 'devices/#'],
    ['wildcard direction', 'devices/fridge-1/+'],
    ['trailing wildcard', 'devices/fridge-1/up/#'],
    ['extra level', 'devices/fridge-1/up/extra'],
    ['nested id', 'devices/a/b/up'],
    ['trailing slash', 'devices/fridge-1/up/'],
    ['missing direction', 'devices/fridge-1'],
    ['empty id', 'devices//up'],
    ['unknown direction', 'devices/fridge-1/sideways'],
    ['upper-case direction', 'devices/fridge-1/UP'],
    ['wrong prefix', 'device/fridge-1/up'],
    ['leading slash', '/devices/fridge-1/up'],
    ['system topic', '$SYS/devices/fridge-1/up'],
    ['invalid id', 'devices/with space/up'],
    ['too long id', `devices/${'x'.repeat(129)}/up`],
    ['empty', ''],
  ])('returns null for %s (%j)', (_name, topic) => {
    expect(parseDeviceTopic(topic)).toBeNull();
    expect(isUplinkTopicOf(topic, 'fridge-1')).toBe(false);
  });

  it('tells a device its own uplink topic from every other topic', () => {
    for (const id of VALID_IDS) expect(isUplinkTopicOf(uplinkTopic(id), id)).toBe(true);
    expect(isUplinkTopicOf('devices/fridge-1/up', 'fridge-2')).toBe(false);
    expect(isUplinkTopicOf('devices/fridge-1/up', 'fridge-')).toBe(false);
    expect(isUplinkTopicOf('devices/fridge-12/up', 'fridge-1')).toBe(false);
    expect(isUplinkTopicOf('devices/fridge-1/down', 'fridge-1')).toBe(false);
    expect(isUplinkTopicOf('devices/fridge-1xup', 'fridge-1')).toBe(false);
    expect(isUplinkTopicOf('devicesXfridge-1/up', 'fridge-1')).toBe(false);
  });
});
