import { mkdir, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { lockDir, type DirLock } from '@parley/dir-lock';
import type { Logger } from '@parley/logger';
import { GroupConsumer } from './consumer';
import { closedError, failedStateError, invalidOptionsError, LogErrorCode } from './errors';
import { fsyncDir, hasErrnoCode } from './fs-util';
import { GroupCommitter } from './group-commit';
import { LogCursor } from './log-cursor';
import { AppendNotifier } from './notifier';
import { assertGroupName, OffsetStore } from './offset-store';
import { encodeRecord } from './record-codec';
import { recoverLog } from './recovery';
import { planRetention, type RetentionOptions } from './retention';
import { SegmentSet, type SegmentMeta } from './segment-set';
import { defaultFileOps, SegmentWriter, type WriterFileOps } from './segment-writer';
import type { AppendRecord, AppendResult, ConsumeOptions, ConsumerLag, LogConsumer, TelemetryLog } from './telemetry-log';

export type { RetentionOptions } from './retention';

/** Options of {@link openFileLog}. */
export interface FileLogOptions {
  /** Directory owned by this log (created if missing): segments, `offsets/`, `LOCK`. */
  dir: string;
  /** Parent logger; the log logs as `component: 'file-log'`. */
  log: Logger;
  /** Roll to a new segment once the active one would exceed this. Default 64 MiB, minimum 1 KiB. */
  segmentBytes?: number;
  /**
   * How long an append that finds the writer idle waits for other appends to share its fdatasync.
   * Default 0: only the appends of the same event-loop turn are gathered; under load groups form
   * anyway while the previous group syncs, so a delay only adds latency.
   */
  groupCommitMaxDelayMs?: number;
  /** Size/age retention of closed segments. Default: keep everything. */
  retention?: RetentionOptions;
  /**
   * fdatasync every group before acknowledging it. Default true. `false` acknowledges after the
   * write only (data survives a process crash, not a power loss): for tests and throwaway data.
   */
  fsync?: boolean;
  /** @internal Replaces the writer's file operations; tests use it to inject disk errors. */
  fileOps?: Partial<WriterFileOps>;
}

const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;
const MAX_GROUP_BYTES = 8 * 1024 * 1024;
const DEFAULT_RETENTION_INTERVAL_MS = 60_000;
/** The directory lock: JSON holder (pid, hostname, …), see `@parley/dir-lock`. */
const LOCK_FILE = 'LOCK';

/**
 * Opens (creating if needed) the embedded file log in `dir`: one partition (0) stored as
 * append-only segment files with CRC-framed records, group-committed with fdatasync, per-group
 * durable offsets, size/age retention, and an exclusive directory lock.
 *
 * Recovers from any crash on open (see recovery.ts). Throws an AppError with code `log_locked` if
 * another process (or another open in this process) holds the directory.
 */
export async function openFileLog(options: FileLogOptions): Promise<TelemetryLog> {
  const settings = validate(options);
  const log = options.log.child({ component: 'file-log', dir: options.dir });
  await mkdir(options.dir, { recursive: true });
  const lock = await lockDir(options.dir, {
    fileName: LOCK_FILE,
    errorCode: LogErrorCode.locked,
    purpose: 'file log',
    why: 'Two writers on one segment would interleave records and corrupt the log.',
    log,
  });
  let activeFile: FileHandle | null = null;
  try {
    const recovered = await recoverLog(options.dir, log);
    activeFile = recovered.activeFile;
    const offsets = await OffsetStore.open(join(options.dir, 'offsets'), log);
    await rewindOffsetsBeyondEnd(offsets, recovered.nextOffset, log);
    const fileLog = new FileLog(options, settings, log, lock, recovered.segments, offsets);
    fileLog.start(recovered.activeFile, recovered.nextOffset);
    log.info(
      { nextOffset: recovered.nextOffset.toString(), earliestOffset: recovered.segments[0]!.base.toString(), segments: recovered.segments.length },
      'file log opened',
    );
    await fileLog.runRetention();
    return fileLog;
  } catch (err) {
    await activeFile?.close().catch(() => undefined);
    await lock.release();
    throw err;
  }
}

/**
 * A committed offset past the end of the log means records the group saw were lost — possible
 * only with `fsync: false` and a power loss (with fsync, consumers only ever see synced records).
 * Left alone, the group would silently skip the new records that reuse those offsets, so it is
 * moved back to the end of the log, loudly.
 */
async function rewindOffsetsBeyondEnd(offsets: OffsetStore, nextOffset: bigint, log: Logger): Promise<void> {
  for (const [group, committed] of offsets.entries()) {
    if (committed <= nextOffset) continue;
    log.error(
      { group, committed: committed.toString(), nextOffset: nextOffset.toString() },
      'consumer group committed past the end of the log (records were lost, was fsync off?); rewinding it to the end',
    );
    await offsets.commit(group, nextOffset);
  }
}

interface Settings {
  segmentBytes: number;
  groupCommitMaxDelayMs: number;
  retention: RetentionOptions;
  fsync: boolean;
}

function validate(o: FileLogOptions): Settings {
  const problems: string[] = [];
  const positive = (name: string, v: number | undefined, min: number): void => {
    if (v !== undefined && (!Number.isFinite(v) || v < min)) problems.push(`${name} must be a number ≥ ${min} (got ${v})`);
  };
  if (typeof o.dir !== 'string' || o.dir.length === 0) problems.push('dir must be a non-empty path');
  positive('segmentBytes', o.segmentBytes, 1024);
  positive('groupCommitMaxDelayMs', o.groupCommitMaxDelayMs, 0);
  positive('retention.maxBytes', o.retention?.maxBytes, 0);
  positive('retention.maxAgeMs', o.retention?.maxAgeMs, 0);
  positive('retention.checkIntervalMs', o.retention?.checkIntervalMs, 1);
  if (problems.length > 0) throw invalidOptionsError(`invalid file log options: ${problems.join('; ')}`);
  return Object.freeze({
    segmentBytes: o.segmentBytes ?? DEFAULT_SEGMENT_BYTES,
    groupCommitMaxDelayMs: o.groupCommitMaxDelayMs ?? 0,
    retention: Object.freeze({ ...o.retention }),
    fsync: o.fsync ?? true,
  });
}

class FileLog implements TelemetryLog {
  private readonly segments: SegmentSet;
  private readonly notifier = new AppendNotifier();
  private readonly committer: GroupCommitter;
  private writer!: SegmentWriter;
  private readonly consumers = new Map<string, { consumer: GroupConsumer; startOffset: bigint }>();
  private retentionTimer: NodeJS.Timeout | null = null;
  private retentionRun: Promise<void> | null = null;
  private retentionRerun = false;
  private lastHeldBack = '';
  private closing: Promise<void> | null = null;

  constructor(
    private readonly options: FileLogOptions,
    private readonly settings: Settings,
    private readonly log: Logger,
    private readonly lock: DirLock,
    segments: SegmentMeta[],
    private readonly offsets: OffsetStore,
  ) {
    this.segments = new SegmentSet(segments);
    this.committer = new GroupCommitter({
      write: async (framed, bytes) => {
        const first = await this.writer.writeGroup(framed, bytes);
        this.notifier.notify();
        return first;
      },
      maxGroupBytes: Math.min(MAX_GROUP_BYTES, settings.segmentBytes),
      maxDelayMs: settings.groupCommitMaxDelayMs,
    });
  }

  start(activeFile: FileHandle, nextOffset: bigint): void {
    this.writer = new SegmentWriter({
      dir: this.options.dir,
      segments: this.segments,
      activeFile,
      nextOffset,
      segmentBytes: this.settings.segmentBytes,
      fsync: this.settings.fsync,
      ops: { ...defaultFileOps, ...this.options.fileOps },
      log: this.log,
      onRoll: () => void this.runRetention(),
    });
    const r = this.settings.retention;
    if (r.maxBytes !== undefined || r.maxAgeMs !== undefined) {
      this.retentionTimer = setInterval(() => void this.runRetention(), r.checkIntervalMs ?? DEFAULT_RETENTION_INTERVAL_MS);
      // Retention must never keep a process alive that is otherwise done.
      this.retentionTimer.unref();
    }
  }

  async append(records: AppendRecord[]): Promise<AppendResult[]> {
    if (this.closing) throw closedError(this.options.dir);
    if (this.writer.failedWith !== null) throw failedStateError(this.options.dir, this.writer.failedWith);
    if (records.length === 0) return [];
    const now = Date.now();
    const framed: Buffer[] = new Array<Buffer>(records.length);
    let bytes = 0;
    for (let i = 0; i < records.length; i++) {
      const f = encodeRecord(records[i]!, now);
      framed[i] = f;
      bytes += f.length;
    }
    const first = await this.committer.submit(framed, bytes);
    const results: AppendResult[] = new Array<AppendResult>(records.length);
    for (let i = 0; i < records.length; i++) results[i] = { partition: 0, offset: first + BigInt(i) };
    return results;
  }

  async consume(options: ConsumeOptions): Promise<LogConsumer> {
    if (this.closing) throw closedError(this.options.dir);
    assertGroupName(options.group);
    if (!Number.isInteger(options.maxBatchRecords) || options.maxBatchRecords < 1) {
      throw invalidOptionsError('maxBatchRecords must be an integer ≥ 1');
    }
    if (!Number.isFinite(options.maxBatchWaitMs) || options.maxBatchWaitMs < 0) {
      throw invalidOptionsError('maxBatchWaitMs must be a number ≥ 0');
    }
    if (typeof options.handler !== 'function') throw invalidOptionsError('handler must be a function');
    if (this.consumers.has(options.group)) {
      // One partition can only be read by one member of a group; a second would double-deliver.
      throw invalidOptionsError(`consumer group '${options.group}' is already consuming this log; stop it first`);
    }
    const startOffset = this.maxOffset(this.offsets.get(options.group), this.segments.earliestOffset);
    const log = this.log.child({ group: options.group });
    const cursor = new LogCursor(this.segments, startOffset, log);
    const consumer = new GroupConsumer(options, { cursor, notifier: this.notifier, offsets: this.offsets, log }, () => {
      if (this.consumers.get(options.group)?.consumer === consumer) this.consumers.delete(options.group);
    });
    this.consumers.set(options.group, { consumer, startOffset });
    log.info({ startOffset: startOffset.toString() }, 'consumer started');
    return consumer;
  }

  async lag(group: string): Promise<ConsumerLag> {
    assertGroupName(group);
    const committed = this.maxOffset(this.offsets.get(group), this.segments.earliestOffset);
    const lag = this.writer.nextOffset - committed;
    return { group, lag: lag > 0n ? lag : 0n };
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    // Appends accepted before close() complete (durably or with their error), none are dropped.
    await this.committer.drain();
    await Promise.all([...this.consumers.values()].map(({ consumer }) => consumer.stop()));
    while (this.retentionRun) await this.retentionRun;
    await this.writer.close().catch((err: unknown) => this.log.warn({ err }, 'closing the active segment failed'));
    await this.lock.release();
    this.log.info({ nextOffset: this.writer.nextOffset.toString() }, 'file log closed');
  }

  /**
   * Applies the retention policy (on open, after each roll and on the timer). Runs are serialised;
   * a request during a run schedules one more run.
   */
  runRetention(): Promise<void> {
    if (this.retentionRun) {
      this.retentionRerun = true;
      return this.retentionRun;
    }
    this.retentionRun = (async () => {
      do {
        this.retentionRerun = false;
        await this.retainOnce().catch((err: unknown) => this.log.error({ err }, 'log retention failed'));
      } while (this.retentionRerun && !this.closing);
      this.retentionRun = null;
    })();
    return this.retentionRun;
  }

  private async retainOnce(): Promise<void> {
    const policy = this.settings.retention;
    const groups = this.offsets.entries();
    for (const [group, { startOffset }] of this.consumers) {
      if (!groups.has(group)) groups.set(group, startOffset);
    }
    const all = this.segments.all();
    const plan = planRetention(all, groups, policy, Date.now());

    if (plan.heldBack) {
      const key = `${plan.heldBack.base}:${plan.heldBack.groups.join(',')}`;
      if (key !== this.lastHeldBack) {
        this.log.warn(
          { segmentBase: plan.heldBack.base.toString(), groups: plan.heldBack.groups, reason: plan.heldBack.reason, totalBytes: this.segments.totalBytes() },
          'retention held back: consumer groups have not read these records yet (set retention.deleteUnconsumed to allow deleting them)',
        );
      }
      this.lastHeldBack = key;
    } else {
      this.lastHeldBack = '';
    }
    if (plan.skippedGroups.length > 0) {
      this.log.warn({ groups: plan.skippedGroups }, 'retention deletes records these consumer groups have not read (deleteUnconsumed is on)');
    }

    for (const base of plan.delete) {
      // Remove from the set first so no new reader picks it; open readers keep their handle.
      const segment = this.segments.shift();
      if (segment.base !== base) throw new Error('retention plan out of step with the segment set');
      try {
        await unlink(segment.path);
      } catch (err) {
        if (!hasErrnoCode(err, 'ENOENT')) throw err;
      }
      this.log.info({ segment: segment.path, bytes: segment.size, reason: 'retention' }, 'deleted log segment');
    }
    if (plan.delete.length > 0) await fsyncDir(this.options.dir);
  }

  private maxOffset(a: bigint | undefined, b: bigint): bigint {
    return a !== undefined && a > b ? a : b;
  }
}
