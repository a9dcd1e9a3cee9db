import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createRootLogger, type Logger } from '@parley/logger';
import { onTestFinished } from 'vitest';
import type { LogRecord, TelemetryLog } from '../telemetry-log';

/** A temp directory removed when the current test finishes. */
export async function tempDir(prefix = 'parley-log-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export interface CapturedLog {
  logger: Logger;
  lines: () => Array<Record<string, unknown> & { msg?: string; level: number }>;
}

/** A real pino logger whose JSON lines tests can inspect. */
export function captureLogger(): CapturedLog {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = createRootLogger({ level: 'debug', destination });
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown> & { level: number }),
  };
}

/** Polls a condition; the deadline turns a hang into a clear failure (not a timing assertion). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 15_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Reads every retained record with a throwaway group; leaves no consumer running. */
export async function readAll(log: TelemetryLog, group = `read-all-${Math.random().toString(36).slice(2)}`): Promise<LogRecord[]> {
  const { lag } = await log.lag(group);
  const seen: LogRecord[] = [];
  const consumer = await log.consume({ group, maxBatchRecords: 1000, maxBatchWaitMs: 0, handler: async (b) => void seen.push(...b.records) });
  try {
    await waitFor(() => BigInt(seen.length) >= lag, `${lag} records`);
  } finally {
    await consumer.stop();
  }
  return seen;
}
