/**
 * Throw-away PostgreSQL databases for tests (`@parley/registry/postgres-testing`, tests only).
 * Tests need a real server; when none answers they fail with how to start one, never skip.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describeError } from '@parley/errors';

/** The server's maintenance database, used to create and drop test databases. */
export const TEST_POSTGRES_ADMIN_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const START_HINT =
  'The PostgreSQL tests need a server (trust auth, user postgres). Start the local one with ' +
  '`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`, ' +
  'or point PARLEY_TEST_POSTGRES_URL at another server\'s maintenance database.';

/** A database of its own for one test file; `drop()` removes it, closing whatever is still connected. */
export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_ADMIN_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    const target = new URL(TEST_POSTGRES_ADMIN_URL);
    target.password = '';
    throw new Error(`No PostgreSQL at ${target.toString()} (${describeError(err) || String((err as { code?: unknown }).code)}). ${START_HINT}`, { cause: err });
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates `parley_test_<pid>_<random>` (empty, no schema) and returns its URL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `parley_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}
