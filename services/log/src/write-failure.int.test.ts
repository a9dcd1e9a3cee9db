import { silentLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { readAll, tempDir, waitFor } from './__fixtures__/test-helpers';
import { openFileLog } from './file-log';
import { defaultFileOps, type WriterFileOps } from './segment-writer';
import type { AppendResult, LogRecord } from './telemetry-log';

function diskError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** File ops that fail the `nth` (1-based) call of `op`, counting from when `arm()` is called. */
function failingOps(op: 'writev' | 'datasync', code: string): { ops: Partial<WriterFileOps>; arm: () => void } {
  let armed = false;
  let fired = false;
  const wrap = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      if (armed && !fired) {
        fired = true;
        throw diskError(code);
      }
      return fn(...args);
    };
  const ops: Partial<WriterFileOps> = op === 'writev' ? { writev: wrap(defaultFileOps.writev) } : { datasync: wrap(defaultFileOps.datasync) };
  return { ops, arm: () => (armed = true) };
}

/** Starts `n` appends in one tick, so they share one group. */
function appendGroup(log: Awaited<ReturnType<typeof openFileLog>>, n: number, tag: string): Array<Promise<AppendResult[]>> {
  return Array.from({ length: n }, (_, i) => log.append([{ key: 'dev', value: Buffer.from(`${tag}-${i}`) }]));
}

describe('file log write failures', () => {
  it('rejects every append of a group whose write fails, hides it from readers and keeps accepting appends', async () => {
    const dir = await tempDir();
    const { ops, arm } = failingOps('writev', 'ENOSPC');
    const log = await openFileLog({ dir, log: silentLogger(), fileOps: ops });
    const seen: LogRecord[] = [];
    const consumer = await log.consume({ group: 'g', maxBatchRecords: 100, maxBatchWaitMs: 0, handler: async (b) => void seen.push(...b.records) });
    await Promise.all(appendGroup(log, 3, 'before'));

    arm();
    const failed = await Promise.allSettled(appendGroup(log, 10, 'lost'));
    expect(failed.every((r) => r.status === 'rejected')).toBe(true);
    for (const r of failed) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'log_write_failed', retryable: true });

    const after = await Promise.all(appendGroup(log, 2, 'after'));
    // Offsets of the failed group were never visible, so they are reused: no gap for readers.
    expect(after.map((r) => r[0]!.offset)).toEqual([3n, 4n]);
    await waitFor(() => seen.length === 5, 'the consumer to see the five durable records');
    await consumer.stop();
    expect(seen.map((r) => r.value.toString())).toEqual(['before-0', 'before-1', 'before-2', 'after-0', 'after-1']);
    await log.close();

    const reopened = await openFileLog({ dir, log: silentLogger() });
    expect((await readAll(reopened)).map((r) => r.value.toString())).toEqual(['before-0', 'before-1', 'before-2', 'after-0', 'after-1']);
    await reopened.close();
  });

  it('after a failed fdatasync rejects the group and refuses appends until reopened', async () => {
    const dir = await tempDir();
    const { ops, arm } = failingOps('datasync', 'EIO');
    const log = await openFileLog({ dir, log: silentLogger(), fileOps: ops });
    await Promise.all(appendGroup(log, 3, 'before'));

    arm();
    const failed = await Promise.allSettled(appendGroup(log, 10, 'lost'));
    expect(failed.every((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'log_write_failed')).toBe(true);
    await expect(log.append([{ key: 'dev', value: Buffer.from('x') }])).rejects.toMatchObject({ code: 'log_failed', retryable: false });
    // What was durable before the failure stays readable.
    expect((await readAll(log)).map((r) => r.value.toString())).toEqual(['before-0', 'before-1', 'before-2']);
    await log.close();

    const reopened = await openFileLog({ dir, log: silentLogger() });
    expect((await readAll(reopened)).map((r) => r.value.toString())).toEqual(['before-0', 'before-1', 'before-2']);
    expect((await reopened.append([{ key: 'dev', value: Buffer.from('again') }]))[0]!.offset).toBe(3n);
    await reopened.close();
  });

  it('rejects records that cannot be framed without touching the log', async () => {
    const dir = await tempDir();
    const log = await openFileLog({ dir, log: silentLogger() });
    await expect(log.append([{ key: 'k'.repeat(70_000), value: Buffer.alloc(1) }])).rejects.toMatchObject({ code: 'log_record_invalid' });
    expect((await log.append([{ key: 'k', value: Buffer.alloc(1) }]))[0]!.offset).toBe(0n);
    await log.close();
  });
});
