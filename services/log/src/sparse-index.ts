/**
 * In-memory map from offset to byte position inside one segment, with one entry per
 * `intervalBytes` of data. A reader that must start at offset X jumps to the nearest entry at or
 * below X and scans forward from there instead of from the start of a 64 MiB segment. It is rebuilt
 * from the data (by the writer and by recovery), so it never needs its own crash consistency.
 */
export class SparseIndex {
  private readonly offsets: bigint[] = [];
  private readonly positions: number[] = [];

  constructor(private readonly intervalBytes = 64 * 1024) {}

  /** Records that the record with `offset` starts at `position`, if far enough from the last entry. */
  add(offset: bigint, position: number): void {
    const last = this.positions[this.positions.length - 1];
    if (last !== undefined && position - last < this.intervalBytes) return;
    this.offsets.push(offset);
    this.positions.push(position);
  }

  /** Drops entries at or past `position` (after the segment was truncated back). */
  truncate(position: number): void {
    while (this.positions.length > 0 && this.positions[this.positions.length - 1]! >= position) {
      this.positions.pop();
      this.offsets.pop();
    }
  }

  /** The byte position of the last indexed record with offset ≤ `offset` (0 when none). */
  floor(offset: bigint): number {
    let lo = 0;
    let hi = this.offsets.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid]! <= offset) {
        found = this.positions[mid]!;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
