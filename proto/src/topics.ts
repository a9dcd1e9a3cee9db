/**
 * MQTT topic names for the device protocol: uplink `devices/{deviceId}/up`, downlink
 * `devices/{deviceId}/down`. The broker's ACL is built on these functions, so the id pattern is a
 * security boundary: it must never admit a character that changes what a topic matches.
 */

/**
 * Valid device ids: 1–128 characters from `A–Z a–z 0–9 _ . : -`, starting with a letter or digit.
 *
 * Excluded on purpose: `/` (topic level separator), `+` and `#` (wildcards, [MQTT-4.7.1]), `$`
 * (a leading `$` marks broker system topics, [MQTT-4.7.2]), NUL ([MQTT-4.7.3-2]), whitespace and
 * anything non-ASCII (ids end up in URLs, file names and logs). So `devices/${id}/down` is always
 * a literal topic that matches exactly one device.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Whether `id` is a syntactically valid device id (see {@link DEVICE_ID_PATTERN}). */
export function isValidDeviceId(id: unknown): id is string {
  return typeof id === 'string' && DEVICE_ID_PATTERN.test(id);
}

const PREFIX = 'devices/';
const UP_SUFFIX = '/up';
const DOWN_SUFFIX = '/down';

function requireDeviceId(id: string): string {
  if (!isValidDeviceId(id)) {
    const shown = typeof id === 'string' ? JSON.stringify((id as string).slice(0, 40)) : typeof id;
    throw new TypeError(`invalid device id ${shown}: expected ${DEVICE_ID_PATTERN.source}`);
  }
  return id;
}

/**
 * The topic a device publishes its uplinks to.
 * @throws TypeError if `deviceId` is not valid: a topic built from it could match other devices.
 */
export function uplinkTopic(deviceId: string): string {
  return `${PREFIX}${requireDeviceId(deviceId)}${UP_SUFFIX}`;
}

/**
 * The topic a device subscribes to for downlinks.
 * @throws TypeError if `deviceId` is not valid: a topic built from it could match other devices.
 */
export function downlinkTopic(deviceId: string): string {
  return `${PREFIX}${requireDeviceId(deviceId)}${DOWN_SUFFIX}`;
}

/**
 * Whether `topic` is exactly `devices/{deviceId}/up`, for an id already known to be valid (an
 * authenticated connection's): the broker asks this of every publish, so it compares in place
 * instead of parsing the topic or building the expected one.
 */
export function isUplinkTopicOf(topic: string, deviceId: string): boolean {
  return (
    topic.length === PREFIX.length + deviceId.length + UP_SUFFIX.length &&
    topic.startsWith(PREFIX) &&
    topic.startsWith(deviceId, PREFIX.length) &&
    topic.endsWith(UP_SUFFIX)
  );
}

/** A topic of the device protocol, taken apart. */
export interface DeviceTopic {
  deviceId: string;
  direction: 'up' | 'down';
}

/**
 * Parses `devices/{deviceId}/up` or `devices/{deviceId}/down`. Anything else — other prefixes,
 * extra or missing levels, empty levels, wildcards, invalid ids — is `null`, so callers can treat
 * `null` as "not a device topic" without further checks. Runs on every publish: no split/regex
 * allocation beyond the id check.
 */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  if (typeof topic !== 'string' || !topic.startsWith(PREFIX)) return null;
  const slash = topic.indexOf('/', PREFIX.length);
  if (slash < 0) return null;
  const rest = topic.slice(slash + 1);
  const direction = rest === 'up' ? 'up' : rest === 'down' ? 'down' : null;
  if (direction === null) return null;
  const deviceId = topic.slice(PREFIX.length, slash);
  return DEVICE_ID_PATTERN.test(deviceId) ? { deviceId, direction } : null;
}
