import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

function run(cmd: string, args: string[]): { ok: boolean; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
  return { ok: r.status === 0, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/**
 * Debian's Chromium at /usr/bin/chromium, installed with apt-get when missing (a fresh machine has
 * none; the tests never download a browser build of their own).
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const steps: [string, string[]][] = [
    ['apt-get', ['update']],
    ['apt-get', ['install', '-y', 'chromium']],
  ];
  for (const [cmd, args] of steps) {
    const r = run(cmd, args);
    if (!r.ok) {
      throw new Error(
        `The browser tests need Debian's Chromium at ${CHROMIUM}, and installing it failed at \`${cmd} ${args.join(' ')}\` ` +
          `(run it as root, or install the package "chromium" yourself):\n${r.output.slice(-2000)}`,
      );
    }
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed "chromium" but ${CHROMIUM} is still missing.`);
}

/** Headless Chromium driven by playwright-core. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}
