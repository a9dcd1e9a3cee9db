import { readFile } from 'node:fs/promises';
import type { FleetDeviceSpec } from './fleet.js';

/**
 * Reads a credentials file: a JSON array of `{ id, secret, model, firmware? }` as the registry's
 * provisioning writes it. Throws one error listing every malformed entry (secrets never quoted).
 */
export async function loadCredentials(path: string): Promise<FleetDeviceSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read --devices file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new Error(`--devices file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(data)) throw new Error(`--devices file ${path} must hold a JSON array of { id, secret, model, firmware }`);
  const problems: string[] = [];
  const specs: FleetDeviceSpec[] = [];
  data.forEach((entry: unknown, i) => {
    const e = entry as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null) return problems.push(`[${i}] is not an object`);
    const missing = ['id', 'secret', 'model'].filter((k) => typeof e[k] !== 'string' || e[k] === '');
    if (missing.length > 0) return problems.push(`[${i}] lacks ${missing.join(', ')}`);
    if (e.firmware !== undefined && typeof e.firmware !== 'string') return problems.push(`[${i}].firmware is not a string`);
    specs.push({ id: e.id as string, secret: e.secret as string, model: e.model as string, firmware: e.firmware as string | undefined });
  });
  if (problems.length > 0) throw new Error(`--devices file ${path} has invalid entries:\n  - ${problems.slice(0, 20).join('\n  - ')}`);
  return specs;
}
