import { mkdir } from 'node:fs/promises';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { lockDir, type DirLock } from '@parley/dir-lock';
import type { Logger } from '@parley/logger';

/** Name of the lock file inside an open PGlite data dir (JSON holder, see `@parley/dir-lock`). */
export const LOCK_FILE_NAME = 'pglite.lock';

/**
 * The registry's whole view of a SQL database: PostgreSQL dialect, `$1…$n` parameters.
 * Implemented by PGlite (embedded) here and by `pg` (cluster) later; the registry and the
 * migrations use nothing else, so both backends run the same SQL.
 */
export interface Sql {
  /**
   * Runs one statement with parameters bound by the driver (never interpolate values into `text`)
   * and returns its rows. `timestamptz` arrives as `Date`, `bytea` as `Uint8Array`; convert
   * `bigint`/`count(*)` with `Number()` (pg returns int8 as a string).
   */
  query<T>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs one or more statements without parameters (migrations, DDL). */
  exec(text: string): Promise<void>;
  /**
   * Runs `fn` in a transaction: committed when `fn` resolves, rolled back when it throws. Inside
   * `fn` use only `tx` (on PGlite the outer handle waits for the transaction and would deadlock)
   * and run its statements one after another. `tx.transaction` nests with a savepoint.
   */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  /** Closes the connection(s) and releases the data dir. Idempotent. */
  close(): Promise<void>;
}

/** Options of {@link openPglite}. */
export interface PgliteOptions {
  /**
   * Directory holding the database; created if missing and locked against a second process for as
   * long as the handle is open. Omit for a throw-away in-memory database.
   */
  dataDir?: string | undefined;
  /** Receives a warning when a stale lock is taken over. */
  log?: Logger;
}

/**
 * Opens PGlite (PostgreSQL compiled to WASM, in this process) behind the {@link Sql} seam.
 * A data dir is locked (`pglite.lock`, see `lockDir` in `@parley/dir-lock`) before PGlite touches
 * it: one PGlite per data dir, ever; a locked one fails with `registry_data_dir_locked`.
 * First open of a new dir runs initdb (seconds); reopening is much faster.
 */
export async function openPglite(options: PgliteOptions = {}): Promise<Sql> {
  // Loaded on demand so the cluster mode (pg) never pulls the WASM engine in.
  const { PGlite } = await import('@electric-sql/pglite');
  if (options.dataDir === undefined) return pgliteSql(await PGlite.create());
  await mkdir(options.dataDir, { recursive: true });
  const lock = await lockDir(options.dataDir, {
    fileName: LOCK_FILE_NAME,
    errorCode: 'registry_data_dir_locked',
    purpose: 'registry (PGlite)',
    why: 'PGlite corrupts a data dir opened by two processes at once.',
    log: options.log,
  });
  try {
    return pgliteSql(await PGlite.create({ dataDir: lock.dir }), lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/**
 * Wraps an open PGlite instance as {@link Sql}; `close()` closes it (and releases `lock`).
 * For callers that build PGlite themselves (extensions, a pre-initialised dump in tests).
 */
export function pgliteSql(db: PGlite, lock?: DirLock): Sql {
  let closing: Promise<void> | undefined;
  return {
    async query<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
      return (await db.query<T>(text, params as unknown[] | undefined)).rows;
    },
    async exec(text: string): Promise<void> {
      await db.exec(text);
    },
    transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      return db.transaction((tx) => fn(txSql(tx)));
    },
    close(): Promise<void> {
      closing ??= (async () => {
        try {
          if (!db.closed) await db.close();
        } finally {
          await lock?.release();
        }
      })();
      return closing;
    },
  };
}

function txSql(tx: Transaction): Sql {
  let savepoints = 0;
  const self: Sql = {
    async query<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
      return (await tx.query<T>(text, params as unknown[] | undefined)).rows;
    },
    async exec(text: string): Promise<void> {
      await tx.exec(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const name = `sp_${++savepoints}`;
      await tx.exec(`SAVEPOINT ${name}`);
      try {
        const result = await fn(self);
        await tx.exec(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (err) {
        await tx.exec(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
        throw err;
      }
    },
    close(): Promise<void> {
      return Promise.reject(new Error('close() called on a transaction handle; close the Sql that opened the transaction instead.'));
    },
  };
  return self;
}
