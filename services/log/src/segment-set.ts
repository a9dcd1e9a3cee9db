import type { SparseIndex } from './sparse-index';

/**
 * What the process knows about one segment file. Shared (by reference) between the writer, the
 * readers and retention: the writer bumps `size` of the active segment only after the bytes are
 * fdatasync'd, so `size` is always the readable end — readers never see a record that is not durable
 * or one that is half written.
 */
export interface SegmentMeta {
  readonly base: bigint;
  readonly path: string;
  /** Readable bytes: durable bytes of the active segment, the file size of a closed one. */
  size: number;
  /** Last write time, the age used by time-based retention. */
  mtimeMs: number;
  /** Offset → position hints; null for closed segments that were never scanned in this process. */
  index: SparseIndex | null;
  /** Set once retention removed the segment from the set (open readers may finish reading it). */
  deleted: boolean;
}

/** The ordered list of segments of the single partition, oldest first; the last one is active. */
export class SegmentSet {
  private readonly list: SegmentMeta[];

  constructor(segments: SegmentMeta[]) {
    if (segments.length === 0) throw new Error('a segment set needs at least the active segment');
    this.list = segments;
  }

  get active(): SegmentMeta {
    return this.list[this.list.length - 1]!;
  }

  /** All segments, oldest first (a copy: retention mutates the set). */
  all(): SegmentMeta[] {
    return [...this.list];
  }

  /** Lowest offset still retained. */
  get earliestOffset(): bigint {
    return this.list[0]!.base;
  }

  totalBytes(): number {
    let sum = 0;
    for (const s of this.list) sum += s.size;
    return sum;
  }

  /** The segment that holds `offset`: the one with the largest base ≤ offset (undefined if retention removed it). */
  floor(offset: bigint): SegmentMeta | undefined {
    let found: SegmentMeta | undefined;
    for (const s of this.list) {
      if (s.base <= offset) found = s;
      else break;
    }
    return found;
  }

  /** The first segment after the one with base `base` (undefined when `base` is the active one). */
  after(base: bigint): SegmentMeta | undefined {
    return this.list.find((s) => s.base > base);
  }

  /** Makes `segment` the new active segment. */
  push(segment: SegmentMeta): void {
    this.list.push(segment);
  }

  /** Removes the oldest segment (retention); never the active one. */
  shift(): SegmentMeta {
    if (this.list.length < 2) throw new Error('retention must never remove the active segment');
    const s = this.list.shift()!;
    s.deleted = true;
    return s;
  }
}
