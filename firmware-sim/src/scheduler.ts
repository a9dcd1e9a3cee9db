/** Something run periodically by the {@link Scheduler}. */
export interface PeriodicTask {
  /** Current period in ms; read after every run, so it may change (config `report_interval_s`). */
  readonly intervalMs: number;
  /**
   * Runs once. `nowMs` is when the run was due (at most the current time): with coarse ticks a task
   * due several times in one tick still gets evenly spaced times instead of one bunched timestamp.
   */
  run(nowMs: number): void;
}

interface Entry {
  task: PeriodicTask;
  due: number;
  index: number;
}

/** Scheduler tuning. */
export interface SchedulerOptions {
  /**
   * Shortest sleep between ticks, ms. Default 5. Waking less often batches each device's messages
   * into fewer socket writes (MQTT.js corks a socket until the next tick), at the cost of up to this
   * much timing jitter, which telemetry does not notice.
   */
  minSleepMs?: number;
  /** Runs per tick before yielding to I/O (PUBACKs must get in). Default 2000. */
  maxRunsPerTick?: number;
  /** A task more than this late is rescheduled from now instead of bursting to catch up. Default 1000. */
  maxLagMs?: number;
  /** Called when a task throws; the scheduler keeps going. */
  onError?: (error: unknown) => void;
  /** Clock, for tests. */
  now?: () => number;
}

/**
 * One timer for a whole fleet: a binary min-heap of tasks by due time. A timer per device would cost
 * a libuv timer and a callback per message; here a tick runs every task that is due.
 */
export class Scheduler {
  private readonly heap: Entry[] = [];
  private readonly entries = new Map<PeriodicTask, Entry>();
  private readonly minSleepMs: number;
  private readonly maxRunsPerTick: number;
  private readonly maxLagMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private running = false;
  private readonly onTimer = (): void => this.tick();

  constructor(options: SchedulerOptions = {}) {
    this.minSleepMs = options.minSleepMs ?? 5;
    this.maxRunsPerTick = options.maxRunsPerTick ?? 2000;
    this.maxLagMs = options.maxLagMs ?? 1000;
    this.onError = options.onError ?? (() => {});
    this.now = options.now ?? Date.now;
  }

  /** Number of scheduled tasks. */
  get size(): number {
    return this.heap.length;
  }

  /** Schedules `task` to run first at `firstDueMs` (default: one interval from now). */
  add(task: PeriodicTask, firstDueMs = this.now() + task.intervalMs): void {
    if (this.entries.has(task)) throw new Error('task already scheduled');
    const entry: Entry = { task, due: firstDueMs, index: this.heap.length };
    this.entries.set(task, entry);
    this.heap.push(entry);
    this.up(entry.index);
    this.rearm();
  }

  /** Moves a task's next run, e.g. after its interval changed. */
  reschedule(task: PeriodicTask, dueMs: number): void {
    const entry = this.entries.get(task);
    if (!entry) return;
    entry.due = dueMs;
    this.down(this.up(entry.index));
    this.rearm();
  }

  /** Removes a task. */
  remove(task: PeriodicTask): void {
    const entry = this.entries.get(task);
    if (!entry) return;
    this.entries.delete(task);
    const last = this.heap.pop()!;
    if (last !== entry) {
      this.heap[entry.index] = last;
      last.index = entry.index;
      this.down(this.up(last.index));
    }
  }

  /** Starts ticking. */
  start(): void {
    this.running = true;
    this.rearm();
  }

  /** Stops ticking; tasks stay registered. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Runs every due task once (and again while still due), up to the per-tick limit. Public for tests. */
  tick(): void {
    this.timer = undefined;
    this.immediate = undefined;
    const now = this.now();
    let runs = 0;
    while (this.heap.length > 0 && runs < this.maxRunsPerTick) {
      const top = this.heap[0]!;
      if (top.due > now) break;
      try {
        top.task.run(Math.max(top.due, now - this.maxLagMs));
      } catch (error) {
        this.onError(error);
      }
      runs++;
      // The task may have removed itself.
      if (this.heap[0] !== top) continue;
      let due = top.due + top.task.intervalMs;
      if (due < now - this.maxLagMs) due = now;
      top.due = due;
      this.down(0);
    }
    if (!this.running) return;
    if (runs >= this.maxRunsPerTick) this.immediate = setImmediate(this.onTimer);
    else this.rearm();
  }

  private rearm(): void {
    if (!this.running || this.immediate) return;
    const top = this.heap[0];
    if (!top) return;
    const now = this.now();
    const at = Math.max(now + this.minSleepMs, top.due);
    // Keep a timer that fires early enough; adding 1000 devices must not churn 1000 timers.
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(this.onTimer, at - now);
  }

  private up(i: number): number {
    const heap = this.heap;
    const entry = heap[i]!;
    while (i > 0) {
      const parentIndex = (i - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (parent.due <= entry.due) break;
      heap[i] = parent;
      parent.index = i;
      i = parentIndex;
    }
    heap[i] = entry;
    entry.index = i;
    return i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const entry = heap[i];
    if (!entry) return;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && heap[r]!.due < heap[l]!.due ? r : l;
      const c = heap[child]!;
      if (c.due >= entry.due) break;
      heap[i] = c;
      c.index = i;
      i = child;
    }
    heap[i] = entry;
    entry.index = i;
  }
}
