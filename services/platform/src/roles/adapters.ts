import { join } from 'node:path';
import { openFileLog, openKafkaLog, type TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import { openRegistry, type Registry } from '@parley/registry';
import { openStore, type Store } from '@parley/store';
import { clickHouseLocation } from '../clickhouse-url';
import type { PlatformConfig } from '../config';

const HOUR_MS = 3_600_000;

/**
 * The adapters of the two modes, chosen by configuration only: a URL present means the server,
 * absent means the embedded engine in the data dir. Nothing else differs between the modes.
 */

/** PostgreSQL when `PARLEY_DATABASE_URL` is set, else PGlite in `<data>/registry`. */
export function openRegistryFor(config: PlatformConfig, logger: Logger): Promise<Registry> {
  return openRegistry({ databaseUrl: config.databaseUrl, dataDir: join(config.dataDir, 'registry'), poolSize: config.databasePoolSize, log: logger });
}

/**
 * The cluster mode's dead-letter topic (`<topic>.dead-letters`): every rejected record, as logged,
 * for consumers other than the store. None in the embedded mode (the store's dead_letters table is it).
 */
export async function openDeadLetterLogFor(config: PlatformConfig, logger: Logger, clientId: string): Promise<TelemetryLog | undefined> {
  if (!config.kafkaBrokers) return undefined;
  return openKafkaLog({ brokers: config.kafkaBrokers, topic: `${config.kafkaTopic}.dead-letters`, partitions: config.kafkaPartitions, clientId: `${clientId}-dlq`, log: logger });
}

/** Kafka when `PARLEY_KAFKA_BROKERS` is set, else the file log in `<data>/log`. */
export function openLogFor(config: PlatformConfig, logger: Logger, clientId: string): Promise<TelemetryLog> {
  if (config.kafkaBrokers) {
    return openKafkaLog({ brokers: config.kafkaBrokers, topic: config.kafkaTopic, partitions: config.kafkaPartitions, clientId, log: logger });
  }
  return openFileLog({
    dir: join(config.dataDir, 'log'),
    log: logger,
    retention: {
      ...(config.logRetentionBytes ? { maxBytes: config.logRetentionBytes } : {}),
      ...(config.logRetentionHours ? { maxAgeMs: config.logRetentionHours * HOUR_MS } : {}),
    },
  });
}

/** ClickHouse over HTTP when `PARLEY_CLICKHOUSE_URL` is set, else chDB in `<data>/clickhouse`. */
export function openStoreFor(config: PlatformConfig, logger: Logger): Promise<Store> {
  const location = config.clickhouseUrl ? clickHouseLocation(config.clickhouseUrl) : { dataDir: join(config.dataDir, 'clickhouse') };
  return openStore({ location, log: logger });
}

/** Which adapter each part uses, for the banner and logs (never a URL: they may hold passwords). */
export function describeModes(config: PlatformConfig): { log: string; store: string; registry: string; broker: string } {
  return {
    log: config.kafkaBrokers ? `Kafka (${config.kafkaBrokers.join(',')}, topic ${config.kafkaTopic})` : 'file log',
    store: config.clickhouseUrl ? 'ClickHouse over HTTP' : 'chDB (embedded)',
    registry: config.databaseUrl ? 'PostgreSQL' : 'PGlite (embedded)',
    broker: config.redisUrl ? 'Aedes sharing state through Redis' : 'one Aedes',
  };
}
