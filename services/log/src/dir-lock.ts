import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AppError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { LogErrorCode } from './errors';
import { fsyncDir, hasErrnoCode } from './fs-util';

export const LOCK_FILE = 'LOCK';

/** Directories locked by this process: the pid in the file cannot tell two opens in one process apart. */
const heldHere = new Set<string>();

export interface DirLock {
  /** Removes the lock file (if it is still ours). */
  release(): Promise<void>;
}

/**
 * Takes the exclusive lock on a log directory: a `LOCK` file holding the owner's pid. Two writers on
 * one segment would interleave records and corrupt the log, so a second open fails loudly.
 *
 * The file is published with link(2) from a fully written temp file, so a LOCK without a pid is
 * never visible. A lock whose pid is not alive is stale (the owner crashed) and is taken over.
 * Remaining race, accepted: two processes taking over the same stale lock at the same instant can
 * both succeed; starting two Parley processes on one data dir right after a crash is not a flow we
 * support, and the normal "second process while the first runs" case is always caught.
 */
export async function acquireDirLock(dir: string, log: Logger): Promise<DirLock> {
  const key = resolve(dir);
  const path = join(dir, LOCK_FILE);
  if (heldHere.has(key)) throw lockedError(dir, process.pid, true);
  // Reserve synchronously so a concurrent open in this process fails the check above.
  heldHere.add(key);
  try {
    return await acquireFileLock(dir, key, path, log);
  } catch (err) {
    heldHere.delete(key);
    throw err;
  }
}

async function acquireFileLock(dir: string, key: string, path: string, log: Logger): Promise<DirLock> {
  const temp = join(dir, `${LOCK_FILE}.${process.pid}.tmp`);
  await writeFile(temp, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(temp, path);
        await fsyncDir(dir);
        return { release: () => release(dir, key, path, log) };
      } catch (err) {
        if (!hasErrnoCode(err, 'EEXIST')) throw err;
      }
      const owner = await readOwner(path);
      if (owner === undefined) continue; // released meanwhile: try again
      if (owner !== null && isAlive(owner) && owner !== process.pid) throw lockedError(dir, owner, false);
      // Stale: the pid is dead, unreadable, or our own pid left by an earlier process (pid reuse
      // in containers) — we checked above that this process does not hold it.
      if ((await readOwner(path)) !== owner) continue;
      log.warn({ dir, stalePid: owner }, 'taking over a stale log directory lock');
      await unlink(path).catch((e: unknown) => {
        if (!hasErrnoCode(e, 'ENOENT')) throw e;
      });
    }
    throw new AppError(LogErrorCode.locked, `could not lock the log directory ${dir}: the lock file ${path} keeps changing; is another process starting on it?`, {
      context: { dir },
    });
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

function lockedError(dir: string, pid: number, here: boolean): AppError {
  const who = here ? `this process (pid ${pid}) already has it open` : `it is locked by process ${pid}`;
  return new AppError(
    LogErrorCode.locked,
    `cannot open the log directory ${dir}: ${who}. Only one process may use a file log at a time — stop the other process (or close the other open) first; if no such process exists, delete ${join(dir, LOCK_FILE)}.`,
    { status: 503, retryable: false, context: { dir, pid } },
  );
}

/** The pid in the lock file; null if unreadable, undefined if the file is gone. */
async function readOwner(path: string): Promise<number | null | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch (err) {
    if (hasErrnoCode(err, 'ENOENT')) return undefined;
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user — still alive.
    return hasErrnoCode(err, 'EPERM');
  }
}

async function release(dir: string, key: string, path: string, log: Logger): Promise<void> {
  if (!heldHere.delete(key)) return;
  try {
    if ((await readOwner(path)) === process.pid) await unlink(path);
  } catch (err) {
    log.warn({ err, dir }, 'could not remove the log directory lock file');
  }
}
