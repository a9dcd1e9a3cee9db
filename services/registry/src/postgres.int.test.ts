import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { silentLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgliteSql, type Sql } from './db';
import { loadMigrations, migrate, migration } from './migrate';
import { openRegistry } from './open-registry';
import { describePostgresUrl, openPostgres } from './postgres';
import { describeSqlSeam } from './sql-seam.contract';
import { createTestDatabase, TEST_POSTGRES_ADMIN_URL, type TestDatabase } from './postgres-testing';

const log = silentLogger();
let db: TestDatabase;
let sql: Sql;

beforeAll(async () => {
  db = await createTestDatabase();
  sql = await openPostgres({ url: db.url, log });
});
afterAll(async () => {
  await sql?.close();
  await db?.drop();
});

/** A port on loopback where nothing listens (bound once by us, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describeSqlSeam('PostgreSQL', () => openPostgres({ url: db.url, log }), () => {
  it('returns the connection to the pool after every transaction, committed or not', async () => {
    const one = await openPostgres({ url: db.url, log, poolSize: 1 });
    try {
      for (let i = 0; i < 3; i++) {
        await one.transaction((tx) => tx.query('SELECT 1'));
        await expect(one.transaction(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
      }
      expect(await one.query<{ x: number }>('SELECT 1 AS x')).toEqual([{ x: 1 }]);
    } finally {
      await one.close();
    }
  });
});

describe('PostgreSQL results read like PGlite results', () => {
  const QUERY = `SELECT 3::int8 AS i8, 9007199254740993::int8 AS big, count(*) AS n, ARRAY[1, 2]::int8[] AS i8s,
    '\\x0102'::bytea AS bytes, '2024-01-02'::date AS day, '2024-01-02 03:04:05+00'::timestamptz AS at,
    '1 day'::interval AS span, 1.5::numeric AS dec, '{"a":1}'::jsonb AS doc, ARRAY['a', NULL] AS texts, NULL::int8 AS nothing`;

  it('returns int8, count(*), bytea, date, timestamptz, interval, numeric, jsonb and arrays as PGlite does', async () => {
    const lite = pgliteSql(await PGlite.create());
    try {
      const [fromPg] = await sql.query<Record<string, unknown>>(QUERY);
      const [fromLite] = await lite.query<Record<string, unknown>>(QUERY);
      expect(fromPg!.bytes).toBeInstanceOf(Uint8Array);
      // Compare bytes by value: pg gives a Buffer (a Uint8Array subclass), PGlite a plain Uint8Array.
      const plain = (row: Record<string, unknown>) => ({ ...row, bytes: [...(row.bytes as Uint8Array)] });
      expect(plain(fromPg!)).toEqual(plain(fromLite!));
      expect(fromPg).toMatchObject({ i8: 3, big: 9007199254740993n, n: 1, i8s: [1, 2], day: new Date('2024-01-02T00:00:00Z'), span: '1 day', dec: '1.5' });
    } finally {
      await lite.close();
    }
  });
});

describe('PostgreSQL migrations', () => {
  it('lets two processes migrate one fresh database at once: one applies, the other waits and finds nothing to do', async () => {
    const fresh = await createTestDatabase();
    const a = await openPostgres({ url: fresh.url, log });
    const b = await openPostgres({ url: fresh.url, log });
    try {
      // The real migrations plus a slow one, so the two calls surely overlap.
      const all = [...(await loadMigrations()), migration(900, 'slow', 'CREATE TABLE slow (x int); SELECT pg_sleep(0.3);')];
      const [ranA, ranB] = await Promise.all([migrate(a, log, all), migrate(b, log, all)]);
      const applied = [ranA, ranB].sort((x, y) => y.length - x.length);
      expect(applied[0]).toEqual(all.map((m) => m.version));
      expect(applied[1]).toEqual([]);
      const recorded = await a.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(recorded.map((r) => r.version)).toEqual(all.map((m) => m.version));
    } finally {
      await a.close();
      await b.close();
      await fresh.drop();
    }
  });
});

describe('PostgreSQL connection failures', () => {
  it('fails with registry_unavailable naming the URL without its password, and saying what to do', async () => {
    const port = await closedPort();
    const err = await openPostgres({ url: `postgres://parley:s3cret-pw@127.0.0.1:${port}/registry`, log, connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'registry_unavailable', retryable: true, status: 503 });
    const message = (err as Error).message;
    expect(message).toContain(`postgres://parley@127.0.0.1:${port}/registry`);
    expect(message).toMatch(/start PostgreSQL/);
    expect(message).not.toContain('s3cret-pw');
  });

  it('says to create the database when it does not exist', async () => {
    const url = new URL(TEST_POSTGRES_ADMIN_URL);
    url.pathname = '/parley_no_such_database';
    await expect(openPostgres({ url: url.toString(), log })).rejects.toMatchObject({
      code: 'registry_unavailable',
      message: expect.stringMatching(/does not exist.*create it/),
    });
  });

  it('refuses a URL that is not a PostgreSQL URL without echoing it', async () => {
    const err = await openPostgres({ url: 'mysql://root:hunter2@db/x', log }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'registry_database_url_invalid' });
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('describes a URL without password, also one given as a query parameter', () => {
    expect(describePostgresUrl('postgresql://u:p@h:5433/d?sslmode=require&password=x')).toBe('postgresql://u@h:5433/d?sslmode=require');
  });
});

describe('openRegistry', () => {
  it('opens PostgreSQL when a database URL is given, else the embedded PGlite', async () => {
    const onPostgres = await openRegistry({ databaseUrl: db.url, log });
    const embedded = await openRegistry({ log });
    try {
      const [d] = await onPostgres.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 });
      // The device is in the PostgreSQL database, not in the in-memory PGlite.
      expect((await sql.query<{ id: string }>('SELECT id FROM devices WHERE id = $1', [d!.id])).length).toBe(1);
      expect(await embedded.getDevice(d!.id)).toBeNull();
    } finally {
      await onPostgres.close();
      await embedded.close();
    }
  });
});
