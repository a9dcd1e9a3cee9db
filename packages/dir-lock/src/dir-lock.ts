import { randomBytes } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { link, open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { AppError } from '@parley/errors';
import type { Logger } from '@parley/logger';

/** What a lock file holds (one line of JSON): who has the directory. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** Random per acquisition, so a release never removes a lock someone else has taken over since. */
  token: string;
  /** ISO 8601 time the lock was taken; for people reading the file. */
  acquiredAt: string;
}

/** Options of {@link lockDir}. */
export interface LockDirOptions {
  /** Name of the lock file inside the directory, e.g. `LOCK`. A plain name, no path. */
  fileName: string;
  /** `code` of the AppError thrown when the directory is locked, e.g. `log_locked`. */
  errorCode: string;
  /** What the dir holds, for the error message, e.g. 'file log' or 'registry (PGlite)'. */
  purpose: string;
  /** Why two processes must not share it, one sentence. */
  why: string;
  /** Receives a warning when a stale lock is taken over or the lock file cannot be removed. */
  log?: Logger;
}

/** An exclusive claim on a directory, held until {@link DirLock.release}. */
export interface DirLock {
  /** The locked directory, absolute. */
  readonly dir: string;
  /** The lock file, absolute. */
  readonly file: string;
  /**
   * Removes the lock file if it is still ours, and lets this process lock the directory again.
   * Idempotent, and never rejects: a removal failure is logged as a warning, and the leftover file
   * (our pid, alive or not) is taken over as stale by the next lock in this process or once this
   * process has exited.
   */
  release(): Promise<void>;
}

/** A lock file's holder as read; files written before JSON locks hold only a pid (see readLock). */
type FoundHolder = Pick<LockHolder, 'pid' | 'hostname'> & Partial<Pick<LockHolder, 'token' | 'acquiredAt'>>;
type Found = { holder: FoundHolder; raw: string } | 'missing' | 'unreadable';
type Refusal = { kind: 'here' } | { kind: 'held'; holder: FoundHolder } | { kind: 'unreadable' } | { kind: 'contended' };

/**
 * Lock files this process holds or is acquiring (canonical path → token, '' while acquiring). A pid
 * in a file cannot tell two opens in one process apart, and a file holding our own pid that is not
 * in here was left by an earlier process that had the same pid (pid 1 of a restarted container).
 */
const heldHere = new Map<string, string>();

const MAX_ATTEMPTS = 5;
/** link(2) errors of filesystems without hard links (some FUSE and network mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);
/** fsync(2) errors of filesystems (and platforms) that cannot sync a directory. */
const NO_DIR_FSYNC = new Set(['EINVAL', 'ENOTSUP', 'EOPNOTSUPP', 'EISDIR']);

/**
 * Takes the exclusive lock on `dir` (which must exist): creates `dir/<fileName>` holding a
 * {@link LockHolder}. Fails with an AppError(`errorCode`, status 503) naming the directory, the holder
 * and what to do if the directory is already locked — by this process (checked and reserved before
 * the first await, so of two concurrent calls exactly one wins), by a live process on this host, by a
 * process on another host (whose pid cannot be checked here), or by a lock file that cannot be read.
 * A lock whose pid is gone on this host, or is our own pid but not held by this process, is stale:
 * it is taken over with a warning on `log`.
 *
 * The file is fully written and synced aside, then hard-linked into place (link fails if the name
 * exists), so no reader ever sees a half-written lock; where the filesystem has no hard links an
 * exclusive create is used instead (a reader may then briefly see an empty file: "unreadable", i.e.
 * locked). The directory is synced after publishing, so a lock survives a power loss.
 * Residual race, accepted: two processes taking over the same stale lock at the same instant can both
 * succeed; that needs a crash followed by two simultaneous starts on one directory.
 */
export async function lockDir(dir: string, options: LockDirOptions): Promise<DirLock> {
  if (options.fileName === '' || basename(options.fileName) !== options.fileName) {
    throw new TypeError(`lockDir: fileName must be a plain file name, got ${JSON.stringify(options.fileName)}`);
  }
  const absDir = resolve(dir);
  const file = join(absDir, options.fileName);
  // One key per directory however it is spelled (symlinks, `..`), so aliases cannot both lock it.
  const key = join(realpathSync.native(absDir), options.fileName);
  if (heldHere.has(key)) throw lockedError(absDir, file, options, { kind: 'here' });
  heldHere.set(key, '');
  try {
    const token = await acquire(absDir, file, options);
    heldHere.set(key, token);
    let releasing: Promise<void> | undefined;
    return { dir: absDir, file, release: () => (releasing ??= release(key, file, token, options.log)) };
  } catch (err) {
    heldHere.delete(key);
    throw err;
  }
}

async function acquire(dir: string, file: string, options: LockDirOptions): Promise<string> {
  const me: LockHolder = { pid: process.pid, hostname: hostname(), token: randomBytes(12).toString('base64url'), acquiredAt: new Date().toISOString() };
  const content = `${JSON.stringify(me)}\n`;
  const temp = `${file}.${me.pid}.${me.token}.tmp`;
  await writeDurably(temp, content);
  try {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (await publish(temp, file, content)) {
        try {
          await fsyncDir(dir);
        } catch (err) {
          await removeIfOurs(file, me.token).catch(() => undefined);
          throw err;
        }
        return me.token;
      }
      const found = await readLock(file);
      if (found === 'missing') continue; // released between our link and our read
      if (found === 'unreadable') throw lockedError(dir, file, options, { kind: 'unreadable' });
      if (!isStale(found.holder)) throw lockedError(dir, file, options, { kind: 'held', holder: found.holder });
      // Remove only the very lock we judged stale, not one a live process has put there since.
      const again = await readLock(file);
      if (typeof again !== 'object' || again.raw !== found.raw) continue;
      options.log?.warn(
        { dir, lockFile: file, purpose: options.purpose, stalePid: found.holder.pid, staleAcquiredAt: found.holder.acquiredAt },
        'taking over a stale directory lock left by a process that is gone',
      );
      await unlinkIfExists(file);
    }
    throw lockedError(dir, file, options, { kind: 'contended' });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** A lock of this host whose process is gone, or that holds our pid (heldHere says it is not ours). */
function isStale(holder: FoundHolder): boolean {
  return holder.hostname === hostname() && (holder.pid === process.pid || !isAlive(holder.pid));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return hasErrnoCode(err, 'EPERM');
  }
}

/** Puts `content` at `file` unless the name exists (false), atomically where the filesystem has hard links. */
async function publish(temp: string, file: string, content: string): Promise<boolean> {
  try {
    await link(temp, file);
    return true;
  } catch (err) {
    if (hasErrnoCode(err, 'EEXIST')) return false;
    if (!NO_HARD_LINKS.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
  try {
    await writeDurably(file, content);
    return true;
  } catch (err) {
    if (hasErrnoCode(err, 'EEXIST')) return false;
    throw err;
  }
}

/** Creates `path` (failing with EEXIST if it exists) with `content`, synced; removes it if that fails midway. */
async function writeDurably(path: string, content: string): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw err;
  }
  await fh.close();
}

/** Makes the new directory entry durable: fsync of a file does not cover its name. */
async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    if (!NO_DIR_FSYNC.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await fh.close();
  }
}

/**
 * Reads a lock file. Besides the JSON {@link LockHolder}, accepts the older format of a bare pid
 * (a file log's `LOCK` before this package), which can only have been written on this host.
 */
async function readLock(file: string): Promise<Found> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (err) {
    if (hasErrnoCode(err, 'ENOENT')) return 'missing';
    throw err;
  }
  const text = raw.trim();
  if (/^\d+$/.test(text)) {
    const pid = Number(text);
    return isPid(pid) ? { holder: { pid, hostname: hostname() }, raw } : 'unreadable';
  }
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (isPid(v.pid) && typeof v.hostname === 'string' && v.hostname !== '') {
      const holder: FoundHolder = { pid: v.pid, hostname: v.hostname };
      if (typeof v.token === 'string') holder.token = v.token;
      if (typeof v.acquiredAt === 'string') holder.acquiredAt = v.acquiredAt;
      return { holder, raw };
    }
  } catch {
    // not JSON: unreadable
  }
  return 'unreadable';
}

function isPid(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
}

async function release(key: string, file: string, token: string, log: Logger | undefined): Promise<void> {
  try {
    await removeIfOurs(file, token);
  } catch (err) {
    log?.warn({ err, lockFile: file }, 'could not remove a directory lock file; it is taken over as stale once this process has exited');
  } finally {
    // Only now: a new lock in this process must not take over the file while we are removing it.
    if (heldHere.get(key) === token) heldHere.delete(key);
  }
}

async function removeIfOurs(file: string, token: string): Promise<void> {
  const found = await readLock(file);
  if (typeof found === 'object' && found.holder.token === token) await unlinkIfExists(file);
}

async function unlinkIfExists(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if (!hasErrnoCode(err, 'ENOENT')) throw err;
  }
}

function lockedError(dir: string, file: string, options: LockDirOptions, refusal: Refusal): AppError {
  const why = /[.!?]$/.test(options.why.trim()) ? options.why.trim() : `${options.why.trim()}.`;
  const lead = `Cannot lock ${dir} for the ${options.purpose}:`;
  const deleteIfSure = `If you are sure no process is using it, delete ${file} and try again.`;
  let message: string;
  let holder: FoundHolder | undefined;
  switch (refusal.kind) {
    case 'here':
      holder = { pid: process.pid, hostname: hostname() };
      message = `${lead} this process (pid ${holder.pid} on host ${holder.hostname}) already has it open. ${why} Close the other open first, or use another directory.`;
      break;
    case 'held':
      holder = refusal.holder;
      message =
        `${lead} it is locked by process ${holder.pid} on host ${holder.hostname}` +
        `${holder.acquiredAt === undefined ? '' : ` since ${holder.acquiredAt}`}. ${why} ` +
        `Stop the other process first, or use another directory. ${deleteIfSure}`;
      break;
    case 'unreadable':
      message = `${lead} its lock file ${file} exists but could not be read, so its holder is unknown. ${why} Stop the other process first, or use another directory. ${deleteIfSure}`;
      break;
    case 'contended':
      message = `${lead} its lock file ${file} kept changing while we tried to take it; another process is starting on it at the same time. ${why} Start only one.`;
      break;
  }
  return new AppError(options.errorCode, message, {
    status: 503,
    retryable: false,
    context: { dir, lockFile: file, ...(holder === undefined ? {} : { pid: holder.pid, hostname: holder.hostname }) },
  });
}

function hasErrnoCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
