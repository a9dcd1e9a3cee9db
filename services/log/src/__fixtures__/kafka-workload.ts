import { setTimeout as sleep } from 'node:timers/promises';
import type { LogConsumer, TelemetryLog } from '../telemetry-log';

/** "partition:offset" */
export type Position = string;

export interface Rejection {
  value: string;
  code: unknown;
  /** How long the rejected append took to settle. */
  ms: number;
}

/**
 * Devices appending one record at a time, like the broker does for QoS1 publishes: each value is
 * `<device>:<seq>` and is appended once — a rejected one is not retried (a device would resend it
 * under the same idempotency key; here it is simply counted).
 */
export class AppendStream {
  /** value → where the log said it was stored, for every append that resolved. */
  readonly acked = new Map<string, Position>();
  readonly rejected: Rejection[] = [];
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(
    private readonly log: TelemetryLog,
    devices: number,
    private readonly pauseMs: number,
  ) {
    this.loops = Array.from({ length: devices }, (_, d) => this.device(`dev-${d}`));
  }

  private async device(key: string): Promise<void> {
    for (let seq = 0; this.running; seq++) {
      const value = `${key}:${seq}`;
      const started = Date.now();
      try {
        const [r] = await this.log.append([{ key, value: Buffer.from(value) }]);
        this.acked.set(value, `${r!.partition}:${r!.offset}`);
      } catch (err) {
        this.rejected.push({ value, code: (err as { code?: unknown }).code, ms: Date.now() - started });
        await sleep(50);
      }
      await sleep(this.pauseMs);
    }
  }

  /** Resolves once `n` more appends were acknowledged than at the call. */
  async ackedMore(n: number, deadlineMs = 30_000): Promise<void> {
    const target = this.acked.size + n;
    await waitFor(() => this.acked.size >= target, `${n} more acknowledged appends`, deadlineMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

/** A consumer group member recording every delivery (duplicates included). */
export class Collector {
  /** position → value, deduplicated by position. */
  readonly seen = new Map<Position, string>();
  deliveries = 0;
  private consumer: LogConsumer | null = null;

  async start(log: TelemetryLog, group: string): Promise<this> {
    this.consumer = await log.consume({
      group,
      maxBatchRecords: 500,
      maxBatchWaitMs: 0,
      handler: async (batch) => {
        for (const r of batch.records) {
          this.seen.set(`${r.partition}:${r.offset}`, r.value.toString());
          this.deliveries++;
        }
      },
    });
    return this;
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}

/**
 * The at-least-once check after deduplication by position: every acknowledged value was consumed
 * (by one of the collectors, members of one group) at the position the append reported, and at no
 * other position. Returns the problems (empty when
 * none), so a failure lists them all.
 */
export function missingOrDuplicated(stream: AppendStream, ...collectors: Collector[]): string[] {
  const problems: string[] = [];
  const positionsByValue = new Map<string, Position[]>();
  const seen = new Map(collectors.flatMap((c) => [...c.seen]));
  for (const [position, value] of seen) positionsByValue.set(value, [...(positionsByValue.get(value) ?? []), position]);
  for (const [value, position] of stream.acked) {
    const at = positionsByValue.get(value) ?? [];
    if (at.length === 0) problems.push(`${value} (acknowledged at ${position}) was never consumed`);
    else if (at.length > 1) problems.push(`${value} is stored at ${at.join(', ')}`);
    else if (at[0] !== position) problems.push(`${value} was acknowledged at ${position} but consumed at ${at[0]}`);
  }
  return problems;
}

/**
 * Per-device order among acknowledged records: within a device (one partition), a later sequence
 * number has a higher offset.
 */
export function orderViolations(stream: AppendStream): string[] {
  const last = new Map<string, { seq: number; offset: bigint; partition: string }>();
  const problems: string[] = [];
  const entries = [...stream.acked].map(([value, position]) => {
    const [device, seq] = value.split(':');
    const [partition, offset] = position.split(':');
    return { device: device!, seq: Number(seq), partition: partition!, offset: BigInt(offset!) };
  });
  entries.sort((a, b) => a.seq - b.seq);
  for (const e of entries) {
    const prev = last.get(e.device);
    if (prev && (prev.partition !== e.partition || prev.offset >= e.offset)) {
      problems.push(`${e.device}:${e.seq} at ${e.partition}:${e.offset} after ${e.device}:${prev.seq} at ${prev.partition}:${prev.offset}`);
    }
    last.set(e.device, e);
  }
  return problems;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
