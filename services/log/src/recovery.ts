import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@parley/logger';
import { fsyncDir } from './fs-util';
import { listSegmentFiles, scanSegment, segmentFileName, type SegmentFileInfo } from './segment-files';
import type { SegmentMeta } from './segment-set';

export interface RecoveredLog {
  /** Oldest first; the last is the active segment. */
  segments: SegmentMeta[];
  /** Open (r+) handle on the active segment. */
  activeFile: FileHandle;
  nextOffset: bigint;
}

/**
 * Brings a log directory back to a consistent state after any kind of shutdown, including kill -9
 * and power loss in the middle of a write or a roll.
 *
 * Only the newest segment can have a torn tail: every group is fdatasync'd before the next one is
 * written, and a segment is complete before the next one is created. So the newest segment is
 * scanned record by record (length, CRC, contiguous offsets) and cut at the first record that fails;
 * offsets continue after the last good record. If that leaves the newest segment empty, it is the
 * trace of a crash during a roll (the file was created, its first group never made it) and is
 * removed, so appends continue in the previous segment and no offset gap appears.
 */
export async function recoverLog(dir: string, log: Logger): Promise<RecoveredLog> {
  let files = await listSegmentFiles(dir);
  if (files.length === 0) {
    const path = join(dir, segmentFileName(0n));
    const fh = await open(path, 'wx+');
    await fsyncDir(dir);
    return { segments: [meta({ base: 0n, path, size: 0, mtimeMs: Date.now() })], activeFile: fh, nextOffset: 0n };
  }

  // Empty segments before the newest hold nothing and would only confuse offset lookups.
  const empty = files.slice(0, -1).filter((f) => f.size === 0);
  for (const f of empty) {
    await unlink(f.path);
    log.warn({ segment: f.path }, 'removed an empty segment that was not the newest');
  }
  if (empty.length > 0) {
    files = files.filter((f) => !empty.includes(f));
    await fsyncDir(dir);
  }

  for (;;) {
    const last = files[files.length - 1]!;
    const scan = await scanSegment(last.path, last.base);
    if (scan.stopReason !== null || scan.validBytes < scan.fileSize) {
      const fh = await open(last.path, 'r+');
      try {
        await fh.truncate(scan.validBytes);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      log.warn(
        { segment: last.path, cutBytes: scan.fileSize - scan.validBytes, keptRecords: scan.records, reason: scan.stopReason, nextOffset: scan.nextOffset.toString() },
        `cut ${scan.fileSize - scan.validBytes} byte(s) of torn or corrupt tail from the newest log segment`,
      );
    }
    if (scan.validBytes === 0 && files.length > 1) {
      await unlink(last.path);
      await fsyncDir(dir);
      log.warn({ segment: last.path }, 'removed an empty newest segment left by an interrupted segment roll');
      files = files.slice(0, -1);
      continue;
    }
    const activeFile = await open(last.path, 'r+');
    const segments = files.slice(0, -1).map((f) => meta(f));
    segments.push({ ...meta(last), size: scan.validBytes, index: scan.index });
    return { segments, activeFile, nextOffset: scan.nextOffset };
  }
}

function meta(f: Pick<SegmentFileInfo, 'base' | 'path' | 'size' | 'mtimeMs'>): SegmentMeta {
  return { base: f.base, path: f.path, size: f.size, mtimeMs: f.mtimeMs, index: null, deleted: false };
}
