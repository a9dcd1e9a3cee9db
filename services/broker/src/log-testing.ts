import { fromUplinkRecord, type TelemetryLog, type UplinkLogEntry } from '@parley/log';
import { waitFor } from '@parley/testkit';

/** Waits for a record of `log` matching `pred`, read through a throwaway consumer group from the start (tests only). */
export async function findLogRecord(log: TelemetryLog, pred: (e: UplinkLogEntry) => boolean): Promise<UplinkLogEntry> {
  let found: UplinkLogEntry | undefined;
  const consumer = await log.consume({
    group: `inspect-${Math.random()}`,
    maxBatchRecords: 1000,
    maxBatchWaitMs: 10,
    handler: async (b) => {
      found ??= b.records.map(fromUplinkRecord).find(pred);
    },
  });
  try {
    return await waitFor('a matching log record', () => found, 5000);
  } finally {
    await consumer.stop();
  }
}
