#!/usr/bin/env node
// Builds the web UI (services/web → services/web/dist) when its sources changed since the last
// build, so `npm start` and `npm test` on a fresh clone serve a current UI. Called by
// scripts/bootstrap.mjs after dependencies are installed; `npm run build:web` forces a build.
// Node built-ins only. A warm check (nothing changed) hashes ≈ 40 small files: a few ms.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'services/web');
const dist = join(web, 'dist');
const stampFile = join(dist, '.build-hash');
const INPUTS = ['index.html', 'vite.config.ts', 'package.json', 'tsconfig.json', 'public', 'src'];
// The bundled libraries: a different installed version means a different bundle.
const LIBS = ['vite', 'preact', 'uplot'];
const COMPRESS = /\.(js|css|html|svg|json)$/;

function files(path) {
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((name) => files(join(path, name)));
}

/** Hash of every input file (path and content) and of the bundled libraries' versions. */
export function sourceHash() {
  const h = createHash('sha256');
  for (const f of INPUTS.flatMap((p) => files(join(web, p)))) {
    if (f.endsWith('.test.ts') || f.endsWith('.test.tsx')) continue;
    h.update(relative(web, f)).update('\0').update(readFileSync(f)).update('\0');
  }
  for (const lib of LIBS) {
    const pkg = join(root, 'node_modules', lib, 'package.json');
    h.update(`${lib}@${existsSync(pkg) ? JSON.parse(readFileSync(pkg, 'utf8')).version : 'missing'}\0`);
  }
  return h.digest('hex');
}

function compress(dir) {
  for (const f of files(dir)) {
    if (!COMPRESS.test(f)) continue;
    const body = readFileSync(f);
    if (body.length < 1024) continue;
    writeFileSync(`${f}.gz`, gzipSync(body, { level: 9 }));
    writeFileSync(`${f}.br`, brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  }
}

/**
 * Builds when dist is missing or older than the sources (or `force`). Builds into a temporary
 * directory and swaps it in, so a running API never serves a half-written dist.
 * @returns {{ built: boolean, ms: number }}
 */
export function ensureWebBuilt({ force = false, quiet = false } = {}) {
  const started = Date.now();
  const hash = sourceHash();
  if (!force && existsSync(join(dist, 'index.html')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === hash) {
    return { built: false, ms: Date.now() - started };
  }
  const vite = join(root, 'node_modules/vite/bin/vite.js');
  if (!existsSync(vite)) {
    throw new Error('parley web: vite is not installed; run `npm install` (or `node scripts/bootstrap.mjs`) first.');
  }
  if (!quiet) process.stderr.write('parley web: building the web UI (services/web) …\n');
  const tmp = join(web, `.dist-tmp-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const result = spawnSync(process.execPath, [vite, 'build', '--outDir', tmp, '--emptyOutDir', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' });
  if (result.status !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new Error(`parley web: vite build failed (exit ${result.status}); run \`npm run build:web\` to see why.`);
  }
  compress(tmp);
  writeFileSync(join(tmp, '.build-hash'), hash);
  const old = join(web, `.dist-old-${process.pid}`);
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(tmp, dist);
  rmSync(old, { recursive: true, force: true });
  const ms = Date.now() - started;
  if (!quiet) process.stderr.write(`parley web: built services/web/dist in ${(ms / 1000).toFixed(1)} s\n`);
  return { built: true, ms };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    ensureWebBuilt({ force: process.argv.includes('--force') });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
