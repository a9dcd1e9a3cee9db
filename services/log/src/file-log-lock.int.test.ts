import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@parley/logger';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from './__fixtures__/test-helpers';
import { openFileLog } from './file-log';

// The lock itself (stale takeover, pid reuse, other hosts, races) is tested in @parley/dir-lock;
// these check that the file log uses it on `LOCK` with its own error code.

/** A process that is alive until the test ends. */
async function liveProcess(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  onTestFinished(() => void child.kill('SIGKILL'));
  return child.pid!;
}

describe('file log directory lock', () => {
  it('refuses a second open of the same directory in this process with log_locked', async () => {
    const dir = await tempDir();
    const log = await openFileLog({ dir, log: silentLogger() });
    onTestFinished(() => log.close());
    const err = await openFileLog({ dir, log: silentLogger() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'log_locked', context: { dir, pid: process.pid } });
    expect((err as Error).message).toContain(`Cannot lock ${dir} for the file log`);
  });

  it('refuses a directory whose LOCK is held by another live process with log_locked', async () => {
    const dir = await tempDir();
    const pid = await liveProcess();
    await writeFile(join(dir, 'LOCK'), JSON.stringify({ pid, hostname: hostname(), token: 't', acquiredAt: new Date().toISOString() }));
    const err = await openFileLog({ dir, log: silentLogger() }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'log_locked', context: { dir, pid } });
    expect((err as Error).message).toMatch(new RegExp(`locked by process ${pid}.*Stop the other process`));
    expect(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8'))).toMatchObject({ pid });
  });

  it('locks the directory while open and releases it on close so it can be opened again', async () => {
    const dir = await tempDir();
    const log = await openFileLog({ dir, log: silentLogger() });
    expect(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() });
    await log.close();
    await expect(stat(join(dir, 'LOCK'))).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await openFileLog({ dir, log: silentLogger() });
    await again.close();
  });
});
