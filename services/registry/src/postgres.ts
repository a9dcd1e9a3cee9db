import pg from 'pg';
import { AppError, DependencyError, describeError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import type { Sql } from './db';

/** Options of {@link openPostgres}. */
export interface PostgresOptions {
  /** `postgres://user[:password]@host[:port]/database[?sslmode=…]`; the password never appears in errors or logs. */
  url: string;
  /** Receives pool errors (a connection dropped while idle) as warnings. */
  log: Logger;
  /** Connections kept open at most; default 10. Each registry process holds its own pool. */
  poolSize?: number | undefined;
  /** How long to wait for a connection (new or from a busy pool) before failing; default 10 s. */
  connectTimeoutMs?: number | undefined;
}

// OIDs of the built-in types whose `pg` parsing differs from PGlite's (see `pgliteCompatibleTypes`).
const INT8 = 20;
const INT8_ARRAY = 1016;
const TEXT_ARRAY = 1009;
const DATE = 1082;
const DATE_ARRAY = 1182;
const INTERVAL = 1186;
const INTERVAL_ARRAY = 1187;

/** PGlite's int8: a number while it is exact, a bigint beyond 2^53. */
function parseInt8(text: string): number | bigint {
  const n = BigInt(text);
  return n < Number.MIN_SAFE_INTEGER || n > Number.MAX_SAFE_INTEGER ? n : Number(n);
}

/** PGlite's date: `new Date('YYYY-MM-DD')` is UTC midnight (pg would use local midnight). */
function parseDate(text: string): Date | number {
  return text === 'infinity' ? Infinity : text === '-infinity' ? -Infinity : new Date(text);
}

type Nested<T> = T | null | Nested<T>[];

function mapArray<T>(value: Nested<string>, parse: (text: string) => T): Nested<T> {
  if (value === null) return null;
  return Array.isArray(value) ? value.map((v) => mapArray(v, parse)) : parse(value);
}

/**
 * Result parsing made identical to PGlite's for the types where `pg`'s defaults differ, so code
 * tested on one backend reads the same values on the other: int8 (and `count(*)`) as a number,
 * `date` at UTC midnight, `interval` as text. `bytea` stays a `Buffer`, which is a `Uint8Array`.
 */
function pgliteCompatibleTypes(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  // @types/pg types the OID as an enum of scalar types only; text[] is a built-in all the same.
  const getTypeParser = pg.types.getTypeParser as (oid: number, format: 'text') => (text: string) => Nested<string>;
  const textArray = getTypeParser(TEXT_ARRAY, 'text');
  const withArray = (oid: number, arrayOid: number, parse: (text: string) => unknown): void => {
    types.setTypeParser(oid, 'text', parse);
    types.setTypeParser(arrayOid, 'text', (text: string) => mapArray(textArray(text), parse));
  };
  withArray(INT8, INT8_ARRAY, parseInt8);
  withArray(DATE, DATE_ARRAY, parseDate);
  withArray(INTERVAL, INTERVAL_ARRAY, (text) => text);
  return types;
}

/**
 * `url` without its password (`postgres://user@host:5432/db`), for messages and logs. Throws
 * `registry_database_url_invalid` when it is not a `postgres://` or `postgresql://` URL.
 */
export function describePostgresUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'postgres:' && parsed?.protocol !== 'postgresql:') {
    // Do not echo the value: a mistyped URL may still carry a password.
    throw new AppError(
      'registry_database_url_invalid',
      'The registry database URL is not a PostgreSQL URL; expected postgres://user[:password]@host[:port]/database.',
    );
  }
  parsed.password = '';
  // `password` and `sslpassword` may also come as query parameters.
  for (const key of [...parsed.searchParams.keys()]) if (/password/i.test(key)) parsed.searchParams.delete(key);
  return parsed.toString();
}

/** Connection-level failures: what to do depends on which one it is. */
function connectAdvice(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'Nothing accepts connections there: start PostgreSQL (or fix the host and port in the URL).';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'The host name does not resolve: fix the host in the URL.';
    case '3D000':
      return 'The database does not exist: create it (e.g. `createdb`) or fix the database name in the URL.';
    case '28P01':
    case '28000':
      return 'PostgreSQL refused the login: check the user and password in the URL and pg_hba.conf.';
    case '57P03':
      return 'PostgreSQL is starting up or shutting down: try again shortly.';
    default:
      return 'Check that PostgreSQL runs and the URL is right.';
  }
}

/** The registry is unusable without its database: fail with where and what to do. */
function unavailable(target: string, err: unknown): DependencyError {
  return new DependencyError(
    'registry_unavailable',
    `Cannot connect to the registry database at ${target} (${describeError(err)}). ${connectAdvice(err)}`,
    { cause: err, context: { database: target } },
  );
}

/**
 * Opens a `pg` pool on PostgreSQL behind the {@link Sql} seam (cluster mode) and checks that it
 * answers. Several processes may share one database: migrations take an advisory lock.
 * Fails with `registry_unavailable` naming the URL (without password) when it cannot connect.
 */
export async function openPostgres(options: PostgresOptions): Promise<Sql> {
  const target = describePostgresUrl(options.url);
  const log = options.log.child({ database: target });
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'parley-registry',
    types: pgliteCompatibleTypes(),
  });
  // Without a listener, a server restart killing an idle connection would crash the process.
  pool.on('error', (err) => log.warn({ err: describeError(err) }, 'registry database connection lost; the pool reconnects on demand'));
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => {});
    throw unavailable(target, err);
  }
  return poolSql(pool);
}

function poolSql(pool: pg.Pool): Sql {
  let closing: Promise<void> | undefined;
  return {
    async query<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
      return (await pool.query(text, params as unknown[] | undefined)).rows as T[];
    },
    async exec(text: string): Promise<void> {
      // No parameters: pg uses the simple protocol, which runs several statements.
      await pool.query(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(clientSql(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        // After a failed COMMIT the server has already rolled back; ROLLBACK then only warns.
        await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
          // The connection is in an unknown state (dropped mid-transaction): never pool it again.
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
        throw err;
      } finally {
        client.release(broken);
      }
    },
    close(): Promise<void> {
      closing ??= pool.end();
      return closing;
    },
  };
}

/** One checked-out connection inside a transaction; nested transactions are savepoints. */
function clientSql(client: pg.PoolClient): Sql {
  let savepoints = 0;
  const self: Sql = {
    async query<T>(text: string, params?: readonly unknown[]): Promise<T[]> {
      return (await client.query(text, params as unknown[] | undefined)).rows as T[];
    },
    async exec(text: string): Promise<void> {
      await client.query(text);
    },
    async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const name = `sp_${++savepoints}`;
      await client.query(`SAVEPOINT ${name}`);
      try {
        const result = await fn(self);
        await client.query(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (err) {
        await client.query(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
        throw err;
      }
    },
    close(): Promise<void> {
      return Promise.reject(new Error('close() called on a transaction handle; close the Sql that opened the transaction instead.'));
    },
  };
  return self;
}
