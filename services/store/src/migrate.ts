import { fileURLToPath } from 'node:url';
import type { ClickHouseClient } from '@clickhouse/client';
import { AppError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { loadMigrationFiles, type MigrationFile } from '@parley/migration-files';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface Migration extends MigrationFile {
  statements: string[];
}

/** Splits a migration file into statements: `;` at the end of a line ends one. Comments are dropped. */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** ClickHouse runs one statement per request, so each file is split into its statements. */
export async function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  return (await loadMigrationFiles(dir, 'store_migration_invalid')).map((m) => ({ ...m, statements: splitStatements(m.sql) }));
}

/**
 * Applies numbered, forward-only migrations that are not yet recorded in `schema_migrations`.
 * An applied migration whose file changed is an error: migrations are never edited, only added.
 */
export async function migrate(client: ClickHouseClient, log: Logger, migrations?: Migration[]): Promise<number[]> {
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS schema_migrations
            (version UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3))
            ENGINE = MergeTree ORDER BY version`,
  });
  const rs = await client.query({ query: 'SELECT version, checksum FROM schema_migrations ORDER BY version', format: 'JSONEachRow' });
  const applied = new Map((await rs.json<{ version: number; checksum: string }>()).map((r) => [Number(r.version), r.checksum]));
  const done: number[] = [];
  for (const m of migrations ?? (await loadMigrations())) {
    const seen = applied.get(m.version);
    if (seen !== undefined) {
      if (seen !== m.checksum) {
        throw new AppError(
          'store_migration_changed',
          `Store migration ${m.version}_${m.name} was changed after it was applied. Migrations are forward-only: revert the edit and add a new numbered migration instead.`,
        );
      }
      continue;
    }
    for (const statement of m.statements) await client.command({ query: statement });
    await client.insert({
      table: 'schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    });
    log.info({ version: m.version, migration: m.name }, 'store migration applied');
    done.push(m.version);
  }
  return done;
}
