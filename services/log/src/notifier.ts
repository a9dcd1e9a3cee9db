/**
 * Wakes consumers waiting for new records. The embedded log runs the writer and the consumers in
 * one process, so an in-process signal replaces polling the disk. The version counter closes the
 * race between "read found nothing" and "start waiting": a waiter passes the version it saw before
 * reading and returns at once if an append landed in between.
 */
export class AppendNotifier {
  private version = 0;
  private waiters = new Set<() => void>();

  get current(): number {
    return this.version;
  }

  notify(): void {
    this.version++;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /**
   * Resolves when the version moves past `seenVersion`, after `timeoutMs` (if given), or when
   * `signal` aborts, whichever comes first.
   */
  wait(seenVersion: number, signal: AbortSignal, timeoutMs?: number): Promise<void> {
    if (this.version !== seenVersion || signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.waiters.delete(done);
        resolve();
      };
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(done, Math.max(0, timeoutMs));
    });
  }
}
