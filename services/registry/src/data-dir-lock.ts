import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { AppError } from '@parley/errors';
import type { Logger } from '@parley/logger';

/** Name of the lock file inside a locked data dir. */
export const LOCK_FILE_NAME = 'pglite.lock';

/** What a lock file holds: who owns the data dir. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** Random per acquisition, so a release never removes a lock someone else took over. */
  token: string;
  acquiredAt: string;
}

/** An exclusive claim on a data dir; `release()` is idempotent. */
export interface DataDirLock {
  readonly dir: string;
  readonly file: string;
  release(): Promise<void>;
}

/**
 * Data dirs this process holds. A lock file with our own pid that is not in here was left by an
 * earlier process that had the same pid (typical for pid 1 in a restarted container): stale.
 */
const heldByThisProcess = new Map<string, string>(); // dir -> token

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(file: string): Promise<LockHolder | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isSafeInteger(v.pid) && typeof v.hostname === 'string' && typeof v.token === 'string') return v as LockHolder;
  } catch {
    // fall through
  }
  return 'unreadable';
}

function lockedError(dir: string, file: string, holder: LockHolder | 'unreadable'): AppError {
  const who =
    holder === 'unreadable'
      ? `a lock file that could not be read (${file})`
      : `process ${holder.pid} on host ${holder.hostname}` +
        (holder.pid === process.pid && holder.hostname === hostname() ? ' (this process: it is already open here)' : '');
  return new AppError(
    'registry_data_dir_locked',
    `Data dir ${dir} is in use by ${who}. PGlite corrupts a data dir opened by two processes at once: ` +
      `stop that process (or close the registry it has open) first, or use another data dir. ` +
      `If you are sure no process is using it, delete ${file} and start again.`,
    { context: { dataDir: dir, lockFile: file, ...(holder === 'unreadable' ? {} : { pid: holder.pid, hostname: holder.hostname }) } },
  );
}

/**
 * Takes the exclusive lock on `dir` (which must exist) by creating `dir/pglite.lock` holding our pid.
 * A lock whose pid is dead on this host is stale and taken over; a live one, one from another host
 * (whose pid we cannot check) or an unreadable one fails with `registry_data_dir_locked`.
 *
 * The file is created complete and atomically (written aside, then hard-linked into place, which
 * fails if the name exists), so a reader never sees a half-written lock. Residual race: two
 * processes taking over the same stale lock at the same instant can both succeed; that needs a
 * crash followed by two simultaneous starts on one data dir.
 */
export async function lockDataDir(dir: string, log?: Logger): Promise<DataDirLock> {
  const absDir = resolve(dir);
  const file = join(absDir, LOCK_FILE_NAME);
  const me: LockHolder = { pid: process.pid, hostname: hostname(), token: randomBytes(12).toString('base64url'), acquiredAt: new Date().toISOString() };
  const temp = `${file}.${me.pid}.${me.token}`;
  const content = JSON.stringify(me) + '\n';
  await writeFile(temp, content, { flag: 'wx' });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await createExclusive(temp, file, content);
        heldByThisProcess.set(absDir, me.token);
        return { dir: absDir, file, release: () => releaseLock(absDir, file, me.token) };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readHolder(file);
      if (holder === 'missing') continue; // released between our link and our read
      const stale =
        holder !== 'unreadable' &&
        holder.hostname === me.hostname &&
        (holder.pid === process.pid ? !heldByThisProcess.has(absDir) : !isAlive(holder.pid));
      if (!stale) throw lockedError(absDir, file, holder);
      log?.warn({ dataDir: absDir, stalePid: holder.pid }, 'taking over a stale data dir lock left by a process that is gone');
      await unlink(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    const holder = await readHolder(file);
    throw lockedError(absDir, file, holder === 'missing' ? 'unreadable' : holder);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Puts `content` at `file` unless it exists (EEXIST), atomically where the filesystem has hard links. */
async function createExclusive(temp: string, file: string, content: string): Promise<void> {
  try {
    await link(temp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw err;
    // No hard links here (some FUSE and network mounts): an exclusive create is still atomic, only
    // a reader may briefly see the file empty, which counts as "unreadable", i.e. locked.
    await writeFile(file, content, { flag: 'wx' });
  }
}

async function releaseLock(dir: string, file: string, token: string): Promise<void> {
  if (heldByThisProcess.get(dir) === token) heldByThisProcess.delete(dir);
  const holder = await readHolder(file);
  if (typeof holder === 'object' && holder.token === token) {
    await unlink(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
}
