/** Millisecond-resolution histogram of latencies up to `maxMs` (larger ones land in the last bucket). */
export class LatencyHistogram {
  private readonly counts: Uint32Array;
  private n = 0;

  constructor(private readonly maxMs = 600_000) {
    this.counts = new Uint32Array(maxMs + 1);
  }

  record(ms: number): void {
    this.counts[Math.min(this.maxMs, Math.max(0, Math.round(ms)))]!++;
    this.n++;
  }

  get count(): number {
    return this.n;
  }

  /** The smallest latency at or below which `q` of the recorded values lie; null when empty. */
  quantile(q: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.ceil(q * this.n);
    let seen = 0;
    for (let ms = 0; ms < this.counts.length; ms++) {
      seen += this.counts[ms]!;
      if (seen >= rank) return ms;
    }
    return this.maxMs;
  }
}
