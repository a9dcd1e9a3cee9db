import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { silentLogger } from '@parley/logger';
import { afterAll, beforeAll } from 'vitest';
import { describeRegistry, TRUNCATE_ALL_SQL } from './contract';
import { openPglite, pgliteSql } from './db';
import { openEmbeddedRegistry } from './embedded';
import type { Registry } from './registry';
import { createRegistry } from './sql-registry';

const log = silentLogger();
let root: string;
let memoryTemplate: Blob;
let dataDir: string;

// initdb costs 2–3 s per database: each in-memory test gets its own fresh database, but loaded from
// a migrated template (a PGlite dump) instead of running initdb again.
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'parley-registry-contract-'));
  const db = await PGlite.create();
  const registry = await createRegistry(pgliteSql(db), log);
  memoryTemplate = await db.dumpDataDir('none');
  await registry.close();

  dataDir = join(root, 'registry');
  await (await openEmbeddedRegistry({ dataDir, log })).close();
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describeRegistry('PGlite in memory', async () => {
  const registry = await createRegistry(pgliteSql(await PGlite.create({ loadDataDir: memoryTemplate })), log);
  return { registry, cleanup: () => registry.close() };
});

// One data dir for the suite, emptied at the start of each test: every test then also exercises
// opening an existing data dir (and its lock), which is the common case in production.
describeRegistry('PGlite on a data dir', async () => {
  const sql = await openPglite({ dataDir });
  await sql.exec(TRUNCATE_ALL_SQL);
  const opened: Registry[] = [await createRegistry(sql, log)];
  return {
    registry: opened[0]!,
    async reopen() {
      opened.push(await openEmbeddedRegistry({ dataDir, log }));
      return opened[opened.length - 1]!;
    },
    async cleanup() {
      for (const r of opened) await r.close();
    },
  };
});
