/**
 * `@parley/proto`: the device protocol (telemetry.proto) as plain TypeScript values, a fast codec,
 * the MQTT topic scheme, and the validators the broker and API apply.
 *
 * int64 times are JS numbers throughout (epoch milliseconds are exact below 2^53).
 */
export { SCHEMA_VERSION } from './types';
export type { CommandResult, CommandStatus, DeviceEvent, Downlink, DownlinkBody, Sample, Severity, Uplink } from './types';
export { COMMAND_STATUSES, SEVERITIES } from './enums';
export { decodeDownlink, decodeUplink, encodeDownlink, encodeUplink } from './codec';
export { ProtoDecodeError, ProtoEncodeError } from './errors';
export { DEVICE_ID_PATTERN, downlinkTopic, isUplinkTopicOf, isValidDeviceId, parseDeviceTopic, uplinkTopic, type DeviceTopic } from './topics';
export {
  BOOT_ID_PATTERN,
  COMMAND_ID_PATTERN,
  COMMAND_NAME_PATTERN,
  EVENT_CODE_PATTERN,
  FIRMWARE_PATTERN,
  isValidMetricName,
  MAP_KEY_PATTERN,
  MAX_METRIC_NAME_LENGTH,
  METRIC_NAME_PATTERN,
  MIN_PLAUSIBLE_TIME_MS,
  SHA256_PATTERN,
} from './patterns';
export {
  DEFAULT_UPLINK_LIMITS,
  REJECT_REASONS,
  validateUplink,
  type RejectReason,
  type UplinkContext,
  type UplinkLimits,
  type UplinkValidation,
} from './validate';
export {
  DEFAULT_DOWNLINK_LIMITS,
  DOWNLINK_REJECT_REASONS,
  validateDownlink,
  type DownlinkLimits,
  type DownlinkRejectReason,
  type DownlinkValidation,
} from './validate-downlink';
/**
 * The generated protobufjs classes, for the rare caller that needs them (e.g. to check a schema
 * detail). Services should use the plain codec above.
 */
export * as pb from './gen/telemetry.js';
