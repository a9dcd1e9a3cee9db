import { createBroker, type Broker } from '@parley/broker';
import { AppError } from '@parley/errors';
import type { TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { Registry } from '@parley/registry';
import type { PlatformConfig } from '../config';
import { brokerOptions } from './broker-role';

/** The log of a broker that never listens: no device can reach it, so nothing is ever appended. */
const NO_LOG: TelemetryLog = {
  append: () => Promise.reject(new AppError('log_unavailable', 'a downlink-only broker has no log')),
  consume: () => Promise.reject(new AppError('log_unavailable', 'a downlink-only broker has no log')),
  lag: () => Promise.reject(new AppError('log_unavailable', 'a downlink-only broker has no log')),
  close: () => Promise.resolve(),
};

/**
 * How an API process without a broker of its own delivers approved commands: an Aedes instance
 * on the brokers' Redis (same key prefix) that never listens on a port. Its QoS 1 publish goes
 * through mqemitter-redis to every broker, and the one the device is connected to delivers it;
 * for a device that is offline with a persistent session, the shared Redis persistence queues it.
 * Without a Redis URL there is no way to reach the brokers, and the API gets no command sender
 * (approved commands then stay `approved`).
 */
export async function openDownlinkBroker(config: PlatformConfig, deps: { registry: Registry; logger: Logger }): Promise<Broker | undefined> {
  if (!config.redisUrl) {
    deps.logger.warn('no PARLEY_REDIS_URL: this API process cannot reach the brokers, approved commands are not sent');
    return undefined;
  }
  return createBroker({ ...brokerOptions(config, deps.registry, deps.logger.child({ role: 'downlinks' })), log: NO_LOG });
}
