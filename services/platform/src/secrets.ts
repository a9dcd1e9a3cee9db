import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Returns the manufacturer token: the configured one, or the one generated on first start and kept
 * (mode 0600) under <data>/secrets so restarts keep working with the same token.
 */
export async function manufacturerToken(dataDir: string, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const dir = join(dataDir, 'secrets');
  const file = join(dir, 'manufacturer-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const token = 'pm_' + randomBytes(24).toString('base64url');
  await writeFile(file, token + '\n', { mode: 0o600, flag: 'wx' });
  return token;
}
