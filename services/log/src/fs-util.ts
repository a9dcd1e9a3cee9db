import { open } from 'node:fs/promises';

/**
 * Makes a directory's entries (created, renamed or deleted files) durable. fsync on a file does not
 * cover its name: without this a crash right after creating a segment or renaming an offset file
 * can lose the entry even though the data blocks were synced.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** True for Node's fs errors with the given code (ENOENT, EEXIST, …). */
export function hasErrnoCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
