import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import type { DeliveryTarget, DestinationKind, Registry } from '@parley/registry';
import { destinationHost } from '@parley/registry';
import { asFailure, type Sender } from './senders/sender';

export interface DispatcherOptions {
  /** Destinations served at once by this process. */
  concurrency: number;
  /** Records per attempt (one webhook request, or that many MQTT publishes). */
  batchRecords: number;
  /** Attempts per record before it becomes a dead letter. */
  maxAttempts: number;
  /** First retry delay; doubles per attempt up to `retryMaxMs`. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long a destination is leased to this process per turn. */
  leaseMs: number;
  /** How often to look for due destinations when nothing woke the dispatcher. */
  pollMs: number;
}

export interface DispatcherStats {
  sentRecords: number;
  sentBatches: number;
  failedAttempts: number;
  deadLettered: number;
}

/** Delay before attempt `attempts + 1`, after `attempts` failures. */
export function retryDelayMs(attempts: number, o: Pick<DispatcherOptions, 'retryBaseMs' | 'retryMaxMs'>): number {
  return Math.min(o.retryMaxMs, o.retryBaseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Drains the per-destination queues. Each turn leases due destinations (one process at a time per
 * destination, across the cluster), then per destination sends the oldest pending records, one
 * batch after another, until the queue is empty, an attempt fails, or half the lease is used up.
 * A failed attempt stops that destination until its backoff is over — the records behind it wait,
 * so per-device order holds — while the other destinations carry on: one dead receiver holds up
 * only its own queue.
 */
export class Dispatcher {
  readonly stats: DispatcherStats = { sentRecords: 0, sentBatches: 0, failedAttempts: 0, deadLettered: 0 };
  private readonly workerId = `dlv-${randomBytes(6).toString('hex')}`;
  private readonly active = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();
  private wakeUp: (() => void) | null = null;
  private readonly done: Promise<void>;

  constructor(
    private readonly registry: Registry,
    private readonly senders: Record<DestinationKind, Sender>,
    private readonly options: DispatcherOptions,
    private readonly log: Logger,
  ) {
    this.done = this.loop().catch((err: unknown) => log.error({ err }, 'delivery dispatcher crashed'));
  }

  /** Something was queued: look now rather than at the next poll. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops leasing new turns; `done` settles when the attempts in flight have (close the senders to cut them short). */
  halt(): Promise<void> {
    this.abort.abort();
    this.wake();
    return this.done;
  }

  private get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const free = this.options.concurrency - this.active.size;
      if (free > 0) {
        try {
          for (const target of await this.registry.outbox.claim(this.workerId, this.options.leaseMs, free)) {
            if (this.active.has(target.id)) continue;
            this.active.set(
              target.id,
              this.serve(target).finally(() => {
                this.active.delete(target.id);
                this.wake();
              }),
            );
          }
        } catch (err) {
          this.log.error({ err }, 'could not lease destinations; retrying');
        }
      }
      const woken = new Promise<void>((resolve) => (this.wakeUp = resolve));
      await Promise.race([woken, sleep(this.options.pollMs, undefined, { signal: this.abort.signal }).catch(() => undefined)]);
      this.wakeUp = null;
    }
    await Promise.all(this.active.values());
  }

  private async serve(target: DeliveryTarget): Promise<void> {
    const log = this.log.child({ destination: target.id, kind: target.kind, host: destinationHost(target.url) });
    const turnEnds = Date.now() + this.options.leaseMs / 2;
    try {
      while (!this.stopped && Date.now() < turnEnds) {
        const items = await this.registry.outbox.head(target.id, this.options.batchRecords);
        if (items.length === 0) return;
        const ids = items.map((i) => i.id);
        try {
          await this.senders[target.kind].send(target, items);
        } catch (err) {
          // An attempt cut short by a stop is not the destination's failure: the records simply stay queued.
          if (this.stopped) return;
          const failure = asFailure(err);
          // The head record has the most attempts: it decides the backoff and whether the batch dies.
          const attempts = items[0]!.attempts + 1;
          const dies = !failure.retryable || attempts >= this.options.maxAttempts;
          const retryAt = new Date(Date.now() + (dies ? 0 : retryDelayMs(attempts, this.options)));
          const dead = await this.registry.outbox.failed(target.id, ids, { error: describeError(failure), permanent: !failure.retryable, maxAttempts: this.options.maxAttempts, retryAt });
          this.stats.failedAttempts++;
          this.stats.deadLettered += dead;
          log.warn({ attempts, records: items.length, deadLettered: dead, retryAt, reason: describeError(failure) }, 'delivery attempt failed');
          return;
        }
        await this.registry.outbox.delivered(target, ids);
        this.stats.sentRecords += items.length;
        this.stats.sentBatches++;
        log.debug({ records: items.length }, 'delivered');
      }
    } catch (err) {
      log.error({ err }, 'delivery turn failed; the destination is retried at the next turn');
    } finally {
      await this.registry.outbox.release(target.id, this.workerId).catch((err: unknown) => log.warn({ err }, 'could not release the destination lease'));
    }
  }
}
