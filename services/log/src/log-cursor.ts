import { open, type FileHandle } from 'node:fs/promises';
import type { Logger } from '@parley/logger';
import { corruptRecordError, ioError } from './errors';
import { hasErrnoCode } from './fs-util';
import { decodeRecord, peekFrame } from './record-codec';
import type { SegmentMeta, SegmentSet } from './segment-set';
import type { LogRecord } from './telemetry-log';

const READ_CHUNK_BYTES = 1024 * 1024;

/**
 * A reader's position in the log: which segment, which byte, which offset comes next. Reads whole
 * chunks (up to 1 MiB, never past the segment's readable end) and decodes records out of them, so a
 * batch of thousands of small records costs one or two syscalls. Records returned share the chunk's
 * memory (`value` is a view), which is why every chunk is a fresh Buffer.
 */
export class LogCursor {
  private segment: SegmentMeta | null = null;
  private fh: FileHandle | null = null;
  private buf: Buffer = Buffer.alloc(0);
  /** File position of buf[0]. */
  private bufFilePos = 0;
  private bufPos = 0;
  private next: bigint;

  constructor(
    private readonly segments: SegmentSet,
    startOffset: bigint,
    private readonly log: Logger,
  ) {
    this.next = startOffset;
  }

  /** Offset of the next record this cursor will return. */
  get nextOffset(): bigint {
    return this.next;
  }

  /**
   * Returns up to `max` records available now (possibly none). Throws only if it could not return
   * any record; an error after some records were read is raised by the next call instead, so the
   * cursor never skips a record it failed to hand out.
   */
  async read(max: number): Promise<LogRecord[]> {
    const out: LogRecord[] = [];
    try {
      await this.readInto(out, max);
    } catch (err) {
      if (out.length === 0) throw err;
    }
    return out;
  }

  async close(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    this.segment = null;
    if (fh) await fh.close().catch(() => undefined);
  }

  private async readInto(out: LogRecord[], max: number): Promise<void> {
    if (this.segment === null && !(await this.position())) return;
    for (;;) {
      const segment = this.segment!;
      let needed = 0;
      while (out.length < max && this.bufPos < this.buf.length) {
        const frame = peekFrame(this.buf, this.bufPos);
        if (frame !== null && frame.offset < this.next) {
          // Below the start offset (positioning inside a segment): skip without decoding.
          this.bufPos += frame.size;
          continue;
        }
        const r = decodeRecord(this.buf, this.bufPos);
        if (r.kind === 'incomplete') {
          needed = r.size ?? 0;
          break;
        }
        if (r.kind === 'corrupt') throw corruptRecordError(segment.path, this.bufFilePos + this.bufPos, r.reason);
        out.push(r.record);
        this.next = r.record.offset + 1n;
        this.bufPos += r.size;
      }
      if (out.length >= max) return;

      const filePos = this.bufFilePos + this.bufPos;
      const readable = segment.size - filePos;
      if (readable > 0) {
        if (needed > readable) {
          // Readable ends are always record boundaries, so a record cannot straddle one.
          throw corruptRecordError(segment.path, filePos, `record of ${needed} bytes runs past the segment's end`);
        }
        await this.fill(filePos, Math.min(readable, Math.max(READ_CHUNK_BYTES, needed)));
        continue;
      }
      if (needed > 0 || this.bufPos < this.buf.length) {
        throw corruptRecordError(segment.path, filePos, 'incomplete record at the end of the segment');
      }
      // At the readable end: wait for more (active segment) or move on to the next segment.
      const nextSegment = this.segments.after(segment.base);
      if (nextSegment === undefined) return;
      if (nextSegment.base > this.next) {
        this.log.warn({ from: this.next.toString(), to: nextSegment.base.toString() }, 'offsets missing between segments; skipping ahead');
        this.next = nextSegment.base;
      }
      await this.openSegment(nextSegment, 0);
    }
  }

  /** Finds and opens the segment holding `next`. Returns false if the log has nothing there yet. */
  private async position(): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      let segment = this.segments.floor(this.next);
      if (segment === undefined) {
        // Retention removed the records this cursor wanted: continue from the oldest retained.
        const earliest = this.segments.earliestOffset;
        this.log.warn({ wanted: this.next.toString(), earliest: earliest.toString() }, 'records were deleted by retention before they were read; skipping ahead');
        this.next = earliest;
        segment = this.segments.floor(earliest)!;
      }
      try {
        await this.openSegment(segment, segment.index?.floor(this.next) ?? 0);
        return true;
      } catch (err) {
        // Deleted by retention between lookup and open: look again.
        if (hasErrnoCode(err, 'ENOENT') && attempt < 3) continue;
        throw ioError('opening a segment for reading', err, { segment: segment.path });
      }
    }
  }

  private async openSegment(segment: SegmentMeta, position: number): Promise<void> {
    const fh = await open(segment.path, 'r');
    if (this.fh) await this.fh.close().catch(() => undefined);
    this.fh = fh;
    this.segment = segment;
    this.buf = Buffer.alloc(0);
    this.bufFilePos = position;
    this.bufPos = 0;
  }

  private async fill(filePos: number, length: number): Promise<void> {
    const buf = Buffer.allocUnsafe(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await this.fh!.read(buf, got, length - got, filePos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < length) {
      // The file is shorter than the bytes the log knows are durable in it: someone truncated it.
      throw corruptRecordError(this.segment!.path, filePos + got, `segment file ends ${length - got} byte(s) before its known end`);
    }
    this.buf = buf;
    this.bufFilePos = filePos;
    this.bufPos = 0;
  }
}
