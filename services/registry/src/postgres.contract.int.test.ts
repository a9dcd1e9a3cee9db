import { silentLogger } from '@parley/logger';
import { afterAll, beforeAll } from 'vitest';
import { describeRegistry } from './contract';
import type { Sql } from './db';
import { openPostgresRegistry } from './open-registry';
import { openPostgres } from './postgres';
import { createTestDatabase, type TestDatabase } from './postgres-testing';
import type { Registry } from './registry';
import { createRegistry } from './sql-registry';
import { migrate } from './migrate';

const log = silentLogger();
let db: TestDatabase;
let admin: Sql;

// One database for this file, migrated once; each test starts from emptied tables (every table but
// schema_migrations, so tables added by later migrations are covered without touching this file).
beforeAll(async () => {
  db = await createTestDatabase();
  admin = await openPostgres({ url: db.url, log, poolSize: 1 });
  await migrate(admin, log);
});

afterAll(async () => {
  await admin?.close();
  await db?.drop();
});

const EMPTY_ALL_TABLES = `DO $$
DECLARE tables text;
BEGIN
  SELECT string_agg(format('%I', tablename), ', ') INTO tables
    FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations';
  IF tables IS NOT NULL THEN
    EXECUTE 'TRUNCATE ' || tables || ' RESTART IDENTITY CASCADE';
  END IF;
END $$`;

describeRegistry('PostgreSQL', async () => {
  await admin.exec(EMPTY_ALL_TABLES);
  const opened: Registry[] = [await createRegistry(await openPostgres({ url: db.url, log, poolSize: 4 }), log)];
  return {
    registry: opened[0]!,
    async reopen() {
      opened.push(await openPostgresRegistry({ databaseUrl: db.url, log, poolSize: 4 }));
      return opened[opened.length - 1]!;
    },
    async cleanup() {
      for (const r of opened) await r.close();
    },
  };
});
