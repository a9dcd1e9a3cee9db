import { startDelivery, type Delivery } from '@parley/delivery';
import type { TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { Registry } from '@parley/registry';
import type { PlatformConfig } from '../config';

/**
 * The delivery role: owner-directed push from the log (consumer group `delivery`) through the
 * registry's per-destination outbox to webhooks and MQTT topics. Several delivery processes on
 * Kafka share the partitions for the fan-out and lease destinations one at a time for sending.
 */
export function startDeliveryRole(config: PlatformConfig, deps: { log: TelemetryLog; registry: Registry; logger: Logger }): Promise<Delivery> {
  return startDelivery({
    log: deps.log,
    registry: deps.registry,
    logger: deps.logger,
    allowInsecureTargets: config.deliveryAllowInsecureTargets,
    maxAttempts: config.deliveryMaxAttempts,
    retryBaseMs: config.deliveryRetryBaseMs,
    retryMaxMs: config.deliveryRetryMaxMs,
    timeoutMs: config.deliveryTimeoutMs,
    maxPending: config.deliveryMaxPending,
    concurrency: config.deliveryConcurrency,
  });
}
