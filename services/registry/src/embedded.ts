import type { Logger } from '@parley/logger';
import { openPglite } from './db';
import type { Registry } from './registry';
import { createRegistry } from './sql-registry';

/** Options of {@link openEmbeddedRegistry}. */
export interface EmbeddedRegistryOptions {
  /** Directory for the registry's PGlite database (created if missing); omit for in-memory. */
  dataDir?: string | undefined;
  log: Logger;
}

/**
 * The registry of the embedded mode: PGlite in this process, migrated, on `dataDir` (locked against
 * a second process while open) or in memory. A new data dir takes a few seconds (initdb); an existing
 * one well under a second.
 */
export async function openEmbeddedRegistry(options: EmbeddedRegistryOptions): Promise<Registry> {
  const sql = await openPglite({ dataDir: options.dataDir, log: options.log.child({ component: 'registry' }) });
  try {
    return await createRegistry(sql, options.log);
  } catch (err) {
    await sql.close();
    throw err;
  }
}
