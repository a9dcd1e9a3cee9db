import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@parley/logger';
import { failedStateError, writeFailedError } from './errors';
import { fsyncDir } from './fs-util';
import { sealRecord } from './record-codec';
import { segmentFileName } from './segment-files';
import type { SegmentMeta, SegmentSet } from './segment-set';
import { SparseIndex } from './sparse-index';

/**
 * The file operations the writer depends on for durability. Production uses the FileHandle
 * methods; tests substitute failing ones to exercise the failure semantics below.
 */
export interface WriterFileOps {
  writev(fh: FileHandle, buffers: Buffer[], position: number): Promise<number>;
  datasync(fh: FileHandle): Promise<void>;
  truncate(fh: FileHandle, size: number): Promise<void>;
}

export const defaultFileOps: WriterFileOps = {
  writev: async (fh, buffers, position) => (await fh.writev(buffers, position)).bytesWritten,
  datasync: (fh) => fh.datasync(),
  truncate: (fh, size) => fh.truncate(size),
};

export interface SegmentWriterOptions {
  dir: string;
  segments: SegmentSet;
  /** Open handle (r+) on the active segment's file. */
  activeFile: FileHandle;
  /** Offset the next appended record gets. */
  nextOffset: bigint;
  segmentBytes: number;
  fsync: boolean;
  ops: WriterFileOps;
  log: Logger;
  /** Called after a roll closed a segment (retention may now delete something). */
  onRoll: () => void;
}

/**
 * Appends groups of framed records to the active segment, one group at a time (the group
 * committer serialises calls).
 *
 * Failure semantics — a group either becomes durable and readable as a whole or not at all:
 * - Readers only see bytes up to `SegmentMeta.size`, which moves only after fdatasync succeeded,
 *   so a failed group is never visible to a consumer, even for a moment.
 * - A failed **write** (ENOSPC, EIO, short write) rejects the group and truncates the file back to
 *   the last durable byte; if that truncate (+ sync) works the log keeps accepting appends and the
 *   failed group's offsets are reused (nobody saw them). A full disk thus heals when space returns.
 * - A failed **fdatasync**, or a failed truncate, puts the writer in a failed state: every later
 *   append rejects with `log_failed` until the log is reopened. After an fsync error Linux may have
 *   dropped the dirty pages and marked them clean, so a retried fsync can "succeed" without the
 *   data on disk (the PostgreSQL "fsyncgate" lesson); only a reopen, whose recovery scan checks
 *   what really is in the file, can be trusted. Records durable before the failure stay readable.
 * - A failed roll (cannot create the next segment) rejects the group and leaves the active
 *   segment in place; the next group tries to roll again.
 * If the process dies mid-group, recovery on open truncates whatever part of the group is torn; a
 * fully written but unacknowledged group may survive, which at-least-once delivery allows.
 */
export class SegmentWriter {
  private fh: FileHandle;
  private next: bigint;
  private failure: unknown = null;

  constructor(private readonly o: SegmentWriterOptions) {
    this.fh = o.activeFile;
    this.next = o.nextOffset;
  }

  /** Offset the next durable record gets = one past the last durable record. */
  get nextOffset(): bigint {
    return this.next;
  }

  /** Non-null once a disk error made the writer refuse further appends. */
  get failedWith(): unknown {
    return this.failure;
  }

  /** Writes and syncs one group; returns the offset of its first record. */
  async writeGroup(framed: Buffer[], bytes: number): Promise<bigint> {
    if (this.failure !== null) throw failedStateError(this.o.dir, this.failure);
    let active = this.o.segments.active;
    if (active.size > 0 && active.size + bytes > this.o.segmentBytes) {
      try {
        active = await this.roll();
      } catch (err) {
        this.o.log.error({ err, nextOffset: this.next.toString() }, 'could not roll to a new segment');
        throw writeFailedError(this.o.dir, framed.length, err);
      }
    }

    const first = this.next;
    for (let i = 0; i < framed.length; i++) sealRecord(framed[i]!, first + BigInt(i));
    const start = active.size;

    try {
      const written = await this.o.ops.writev(this.fh, framed, start);
      if (written !== bytes) throw new Error(`short write: ${written} of ${bytes} bytes`);
    } catch (err) {
      await this.truncateBack(active, err, 'write');
      throw writeFailedError(this.o.dir, framed.length, err);
    }
    if (this.o.fsync) {
      try {
        await this.o.ops.datasync(this.fh);
      } catch (err) {
        this.failure = err;
        this.o.log.error({ err, segment: active.path }, 'fdatasync failed: the file log refuses appends until it is reopened');
        await this.truncateBack(active, err, 'sync');
        throw writeFailedError(this.o.dir, framed.length, err);
      }
    }

    const index = active.index ?? (active.index = new SparseIndex());
    let pos = start;
    for (let i = 0; i < framed.length; i++) {
      index.add(first + BigInt(i), pos);
      pos += framed[i]!.length;
    }
    active.size = start + bytes;
    active.mtimeMs = Date.now();
    this.next = first + BigInt(framed.length);
    return first;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }

  /**
   * Removes a failed group's bytes so a later group (or recovery) cannot mistake them for records.
   * Best effort: if it fails the writer enters the failed state.
   */
  private async truncateBack(active: SegmentMeta, cause: unknown, phase: 'write' | 'sync'): Promise<void> {
    try {
      await this.o.ops.truncate(this.fh, active.size);
      if (this.o.fsync && phase === 'write') await this.o.ops.datasync(this.fh);
    } catch (err) {
      if (this.failure === null) this.failure = cause;
      this.o.log.error({ err, segment: active.path, durableBytes: active.size }, 'could not truncate a failed write; the file log refuses appends until it is reopened');
    }
  }

  /**
   * Closes the active segment and starts a new one named by the next offset. The old segment is
   * already synced (every group is), and the new file's directory entry is synced before any record
   * goes into it, so a crash leaves at worst an empty newest segment, which recovery removes.
   */
  private async roll(): Promise<SegmentMeta> {
    const path = join(this.o.dir, segmentFileName(this.next));
    const fh = await open(path, 'wx+');
    try {
      await fsyncDir(this.o.dir);
    } catch (err) {
      // Leave no file behind, or every later roll would hit EEXIST on the same name.
      await fh.close().catch(() => undefined);
      await unlink(path).catch(() => undefined);
      throw err;
    }
    const old = this.fh;
    this.fh = fh;
    const meta: SegmentMeta = { base: this.next, path, size: 0, mtimeMs: Date.now(), index: new SparseIndex(), deleted: false };
    this.o.segments.push(meta);
    await old.close().catch((err: unknown) => this.o.log.warn({ err }, 'closing the previous segment failed'));
    this.o.log.debug({ segment: path }, 'rolled to a new segment');
    this.o.onRoll();
    return meta;
  }
}
