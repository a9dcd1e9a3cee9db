import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@parley/logger';
import { describeTelemetryLog } from './contract';
import { openFileLog } from './file-log';
import type { TelemetryLog } from './telemetry-log';

describeTelemetryLog('file log', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'parley-log-contract-'));
  const opened: TelemetryLog[] = [];
  // A small segment size so the suite also crosses segment boundaries.
  const open = async (): Promise<TelemetryLog> => {
    const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: 4096 });
    opened.push(log);
    return log;
  };
  return {
    log: await open(),
    reopen: open,
    cleanup: async () => {
      for (const log of opened) await log.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});
