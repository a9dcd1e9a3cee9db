/**
 * Ingest-to-queryable latency: from the broker's receive time to the moment the insert that made
 * the message queryable returned. A fixed ring of recent values keeps percentiles cheap and
 * representative of "now" rather than of the whole run.
 */
export class LatencyWindow {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(size = 65_536) {
    this.values = new Float64Array(size);
  }

  add(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % this.values.length;
    if (this.filled < this.values.length) this.filled++;
  }

  /** Percentiles (0–100) of the values in the window; null when empty. */
  percentiles(ps: readonly number[]): (number | null)[] {
    if (this.filled === 0) return ps.map(() => null);
    const sorted = Array.from(this.values.subarray(0, this.filled)).sort((a, b) => a - b);
    return ps.map((p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!);
  }

  reset(): void {
    this.next = 0;
    this.filled = 0;
  }
}
