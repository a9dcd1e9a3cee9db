import { logLevel, type logCreator } from 'kafkajs';
import type { Logger } from '@parley/logger';

/** kafkajs' warning whenever an idempotent producer has finite retries; ours are finite on purpose (see kafka-appender.ts). */
const EXPECTED_WARNINGS = ['Limiting retries for the idempotent producer may invalidate EoS guarantees'];

/**
 * The kafkajs level that matches a pino level, so kafkajs does not even build entries that would be
 * dropped.
 */
export function kafkajsLevelFor(log: Logger): logLevel {
  switch (log.level) {
    case 'trace':
      return logLevel.DEBUG;
    case 'debug':
      return logLevel.INFO;
    case 'silent':
      return logLevel.NOTHING;
    default:
      return logLevel.WARN;
  }
}

/**
 * Routes kafkajs' logs into our pino logger (`component: 'kafkajs'`), one level down: kafkajs logs
 * every failed request as ERROR although it retries most of them itself, and it logs group joins
 * and connects as INFO. What actually failed for Parley (an append, a commit, a crashed consumer)
 * is logged by KafkaLog at warn/error with context. kafkajs never logs message values.
 */
export function pinoLogCreator(log: Logger): logCreator {
  const child = log.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log: entry }) => {
      const { message, timestamp: _ts, logger: _logger, ...extra } = entry;
      if (EXPECTED_WARNINGS.includes(message)) return;
      const fields = { ns: namespace, ...extra };
      switch (level) {
        case logLevel.ERROR:
        case logLevel.WARN:
          child.warn(fields, message);
          break;
        case logLevel.INFO:
          child.debug(fields, message);
          break;
        default:
          child.trace(fields, message);
      }
    };
}
