import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@parley/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from './db';
import { openEmbeddedRegistry } from './embedded';

const log = silentLogger();
let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'parley-registry-embedded-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Runs `openEmbeddedRegistry` on `dataDir` in a separate Node process; resolves to its stdout+stderr and exit code. */
async function openInChild(dataDir: string): Promise<{ code: number | null; output: string }> {
  const embedded = fileURLToPath(new URL('./embedded.ts', import.meta.url));
  const logger = fileURLToPath(new URL('../../../packages/logger/src/index.ts', import.meta.url));
  const code = `
    const { openEmbeddedRegistry } = await import(${JSON.stringify(embedded)});
    const { silentLogger } = await import(${JSON.stringify(logger)});
    try {
      const r = await openEmbeddedRegistry({ dataDir: ${JSON.stringify(dataDir)}, log: silentLogger() });
      console.log('opened', await r.countDevices());
      await r.close();
    } catch (err) {
      console.log(err.code, err.message);
      process.exitCode = 3;
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const [exitCode] = (await once(child, 'exit')) as [number | null];
  return { code: exitCode, output };
}

describe('openEmbeddedRegistry', () => {
  it('creates a new data dir, migrates it, and locks it while open', async () => {
    const dataDir = join(root, 'new', 'registry');
    const registry = await openEmbeddedRegistry({ dataDir, log });
    expect(await readdir(dataDir)).toEqual(expect.arrayContaining(['PG_VERSION', LOCK_FILE_NAME]));
    await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 3 });
    await registry.close();
    expect(await readdir(dataDir)).not.toContain(LOCK_FILE_NAME);

    const again = await openEmbeddedRegistry({ dataDir, log });
    expect(await again.countDevices()).toBe(3);
    await again.close();
  });

  it('refuses to open a data dir that is already open in this process', async () => {
    const dataDir = join(root, 'twice');
    const registry = await openEmbeddedRegistry({ dataDir, log });
    await expect(openEmbeddedRegistry({ dataDir, log })).rejects.toMatchObject({ code: 'registry_data_dir_locked', context: { pid: process.pid } });
    expect(await registry.countDevices()).toBe(0); // the first one is unharmed
    await registry.close();
  });

  it('refuses to open a data dir another process has open, and opens it once that process is done', async () => {
    const dataDir = join(root, 'shared');
    const registry = await openEmbeddedRegistry({ dataDir, log });
    await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 2 });
    const refused = await openInChild(dataDir);
    expect(refused.code).toBe(3);
    expect(refused.output).toContain('registry_data_dir_locked');
    expect(refused.output).toContain(`Cannot lock ${dataDir} for the registry (PGlite): it is locked by process ${process.pid}`);
    await registry.close();

    const opened = await openInChild(dataDir);
    expect(opened.output).toContain('opened 2');
    expect(opened.code).toBe(0);
  });

  it('turns database failures into a registry_unavailable DependencyError', async () => {
    const registry = await openEmbeddedRegistry({ log });
    await registry.close();
    await expect(registry.countDevices()).rejects.toMatchObject({ code: 'registry_unavailable', retryable: true, status: 503 });
  });
});
