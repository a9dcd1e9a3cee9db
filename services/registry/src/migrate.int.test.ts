import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { silentLogger } from '@parley/logger';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pgliteSql, type Sql } from './db';
import { loadMigrations, migrate, migration } from './migrate';

const log = silentLogger();
let sql: Sql;

beforeAll(async () => {
  sql = pgliteSql(await PGlite.create());
});
afterAll(async () => {
  await sql.close();
});
beforeEach(async () => {
  await sql.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
});

const tables = async (): Promise<string[]> =>
  (await sql.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).map((r) => r.t);

describe('registry migrations', () => {
  it('ships numbered migration files next to the package, starting with 001_devices', async () => {
    const files = await readdir(new URL('../migrations/', import.meta.url));
    expect(files).toContain('001_devices.sql');
    const ms = await loadMigrations();
    expect(ms[0]).toMatchObject({ version: 1, name: 'devices' });
    expect(ms.map((m) => m.version)).toEqual([...ms.map((m) => m.version)].sort((a, b) => a - b));
  });

  it('applies pending migrations in order and records them', async () => {
    const applied = await migrate(sql, log);
    expect(applied).toEqual((await loadMigrations()).map((m) => m.version));
    expect(await tables()).toEqual(expect.arrayContaining(['devices', 'ownership_periods', 'grants', 'access_log', 'schema_migrations']));
    const rows = await sql.query<{ version: number; name: string; checksum: string }>('SELECT version, name, checksum FROM schema_migrations');
    expect(rows[0]).toMatchObject({ version: 1, name: 'devices', checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('is a no-op when run again', async () => {
    await migrate(sql, log);
    expect(await migrate(sql, log)).toEqual([]);
    expect(await migrate(sql, log)).toEqual([]);
  });

  it('applies only the new migrations on a later release', async () => {
    const m1 = migration(1, 'a', 'CREATE TABLE a (x int);');
    const m2 = migration(2, 'b', 'CREATE TABLE b (x int);');
    expect(await migrate(sql, log, [m1])).toEqual([1]);
    expect(await migrate(sql, log, [m2, m1])).toEqual([2]);
    expect(await tables()).toEqual(['a', 'b', 'schema_migrations']);
  });

  it('fails clearly when an applied migration was edited', async () => {
    await migrate(sql, log, [migration(1, 'a', 'CREATE TABLE a (x int);')]);
    await expect(migrate(sql, log, [migration(1, 'a', 'CREATE TABLE a (x bigint);')])).rejects.toMatchObject({
      code: 'registry_migration_changed',
      message: expect.stringMatching(/001_a was changed after it was applied.*new numbered migration/),
    });
  });

  it('does not count a CRLF checkout as an edit', async () => {
    await migrate(sql, log, [migration(1, 'a', 'CREATE TABLE a (x int);\n')]);
    expect(await migrate(sql, log, [migration(1, 'a', 'CREATE TABLE a (x int);\r\n')])).toEqual([]);
  });

  it('applies nothing when one pending migration fails', async () => {
    const good = migration(1, 'a', 'CREATE TABLE a (x int);');
    const bad = migration(2, 'b', 'CREATE TABLE b (x int); SELECT no_such_function();');
    await expect(migrate(sql, log, [good, bad])).rejects.toMatchObject({ code: 'registry_migration_failed', message: expect.stringContaining('002_b') });
    expect(await tables()).toEqual([]);
  });

  it('tolerates migrations recorded by a newer release', async () => {
    await migrate(sql, log, [migration(1, 'a', 'CREATE TABLE a (x int);'), migration(2, 'b', 'CREATE TABLE b (x int);')]);
    expect(await migrate(sql, log, [migration(1, 'a', 'CREATE TABLE a (x int);')])).toEqual([]);
  });

  describe('loading files', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'parley-migrations-'));
      return () => rm(dir, { recursive: true, force: true });
    });

    it('reads NNN_name.sql files in version order and ignores other files', async () => {
      await writeFile(join(dir, '002_second.sql'), 'SELECT 2;');
      await writeFile(join(dir, '001_first.sql'), 'SELECT 1;');
      await writeFile(join(dir, 'README.md'), 'not a migration');
      expect((await loadMigrations(dir + '/')).map((m) => [m.version, m.name])).toEqual([
        [1, 'first'],
        [2, 'second'],
      ]);
    });

    it('rejects a misnamed or duplicate-numbered file', async () => {
      await writeFile(join(dir, '1_first.sql'), 'SELECT 1;');
      await expect(loadMigrations(dir)).rejects.toMatchObject({ code: 'registry_migration_invalid' });
      await rm(join(dir, '1_first.sql'));
      await writeFile(join(dir, '001_a.sql'), 'SELECT 1;');
      await writeFile(join(dir, '001_b.sql'), 'SELECT 1;');
      await expect(loadMigrations(dir)).rejects.toMatchObject({ code: 'registry_migration_invalid', message: expect.stringContaining('version 001') });
    });
  });
});
