import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@parley/errors';

/**
 * Numbered, forward-only schema migrations as files: `migrations/NNN_name.sql`. One loader for
 * every store that keeps its schema this way (the registry on Postgres, the ClickHouse store);
 * each applies them with its own engine's rules.
 */
export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  /** SHA-256 (hex) of the file with line endings normalised, so a CRLF checkout is not a change. */
  checksum: string;
}

const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Builds a {@link MigrationFile} from a file's text. */
export function migrationFile(version: number, name: string, sql: string): MigrationFile {
  const checksum = createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
  return { version, name, sql, checksum };
}

/**
 * Reads the `NNN_name.sql` files of `dir` in version order. A `.sql` file with another name, or
 * two files with one version, fail with `errorCode`: a migration silently skipped would leave a
 * schema behind without anyone noticing.
 */
export async function loadMigrationFiles(dir: string, errorCode: string): Promise<MigrationFile[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const migrations: MigrationFile[] = [];
  for (const file of files) {
    const m = FILE_PATTERN.exec(file);
    if (!m) {
      throw new AppError(errorCode, `Migration file ${join(dir, file)} is not named NNN_name.sql (three digits, lower-case name); rename it.`);
    }
    const version = Number(m[1]);
    if (migrations.some((x) => x.version === version)) {
      throw new AppError(errorCode, `Two migration files in ${dir} have version ${m[1]}; give the newer one the next free number.`);
    }
    migrations.push(migrationFile(version, m[2]!, await readFile(join(dir, file), 'utf8')));
  }
  return migrations;
}
