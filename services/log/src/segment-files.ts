import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRecord } from './record-codec';
import { SparseIndex } from './sparse-index';

/**
 * Segment files are named by the offset of their first record, zero-padded to 20 digits (the
 * width of u64) so that a plain directory listing sorts them in offset order, as in Kafka.
 */
export const SEGMENT_SUFFIX = '.log';
const NAME_PATTERN = /^(\d{20})\.log$/;

export function segmentFileName(base: bigint): string {
  return `${base.toString().padStart(20, '0')}${SEGMENT_SUFFIX}`;
}

export function parseSegmentFileName(name: string): bigint | null {
  const m = NAME_PATTERN.exec(name);
  return m ? BigInt(m[1]!) : null;
}

export interface SegmentFileInfo {
  base: bigint;
  path: string;
  size: number;
  mtimeMs: number;
}

/** The segment files in `dir`, oldest (lowest base offset) first. Other files are ignored. */
export async function listSegmentFiles(dir: string): Promise<SegmentFileInfo[]> {
  const out: SegmentFileInfo[] = [];
  for (const name of await readdir(dir)) {
    const base = parseSegmentFileName(name);
    if (base === null) continue;
    const path = join(dir, name);
    const st = await stat(path);
    out.push({ base, path, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
}

export interface SegmentScan {
  /** Bytes from the start of the file that hold complete, verified, contiguous records. */
  validBytes: number;
  fileSize: number;
  /** Offset the next record appended to this segment gets. */
  nextOffset: bigint;
  records: number;
  /** Why the scan stopped before the end of the file (null when the whole file was valid). */
  stopReason: string | null;
  /** Timestamp of the last valid record (null when none). */
  lastTimestamp: number | null;
  index: SparseIndex;
}

const SCAN_CHUNK_BYTES = 1024 * 1024;

/**
 * Verifies a segment from its start: every record must be complete, pass its CRC and carry the
 * next expected offset (the segment's base for the first one). The scan stops at the first record
 * that fails any of these; everything from there on is a torn or corrupt tail. Reads whole chunks,
 * not one syscall per record.
 */
export async function scanSegment(path: string, base: bigint): Promise<SegmentScan> {
  const fh = await open(path, 'r');
  try {
    const fileSize = (await fh.stat()).size;
    const index = new SparseIndex();
    let position = 0;
    let nextOffset = base;
    let records = 0;
    let lastTimestamp: number | null = null;
    let stopReason: string | null = null;
    let chunkSize = SCAN_CHUNK_BYTES;
    while (position < fileSize) {
      const want = Math.min(chunkSize, fileSize - position);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await fh.read(buf, 0, want, position);
      const chunk = buf.subarray(0, bytesRead);
      let p = 0;
      let progressed = false;
      while (p < chunk.length) {
        const r = decodeRecord(chunk, p);
        if (r.kind === 'incomplete') {
          // A record larger than the chunk: read a chunk big enough for it, if the file has it.
          if (r.size !== null && position + p + r.size > fileSize) stopReason = `record at byte ${position + p} runs past the end of the file`;
          else if (r.size === null && position + p + 4 > fileSize) stopReason = `${fileSize - position - p} stray byte(s) at the end of the file`;
          else if (r.size !== null && r.size > chunkSize) chunkSize = r.size;
          break;
        }
        if (r.kind === 'corrupt') {
          stopReason = `${r.reason} at byte ${position + p}`;
          break;
        }
        if (r.record.offset !== nextOffset) {
          stopReason = `record at byte ${position + p} has offset ${r.record.offset}, expected ${nextOffset}`;
          break;
        }
        index.add(nextOffset, position + p);
        nextOffset++;
        records++;
        lastTimestamp = r.record.timestamp;
        p += r.size;
        progressed = true;
      }
      position += p;
      if (stopReason !== null) break;
      if (!progressed && bytesRead < want) {
        stopReason = `short read at byte ${position}`;
        break;
      }
    }
    return { validBytes: position, fileSize, nextOffset, records, stopReason, lastTimestamp, index };
  } finally {
    await fh.close();
  }
}
