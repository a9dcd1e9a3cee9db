import type { LogConsumer, TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { Registry } from '@parley/registry';
import { Dispatcher, type DispatcherOptions, type DispatcherStats } from './dispatcher';
import { fanOut } from './fan-out';
import { mqttSender } from './senders/mqtt';
import { webhookSender } from './senders/webhook';

/** The consumer group delivery reads the log with (its own: it never holds the ingester back). */
export const DELIVERY_GROUP = 'delivery';

export interface DeliveryOptions extends Partial<DispatcherOptions> {
  log: TelemetryLog;
  registry: Registry;
  logger: Logger;
  /** Allow http:// and mqtt:// and private/loopback addresses (tests, the local demo). Default false. */
  allowInsecureTargets?: boolean;
  /** Per-attempt time limit (connect + answer). Default 10 s. */
  timeoutMs?: number;
  /** Records a destination may have waiting before further ones are skipped (counted). Default 100,000. */
  maxPending?: number;
  group?: string;
  /** Log records per fan-out batch. Default 1,000. */
  maxBatchRecords?: number;
  maxBatchWaitMs?: number;
}

export interface DeliveryStats extends DispatcherStats {
  /** Records the broker accepted, read from the log. */
  uplinks: number;
  /** Queue entries created (one per destination and record). */
  queued: number;
  /** Log batches whose fan-out failed and was retried. */
  failedFanOuts: number;
}

export interface Delivery {
  stats(): DeliveryStats;
  /** Stops reading the log (after the batch in flight is queued) and sending (after the attempts in flight). */
  stop(): Promise<void>;
}

/**
 * Owner-directed push. Two halves joined by the registry's outbox:
 * - **fan-out**: a log consumer in its own group queues each accepted uplink for every destination
 *   that wants it; the group's offset is committed only once the queue rows are durable, so it
 *   never moves past a record a destination still needs — and never waits for a destination either;
 * - **dispatch**: per-destination workers drain the queues in order, with retries, backoff and
 *   dead letters (see Dispatcher).
 */
export async function startDelivery(options: DeliveryOptions): Promise<Delivery> {
  const logger = options.logger.child({ component: 'delivery' });
  const policy = { allowInsecure: options.allowInsecureTargets ?? false };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const senders = { webhook: webhookSender({ policy, timeoutMs }), mqtt: mqttSender({ policy, timeoutMs, logger }) };
  const dispatcher = new Dispatcher(
    options.registry,
    senders,
    {
      concurrency: options.concurrency ?? 8,
      batchRecords: options.batchRecords ?? 100,
      maxAttempts: options.maxAttempts ?? 8,
      retryBaseMs: options.retryBaseMs ?? 1000,
      retryMaxMs: options.retryMaxMs ?? 300_000,
      leaseMs: options.leaseMs ?? 60_000,
      pollMs: options.pollMs ?? 500,
    },
    logger,
  );
  const counts = { uplinks: 0, queued: 0, failedFanOuts: 0 };
  const maxPending = options.maxPending ?? 100_000;
  let consumer: LogConsumer;
  try {
    consumer = await options.log.consume({
      group: options.group ?? DELIVERY_GROUP,
      maxBatchRecords: options.maxBatchRecords ?? 1000,
      maxBatchWaitMs: options.maxBatchWaitMs ?? 100,
      handler: async (batch) => {
        const { uplinks, queued } = await fanOut(batch, options.registry, maxPending);
        counts.uplinks += uplinks;
        counts.queued += queued;
        if (queued > 0) dispatcher.wake();
      },
      onHandlerError: (err, attempt) => {
        counts.failedFanOuts++;
        logger.error({ err, attempt }, 'queueing records for destinations failed; the log batch comes again');
      },
    });
  } catch (err) {
    await dispatcher.halt();
    throw err;
  }
  logger.info({ group: options.group ?? DELIVERY_GROUP, insecureTargets: policy.allowInsecure }, 'delivery started');
  return {
    stats: () => ({ ...counts, ...dispatcher.stats }),
    async stop() {
      await consumer.stop();
      const halted = dispatcher.halt();
      await Promise.all([senders.webhook.close(), senders.mqtt.close()]);
      await halted;
      logger.info('delivery stopped');
    },
  };
}
