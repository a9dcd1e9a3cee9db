import { fileURLToPath } from 'node:url';
import { AppError, describeError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { loadMigrationFiles, migrationFile, type MigrationFile } from '@parley/migration-files';
import type { Sql } from './db';

const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
/** One numbered, forward-only schema change: `migrations/NNN_name.sql`. */
export type Migration = MigrationFile;

/** Builds a {@link Migration} from a file's text. */
export const migration = migrationFile;

/** Reads `NNN_name.sql` files from `dir` (default: this package's `migrations/`), in version order. */
export function loadMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  return loadMigrationFiles(dir, 'registry_migration_invalid');
}

/**
 * Applies the migrations not yet recorded in `schema_migrations`, in version order, all in one
 * transaction: either the schema reaches the newest version or nothing changes. Re-running is a
 * no-op. A recorded migration whose file changed fails with `registry_migration_changed`: applied
 * migrations are never edited, only followed by new ones. Several processes may call this at once
 * against one PostgreSQL (cluster mode); an advisory lock makes them take turns.
 *
 * @returns the versions applied by this call.
 */
export async function migrate(sql: Sql, log: Logger, migrations?: readonly Migration[]): Promise<number[]> {
  const all = [...(migrations ?? (await loadMigrations()))].sort((a, b) => a.version - b.version);
  return sql.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('parley_registry_migrations'))`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number; name: string; checksum: string }>(
      'SELECT version, name, checksum FROM schema_migrations ORDER BY version',
    );
    const applied = new Map(rows.map((r) => [Number(r.version), r]));
    const known = new Set(all.map((m) => m.version));
    const unknown = rows.filter((r) => !known.has(Number(r.version))).map((r) => r.version);
    if (unknown.length > 0) {
      // A newer release migrated this database; forward-only migrations keep older code working.
      log.warn({ versions: unknown }, 'registry schema has migrations this code does not know (newer release?)');
    }
    const done: number[] = [];
    for (const m of all) {
      const seen = applied.get(m.version);
      if (seen) {
        if (seen.checksum !== m.checksum) {
          throw new AppError(
            'registry_migration_changed',
            `Registry migration ${String(m.version).padStart(3, '0')}_${m.name} was changed after it was applied ` +
              `(recorded checksum ${seen.checksum.slice(0, 12)}…, file now ${m.checksum.slice(0, 12)}…). ` +
              'Migrations are forward-only: revert the edit and put the change in a new numbered migration.',
            { context: { version: m.version, name: m.name } },
          );
        }
        continue;
      }
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new AppError('registry_migration_failed', `Registry migration ${String(m.version).padStart(3, '0')}_${m.name} failed (${describeError(err)}); nothing was applied.`, {
          cause: err,
          context: { version: m.version, name: m.name },
        });
      }
      await tx.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [m.version, m.name, m.checksum]);
      done.push(m.version);
    }
    if (done.length > 0) log.info({ versions: done }, 'registry migrations applied');
    return done;
  });
}
