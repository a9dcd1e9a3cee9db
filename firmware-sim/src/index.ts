/**
 * `@parley/firmware-sim`: simulated appliances that talk to Parley like real ones — protobuf
 * uplinks over MQTT QoS1, commands and config over downlinks, offline buffering, reconnects with
 * backoff, clock skew and reboots.
 */
export { startFleet, validateFleetOptions, type Fleet, type FleetDeviceSpec, type FleetOptions, type FleetStats } from './fleet.js';
export { SimDevice, type AckListener, type OutboundMessage, type SimDeviceOptions } from './device.js';
export { UplinkLink, type UplinkLinkOptions } from './uplink-link.js';
export { encodeUplinkFast } from './uplink-encoder.js';
export { UplinkBuilder } from './uplink-builder.js';
export { CommandHandler, type CommandHandlerOptions, type CommandHost, type DownlinkOutcome } from './command-handler.js';
export { OfflineBuffer, type BufferedMessage, type MessageState } from './offline-buffer.js';
export { backoffCeiling, backoffDelay, resolveBackoff, type BackoffOptions } from './backoff.js';
export { DeviceClock, type ClockSkew } from './clock.js';
export { Scheduler, type PeriodicTask, type SchedulerOptions } from './scheduler.js';
export { createCounters, type DeviceCounters } from './counters.js';
export { createRandom, hashSeed, type Random } from './prng.js';
export {
  fridgeX1,
  getModel,
  heatpumpH3,
  isValidMetricName,
  MODELS,
  washerW2,
  type ApplianceModel,
  type ApplianceSim,
  type CommandOutcome,
  type MetricSpec,
  type ModelOptions,
} from './models/index.js';
