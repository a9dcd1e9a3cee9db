import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '@parley/logger';
import { describe, expect, it, onTestFinished } from 'vitest';
import { captureLogger, tempDir } from './__fixtures__/test-helpers';
import { openFileLog } from './file-log';

/** A process that is alive until the test ends. */
async function liveProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  onTestFinished(() => void child.kill('SIGKILL'));
  return child.pid!;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

describe('file log directory lock', () => {
  it('refuses a second open of the same directory in this process, naming the dir and pid', async () => {
    const dir = await tempDir();
    const log = await openFileLog({ dir, log: silentLogger() });
    onTestFinished(() => log.close());
    const err = await openFileLog({ dir, log: silentLogger() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'log_locked' });
    expect((err as Error).message).toContain(dir);
    expect((err as Error).message).toContain(String(process.pid));
  });

  it('refuses a directory locked by another live process and says what to do', async () => {
    const dir = await tempDir();
    const pid = await liveProcess();
    await writeFile(join(dir, 'LOCK'), `${pid}\n`);
    const err = await openFileLog({ dir, log: silentLogger() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'log_locked', context: { dir, pid } });
    expect((err as Error).message).toMatch(new RegExp(`locked by process ${pid}.*stop the other process`));
    // The other process's lock is left alone.
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(pid));
  });

  it('takes over a stale lock whose process is gone', async () => {
    const dir = await tempDir();
    const pid = await deadPid();
    await writeFile(join(dir, 'LOCK'), `${pid}\n`);
    const captured = captureLogger();
    const log = await openFileLog({ dir, log: captured.logger });
    expect(captured.lines().some((l) => l.msg === 'taking over a stale log directory lock' && l.stalePid === pid)).toBe(true);
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).trim()).toBe(String(process.pid));
    await log.close();
  });

  it('releases the lock on close so the directory can be opened again', async () => {
    const dir = await tempDir();
    const log = await openFileLog({ dir, log: silentLogger() });
    await log.close();
    await expect(stat(join(dir, 'LOCK'))).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await openFileLog({ dir, log: silentLogger() });
    await again.close();
  });

  it('lets only one of two concurrent opens in this process win', async () => {
    const dir = await tempDir();
    const results = await Promise.allSettled([openFileLog({ dir, log: silentLogger() }), openFileLog({ dir, log: silentLogger() })]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'log_locked' } });
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof openFileLog>>>).value.close();
  });
});
