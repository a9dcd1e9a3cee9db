/**
 * Group commit: gathers the framed records of many concurrent `append` calls and hands them to
 * `write` as one group (one writev + one fdatasync in the file log), then settles every call of
 * the group together. The broker appends one record per MQTT publish, so without this each
 * publish would pay for its own fdatasync (≈ 2 ms here: ≤ 500 publishes/s).
 *
 * Groups form naturally: while one group is being written and synced, new calls queue up and
 * become the next group. Only when the writer is idle does a new call wait — `maxDelayMs`, or
 * until the current I/O phase of the event loop ends (setImmediate) when 0 — so that the calls
 * arriving from many sockets in the same tick share one sync.
 */
export interface GroupCommitOptions {
  /** Writes a group durably and returns the offset given to its first record; throws if not durable. */
  write: (framed: Buffer[], bytes: number) => Promise<bigint>;
  /** Upper bound on the bytes of one group (a single larger call still forms a group of its own). */
  maxGroupBytes: number;
  /** How long an append arriving at an idle writer waits for company. 0 = until the next event-loop turn. */
  maxDelayMs: number;
}

interface PendingAppend {
  framed: Buffer[];
  bytes: number;
  resolve: (firstOffset: bigint) => void;
  reject: (err: unknown) => void;
}

export class GroupCommitter {
  private queue: PendingAppend[] = [];
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | NodeJS.Immediate | null = null;
  private wakeScheduled: (() => void) | null = null;

  constructor(private readonly options: GroupCommitOptions) {}

  /** Queues one append call; resolves with the offset of its first record once the group is durable. */
  submit(framed: Buffer[], bytes: number): Promise<bigint> {
    return new Promise<bigint>((resolve, reject) => {
      this.queue.push({ framed, bytes, resolve, reject });
      if (!this.running) this.schedule();
    });
  }

  /** Number of append calls waiting for their group. */
  get pending(): number {
    return this.queue.length;
  }

  /** Writes everything queued now (skipping any gathering delay) and resolves when it is settled. */
  async drain(): Promise<void> {
    this.wakeScheduled?.();
    while (this.running) await this.running;
  }

  private schedule(): void {
    // The run starts after the delay; `running` is set right away so later calls just queue.
    this.running = new Promise<void>((resolve) => {
      const start = (): void => {
        if (this.wakeScheduled === null) return;
        this.wakeScheduled = null;
        if (this.options.maxDelayMs > 0) clearTimeout(this.timer as NodeJS.Timeout);
        else clearImmediate(this.timer as NodeJS.Immediate);
        this.timer = null;
        void this.run().then(resolve);
      };
      this.wakeScheduled = start;
      this.timer = this.options.maxDelayMs > 0 ? setTimeout(start, this.options.maxDelayMs) : setImmediate(start);
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const group = this.takeGroup();
      let framed: Buffer[];
      let bytes = 0;
      if (group.length === 1) {
        framed = group[0]!.framed;
        bytes = group[0]!.bytes;
      } else {
        framed = [];
        for (const p of group) {
          for (const b of p.framed) framed.push(b);
          bytes += p.bytes;
        }
      }
      try {
        let next = await this.options.write(framed, bytes);
        for (const p of group) {
          p.resolve(next);
          next += BigInt(p.framed.length);
        }
      } catch (err) {
        for (const p of group) p.reject(err);
      }
    }
    this.running = null;
  }

  private takeGroup(): PendingAppend[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length) {
      const next = this.queue[n]!.bytes;
      if (n > 0 && bytes + next > this.options.maxGroupBytes) break;
      bytes += next;
      n++;
    }
    return this.queue.splice(0, n);
  }
}
