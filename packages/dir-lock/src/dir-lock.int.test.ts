import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createRootLogger, type Logger } from '@parley/logger';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { TEST_LOCK } from './__fixtures__/test-lock-options';
import { lockDir, type DirLock } from './dir-lock';

// Lets a test make link(2) fail as on filesystems without hard links; every other test uses the real one.
const linkFailure = vi.hoisted(() => ({ code: undefined as string | undefined, failed: 0 }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...actual,
    link: (existing: string, created: string) =>
      linkFailure.code === undefined
        ? actual.link(existing, created)
        : (linkFailure.failed++, Promise.reject(Object.assign(new Error(`${linkFailure.code}: operation not permitted, link`), { code: linkFailure.code }))),
  };
});

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../..');

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-dir-lock-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Locks `dir` with the test options; the lock is released when the test finishes. */
async function lock(dir: string, log?: Logger): Promise<DirLock> {
  const l = await lockDir(dir, log === undefined ? TEST_LOCK : { ...TEST_LOCK, log });
  onTestFinished(() => l.release());
  return l;
}

const lockFileOf = (dir: string) => join(dir, TEST_LOCK.fileName);
const readHolder = async (dir: string) => JSON.parse(await readFile(lockFileOf(dir), 'utf8')) as Record<string, unknown>;
const writeHolder = (dir: string, holder: object) =>
  writeFile(lockFileOf(dir), JSON.stringify({ token: 'theirs', acquiredAt: '2024-01-01T00:00:00.000Z', ...holder }));

/** A real pino logger whose JSON lines the test can inspect. */
function captureLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    logger: createRootLogger({ level: 'debug', destination }),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

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

/** Runs `__fixtures__/lock-in-child.ts` on `dir` in a separate Node process. */
function lockInChild(dir: string): { child: ChildProcessWithoutNullStreams; line: () => Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, '__fixtures__/lock-in-child.ts'), dir], { cwd: repoRoot });
  onTestFinished(() => void child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  let waiting: (() => void) | undefined;
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    waiting?.();
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = once(child, 'exit').then(([code]) => code as number | null);
  /** The next complete stdout line; fails with the child's stderr if it exits first. */
  const line = () =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const end = stdout.indexOf('\n');
        if (end < 0) return;
        waiting = undefined;
        resolve(stdout.slice(0, end));
        stdout = stdout.slice(end + 1);
      };
      waiting = check;
      check();
      void exit.then((code) => reject(new Error(`child exited (${code}) before printing a line: ${stderr}`)));
    });
  return { child, line, exit };
}

describe('lockDir', () => {
  it('writes pid, hostname, token and acquiredAt into the lock file and removes it on release', async () => {
    const dir = await tempDir();
    const l = await lockDir(dir, TEST_LOCK);
    expect(l).toMatchObject({ dir, file: lockFileOf(dir) });
    const holder = await readHolder(dir);
    expect(holder).toEqual({ pid: process.pid, hostname: hostname(), token: expect.any(String), acquiredAt: expect.any(String) });
    expect(Number.isNaN(Date.parse(holder.acquiredAt as string))).toBe(false);
    await l.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('release is idempotent and a released directory can be locked again', async () => {
    const dir = await tempDir();
    const first = await lockDir(dir, TEST_LOCK);
    await Promise.all([first.release(), first.release()]);
    await first.release();
    const second = await lock(dir);
    await first.release(); // must not touch the new holder's file
    expect((await readHolder(dir)).pid).toBe(process.pid);
    await second.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a second lock of the same directory in this process, naming the dir, the pid and what to do', async () => {
    const dir = await tempDir();
    await lock(dir);
    const err = await lockDir(dir, TEST_LOCK).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: TEST_LOCK.errorCode,
      status: 503,
      retryable: false,
      context: { dir, lockFile: lockFileOf(dir), pid: process.pid, hostname: hostname() },
    });
    const message = (err as Error).message;
    expect(message).toContain(`Cannot lock ${dir} for the test store`);
    expect(message).toContain(`this process (pid ${process.pid} on host ${hostname()}) already has it open`);
    expect(message).toContain('Two writers would corrupt the test store.');
    expect(message).toContain('Close the other open first');
  });

  it('lets only one of two concurrent locks in this process win', async () => {
    const dir = await tempDir();
    const results = await Promise.allSettled([lockDir(dir, TEST_LOCK), lockDir(dir, TEST_LOCK)]);
    const won = results.filter((r): r is PromiseFulfilledResult<DirLock> => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: TEST_LOCK.errorCode } });
    await won[0]!.value.release();
  });

  it('treats another spelling of the same directory (symlink, relative path) as the same lock', async () => {
    const dir = await tempDir();
    const alias = `${dir}-alias`;
    await symlink(dir, alias);
    onTestFinished(() => rm(alias, { force: true }));
    await lock(dir);
    await expect(lockDir(alias, TEST_LOCK)).rejects.toMatchObject({ code: TEST_LOCK.errorCode });
    await expect(lockDir(relative(process.cwd(), dir), TEST_LOCK)).rejects.toMatchObject({ code: TEST_LOCK.errorCode });
  });

  it('refuses a lock held by another live process, says what to do, and leaves the lock alone', async () => {
    const dir = await tempDir();
    const pid = await liveProcess();
    await writeHolder(dir, { pid, hostname: hostname() });
    const before = await readFile(lockFileOf(dir), 'utf8');
    const err = await lockDir(dir, TEST_LOCK).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: TEST_LOCK.errorCode, context: { dir, pid, hostname: hostname() } });
    const message = (err as Error).message;
    expect(message).toContain(`it is locked by process ${pid} on host ${hostname()} since 2024-01-01T00:00:00.000Z`);
    expect(message).toContain('Stop the other process first');
    expect(message).toContain(`If you are sure no process is using it, delete ${lockFileOf(dir)}`);
    expect(await readFile(lockFileOf(dir), 'utf8')).toBe(before);
  });

  it('reads a lock file of the old format (a bare pid) as held by that pid on this host', async () => {
    const dir = await tempDir();
    const pid = await liveProcess();
    await writeFile(lockFileOf(dir), `${pid}\n`);
    await expect(lockDir(dir, TEST_LOCK)).rejects.toMatchObject({
      code: TEST_LOCK.errorCode,
      context: { pid, hostname: hostname() },
      message: expect.stringContaining(`locked by process ${pid} on host ${hostname()}.`),
    });
    expect(await readFile(lockFileOf(dir), 'utf8')).toBe(`${pid}\n`);
  });

  it('takes over a stale lock whose process is gone, with a warning', async () => {
    const dir = await tempDir();
    const pid = await deadPid();
    await writeHolder(dir, { pid, hostname: hostname() });
    const captured = captureLogger();
    await lock(dir, captured.logger);
    expect((await readHolder(dir)).pid).toBe(process.pid);
    expect(captured.lines()).toContainEqual(
      expect.objectContaining({ level: 40, msg: 'taking over a stale directory lock left by a process that is gone', stalePid: pid, dir, purpose: 'test store' }),
    );
  });

  it('takes over a stale lock of the old format (a bare pid)', async () => {
    const dir = await tempDir();
    await writeFile(lockFileOf(dir), `${await deadPid()}\n`);
    await lock(dir);
    expect((await readHolder(dir)).pid).toBe(process.pid);
  });

  it("takes over a lock with our own pid that this process does not hold (a restarted container's pid 1)", async () => {
    const dir = await tempDir();
    await writeHolder(dir, { pid: process.pid, hostname: hostname() });
    await lock(dir);
    expect((await readHolder(dir)).token).not.toBe('theirs');
  });

  it('refuses a lock from another host, whose process it cannot check', async () => {
    const dir = await tempDir();
    await writeHolder(dir, { pid: await deadPid(), hostname: 'some-other-host' });
    await expect(lockDir(dir, TEST_LOCK)).rejects.toMatchObject({
      code: TEST_LOCK.errorCode,
      context: { hostname: 'some-other-host' },
      message: expect.stringContaining('on host some-other-host'),
    });
  });

  it.each([
    ['not JSON', 'not json'],
    ['empty', ''],
    ['JSON without a pid', '{"hostname":"h"}'],
  ])('refuses an unreadable lock file (%s) rather than guessing, and leaves it alone', async (_, content) => {
    const dir = await tempDir();
    await writeFile(lockFileOf(dir), content);
    const err = await lockDir(dir, TEST_LOCK).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: TEST_LOCK.errorCode, context: { dir, lockFile: lockFileOf(dir) } });
    expect((err as Error).message).toContain(`its lock file ${lockFileOf(dir)} exists but could not be read`);
    expect((err as Error).message).toContain(`delete ${lockFileOf(dir)}`);
    expect(await readFile(lockFileOf(dir), 'utf8')).toBe(content);
  });

  it('release leaves alone a lock that someone else has taken over since', async () => {
    const dir = await tempDir();
    const l = await lockDir(dir, TEST_LOCK);
    await writeHolder(dir, { pid: 999_999, hostname: 'other' });
    await l.release();
    expect((await readHolder(dir)).hostname).toBe('other');
  });

  it('leaves no temporary files behind, also when refused', async () => {
    const dir = await tempDir();
    await lock(dir);
    await lockDir(dir, TEST_LOCK).catch(() => undefined);
    const other = await tempDir();
    await writeFile(lockFileOf(other), 'not json');
    await lockDir(other, TEST_LOCK).catch(() => undefined);
    expect(await readdir(dir)).toEqual([TEST_LOCK.fileName]);
    expect(await readdir(other)).toEqual([TEST_LOCK.fileName]);
  });

  it('falls back to an exclusive create where the filesystem has no hard links', async () => {
    const dir = await tempDir();
    linkFailure.code = 'EPERM';
    onTestFinished(() => void (linkFailure.code = undefined));
    const l = await lockDir(dir, TEST_LOCK);
    expect(linkFailure.failed).toBeGreaterThan(0);
    expect((await readHolder(dir)).pid).toBe(process.pid);
    expect(await readdir(dir)).toEqual([TEST_LOCK.fileName]);
    await writeHolder(dir, { pid: await liveProcess(), hostname: hostname() });
    await l.release();
    await expect(lockDir(dir, TEST_LOCK)).rejects.toMatchObject({ code: TEST_LOCK.errorCode });
  });

  it('rejects a lock file name that is a path', async () => {
    const dir = await tempDir();
    await expect(lockDir(dir, { ...TEST_LOCK, fileName: '../escape.lock' })).rejects.toThrow(TypeError);
  });
});

describe('lockDir across processes', () => {
  it('refuses a lock another process holds, and takes it once that process has released it', async () => {
    const dir = await tempDir();
    const other = lockInChild(dir);
    expect(await other.line()).toBe('locked');
    const err = await lockDir(dir, TEST_LOCK).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: TEST_LOCK.errorCode, context: { pid: other.child.pid, hostname: hostname() } });
    expect((err as Error).message).toContain(`it is locked by process ${other.child.pid} on host ${hostname()}`);

    other.child.stdin.end();
    expect(await other.line()).toBe('released');
    expect(await other.exit).toBe(0);
    await lock(dir);
  });

  it('is refused in another process while this process holds the lock', async () => {
    const dir = await tempDir();
    await lock(dir);
    const other = lockInChild(dir);
    const line = await other.line();
    expect(line).toContain(`refused ${TEST_LOCK.errorCode} Cannot lock ${dir} for the test store: it is locked by process ${process.pid}`);
    expect(await other.exit).toBe(3);
  });

  it('takes over the lock of a process killed with SIGKILL', async () => {
    const dir = await tempDir();
    const other = lockInChild(dir);
    expect(await other.line()).toBe('locked');
    other.child.kill('SIGKILL');
    await other.exit;
    const captured = captureLogger();
    await lock(dir, captured.logger);
    expect((await readHolder(dir)).pid).toBe(process.pid);
    expect(captured.lines()).toContainEqual(expect.objectContaining({ stalePid: other.child.pid }));
  });
});
