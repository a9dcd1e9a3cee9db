import type { Logger } from '@parley/logger';

/**
 * What a composition opened, closed in reverse order; a failing close is logged and the rest still
 * close. Used both for a normal stop and for a start that failed half-way.
 */
export class Closers {
  private readonly list: (() => Promise<void>)[] = [];

  constructor(private readonly logger: Logger) {}

  push(close: () => Promise<void>): void {
    this.list.push(close);
  }

  async closeAll(): Promise<void> {
    for (const close of this.list.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        this.logger.error({ err }, 'error while shutting down');
      }
    }
  }
}
