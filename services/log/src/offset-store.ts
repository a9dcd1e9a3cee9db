import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@parley/logger';
import { invalidOptionsError } from './errors';
import { fsyncDir, hasErrnoCode } from './fs-util';

const SUFFIX = '.offset.json';

interface OffsetFile {
  group: string;
  /** Next offset the group will read, as a decimal string (JSON has no u64). */
  offset: string;
  committedAt: string;
}

/**
 * Committed offsets of the consumer groups, one small JSON file per group in `dir`.
 *
 * A commit writes a temp file, fsyncs it, renames it over the old file and fsyncs the directory:
 * rename is atomic, so after a kill -9 or power loss the file holds either the old or the new
 * offset, never a torn mix, and once `commit` resolved the new one survives.
 */
export class OffsetStore {
  private readonly offsets = new Map<string, bigint>();
  /** Serialises commits per group so an older offset can never overwrite a newer one. */
  private readonly chains = new Map<string, Promise<void>>();

  private constructor(
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  static async open(dir: string, log: Logger): Promise<OffsetStore> {
    await mkdir(dir, { recursive: true });
    const store = new OffsetStore(dir, log);
    for (const name of await readdir(dir)) {
      if (name.endsWith('.tmp')) {
        // A commit that died before its rename: the previous offset file is still authoritative.
        await unlink(join(dir, name)).catch(() => undefined);
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      try {
        const parsed = JSON.parse(await readFile(join(dir, name), 'utf8')) as OffsetFile;
        store.offsets.set(parsed.group, BigInt(parsed.offset));
      } catch (err) {
        // Unreadable means a restart from an older offset at worst, i.e. redelivery, never loss.
        log.error({ err, file: name }, 'ignoring an unreadable consumer offset file; that group restarts from the oldest retained record');
      }
    }
    return store;
  }

  /** The group's committed next offset, or undefined for a group that never committed. */
  get(group: string): bigint | undefined {
    return this.offsets.get(group);
  }

  /** Every group with a committed offset. */
  entries(): Map<string, bigint> {
    return new Map(this.offsets);
  }

  /** Durably records that `group` has processed everything below `nextOffset`. */
  commit(group: string, nextOffset: bigint): Promise<void> {
    const previous = this.chains.get(group) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() => this.write(group, nextOffset));
    const tail = run.catch(() => undefined);
    this.chains.set(group, tail);
    void tail.then(() => {
      if (this.chains.get(group) === tail) this.chains.delete(group);
    });
    return run;
  }

  private async write(group: string, nextOffset: bigint): Promise<void> {
    const name = fileNameFor(group);
    const target = join(this.dir, name);
    const temp = join(this.dir, `${name}.${process.pid}.tmp`);
    const body: OffsetFile = { group, offset: nextOffset.toString(), committedAt: new Date().toISOString() };
    const fh = await open(temp, 'w');
    try {
      await fh.writeFile(`${JSON.stringify(body)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await rename(temp, target);
    } catch (err) {
      await unlink(temp).catch((e: unknown) => {
        if (!hasErrnoCode(e, 'ENOENT')) this.log.warn({ err: e, file: temp }, 'could not remove a temp offset file');
      });
      throw err;
    }
    await fsyncDir(this.dir);
    // Commits of a group are serialised, so this is the newest; it may also be a rewind (see file-log).
    this.offsets.set(group, nextOffset);
  }
}

/** Validates a consumer group name (it becomes part of a file name). */
export function assertGroupName(group: string): void {
  if (typeof group !== 'string' || group.length === 0 || group.length > 200) {
    throw invalidOptionsError('consumer group must be a non-empty string of at most 200 characters');
  }
}

/** A file name for any group name: percent-encoding keeps it readable and free of '/', '..'. */
function fileNameFor(group: string): string {
  return `${encodeURIComponent(group).replace(/[.*!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}${SUFFIX}`;
}
