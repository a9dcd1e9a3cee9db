import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { LOCK_FILE_NAME, lockDataDir } from './data-dir-lock';

let dir: string;
let lockFile: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-lock-'));
  lockFile = join(dir, LOCK_FILE_NAME);
  return () => rm(dir, { recursive: true, force: true });
});

const writeLock = (holder: object) => writeFile(lockFile, JSON.stringify({ token: 'other', acquiredAt: new Date().toISOString(), ...holder }));

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  return child.pid!;
}

function liveProcess(): ChildProcess {
  const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
  onTestFinished(() => {
    child.kill();
  });
  return child;
}

describe('data dir lock', () => {
  it('writes our pid into the lock file and removes it on release', async () => {
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(lockFile, 'utf8'))).toMatchObject({ pid: process.pid, hostname: hostname() });
    await lock.release();
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a second lock in the same process, naming the dir, the pid and what to do', async () => {
    const lock = await lockDataDir(dir);
    const err = await lockDataDir(dir).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'registry_data_dir_locked', context: { dataDir: dir, pid: process.pid } });
    const message = (err as Error).message;
    expect(message).toContain(dir);
    expect(message).toContain(`process ${process.pid}`);
    expect(message).toMatch(/already open here/);
    expect(message).toContain(`delete ${lockFile}`);
    await lock.release();
    await (await lockDataDir(dir)).release();
  });

  it('refuses a lock held by another live process', async () => {
    const child = liveProcess();
    await writeLock({ pid: child.pid, hostname: hostname() });
    await expect(lockDataDir(dir)).rejects.toMatchObject({
      code: 'registry_data_dir_locked',
      message: expect.stringContaining(`in use by process ${child.pid} on host ${hostname()}`),
    });
    expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(child.pid);
  });

  it('takes over a stale lock whose process is gone', async () => {
    await writeLock({ pid: await deadPid(), hostname: hostname() });
    const lock = await lockDataDir(dir);
    expect(JSON.parse(await readFile(lockFile, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('takes over a lock with our own pid that this process does not hold (a restarted container\'s pid 1)', async () => {
    await writeLock({ pid: process.pid, hostname: hostname() });
    const lock = await lockDataDir(dir);
    await lock.release();
  });

  it('refuses a lock from another host, whose process it cannot check', async () => {
    await writeLock({ pid: 12345, hostname: 'some-other-host' });
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'registry_data_dir_locked', message: expect.stringContaining('on host some-other-host') });
  });

  it('refuses an unreadable lock file rather than guessing', async () => {
    await writeFile(lockFile, 'not json');
    await expect(lockDataDir(dir)).rejects.toMatchObject({ code: 'registry_data_dir_locked', message: expect.stringContaining('could not be read') });
  });

  it('release leaves alone a lock that someone else has taken over since', async () => {
    const lock = await lockDataDir(dir);
    await writeLock({ pid: 999_999, hostname: 'other' });
    await lock.release();
    expect(JSON.parse(await readFile(lockFile, 'utf8')).hostname).toBe('other');
  });

  it('leaves no temporary files behind, also when refused', async () => {
    const lock = await lockDataDir(dir);
    await lockDataDir(dir).catch(() => undefined);
    expect(await readdir(dir)).toEqual([LOCK_FILE_NAME]);
    await lock.release();
  });
});
