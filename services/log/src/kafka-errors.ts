import { AppError, DependencyError, describeError } from '@parley/errors';
import { LogErrorCode } from './errors';

/**
 * Error codes only the Kafka log has. The shared ones (`log_closed`, `log_write_failed`,
 * `log_options_invalid`) come from {@link LogErrorCode}, so the broker maps an append failure the
 * same way whichever log is configured.
 */
export const KafkaLogErrorCode = {
  /** Kafka could not be reached (or the topic set up) while opening the log or reading lag. */
  unavailable: 'log_unavailable',
} as const;

export function kafkaClosedError(topic: string): AppError {
  return new AppError(LogErrorCode.closed, `the Kafka log for topic ${topic} is closed; open it again to append or consume`, {
    status: 503,
    retryable: false,
    context: { topic },
  });
}

/**
 * An append group was not acknowledged by Kafka (all in-sync replicas) in time. None of its records
 * may be assumed durable — some may still land, which the idempotency key downstream absorbs.
 */
export function kafkaWriteFailedError(topic: string, records: number, cause: unknown): DependencyError {
  return new DependencyError(
    LogErrorCode.writeFailed,
    `Kafka did not acknowledge ${records} record(s) for topic ${topic} (${describeError(cause)}); none of them were acknowledged to the sender — check that the brokers are up and the topic has enough in-sync replicas`,
    { cause, context: { topic, records } },
  );
}

export function kafkaUnavailableError(action: string, brokers: string[], cause: unknown): DependencyError {
  return new DependencyError(
    KafkaLogErrorCode.unavailable,
    `Kafka log: ${action} failed (${describeError(cause)}); check that Kafka is reachable at ${brokers.join(', ')}`,
    { cause, context: { brokers } },
  );
}
