import type { createLiveFeed } from '@parley/api';
import { startIngester, type Ingester } from '@parley/ingester';
import type { TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { Registry } from '@parley/registry';
import type { Store } from '@parley/store';
import type { PlatformConfig } from '../config';

/**
 * The ingester role: log → ClickHouse in batches, offsets committed after the insert. Several
 * ingester processes on Kafka form one consumer group and share the partitions.
 */
export function startIngesterRole(
  config: PlatformConfig,
  deps: { log: TelemetryLog; store: Store; registry: Registry; logger: Logger; live?: ReturnType<typeof createLiveFeed> | undefined; deadLetterLog?: TelemetryLog | undefined },
): Promise<Ingester> {
  const { registry, live } = deps;
  return startIngester({
    log: deps.log,
    store: deps.store,
    logger: deps.logger,
    maxBatchRecords: config.ingestBatchRecords,
    maxBatchWaitMs: config.ingestBatchWaitMs,
    ...(deps.deadLetterLog ? { deadLetterLog: deps.deadLetterLog } : {}),
    onFirmware: (deviceId, firmware) => registry.setFirmware(deviceId, firmware),
    onCommandResults: async (deviceId, results) => {
      for (const r of results) await registry.commands.recordResult(deviceId, r.commandId, r.status, r.detail, r.timeMs);
    },
    convertOn: config.ingestConvertOn,
    ...(live ? { onStored: (rows) => live.publish(rows), storedFor: () => live.devices() } : {}),
  });
}
