#!/usr/bin/env node
// Installs missing dependencies before `npm start` / `npm test` on a fresh clone.
// Node built-ins only: this runs before anything is installed.
// It compares the lockfile with what is in node_modules and runs `npm ci` only when they differ,
// so a warm checkout pays a few milliseconds.
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Returns the first lockfile entry whose installed copy is missing or of another version. */
function firstMismatch() {
  const lockPath = join(root, 'package-lock.json');
  if (!existsSync(lockPath)) return 'package-lock.json is missing';
  const lock = readJson(lockPath);
  for (const [path, entry] of Object.entries(lock.packages ?? {})) {
    if (path === '' || !path.includes('node_modules/')) continue;
    if (entry.optional && !existsSync(join(root, path))) continue; // other platforms' binaries
    if (entry.link) {
      if (!existsSync(join(root, path))) return `${path} (workspace link)`;
      continue;
    }
    const pkgJson = join(root, path, 'package.json');
    if (!existsSync(pkgJson)) return path;
    if (entry.version && readJson(pkgJson).version !== entry.version) return `${path} (version)`;
  }
  return null;
}

const mismatch = firstMismatch();
if (mismatch) {
  const hasLock = existsSync(join(root, 'package-lock.json'));
  const args = hasLock ? ['ci', '--no-audit', '--no-fund'] : ['install', '--no-audit', '--no-fund'];
  process.stderr.write(`parley bootstrap: dependencies are not installed (${mismatch}); running npm ${args[0]} …\n`);
  const started = Date.now();
  const result = spawnSync('npm', args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(
      `parley bootstrap: npm ${args[0]} failed (exit ${result.status}). ` +
        'Check that the npm registry is reachable and Node >= 20.19 is installed, then re-run.\n',
    );
    process.exit(result.status ?? 1);
  }
  process.stderr.write(`parley bootstrap: dependencies installed in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

// The web UI that the API serves: rebuilt only when services/web changed (a few ms otherwise).
const { ensureWebBuilt } = await import('./build-web.mjs');
try {
  ensureWebBuilt();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
