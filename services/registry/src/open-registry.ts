import type { Logger } from '@parley/logger';
import { openEmbeddedRegistry } from './embedded';
import { openPostgres } from './postgres';
import type { Registry } from './registry';
import { createRegistry } from './sql-registry';

/** Options of {@link openPostgresRegistry}. */
export interface PostgresRegistryOptions {
  /** `postgres://user[:password]@host[:port]/database`. */
  databaseUrl: string;
  log: Logger;
  /** Connections this process keeps open at most; default 10. */
  poolSize?: number | undefined;
}

/**
 * The registry of the cluster mode: PostgreSQL through a `pg` pool, migrated on open. Any number
 * of processes may open it at once (migrations take turns under an advisory lock).
 */
export async function openPostgresRegistry(options: PostgresRegistryOptions): Promise<Registry> {
  const sql = await openPostgres({ url: options.databaseUrl, log: options.log.child({ component: 'registry' }), poolSize: options.poolSize });
  try {
    return await createRegistry(sql, options.log);
  } catch (err) {
    await sql.close();
    throw err;
  }
}

/** Options of {@link openRegistry}: the mode follows from whether a database URL is set. */
export interface OpenRegistryOptions {
  /** PostgreSQL URL (cluster mode). When set, `dataDir` is not used. */
  databaseUrl?: string | undefined;
  /** Directory of the embedded PGlite database when no URL is set; omit for in-memory. */
  dataDir?: string | undefined;
  /** Pool size for PostgreSQL; default 10. */
  poolSize?: number | undefined;
  log: Logger;
}

/**
 * Opens the registry the configuration asks for: PostgreSQL when `databaseUrl` is set, otherwise
 * the embedded PGlite on `dataDir`. Both run the same migrations and pass the same contract suite.
 */
export function openRegistry(options: OpenRegistryOptions): Promise<Registry> {
  return options.databaseUrl
    ? openPostgresRegistry({ databaseUrl: options.databaseUrl, log: options.log, poolSize: options.poolSize })
    : openEmbeddedRegistry({ dataDir: options.dataDir, log: options.log });
}
