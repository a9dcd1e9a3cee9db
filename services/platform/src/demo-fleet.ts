import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@parley/logger';
import type { Registry } from '@parley/registry';

export interface DeviceCredentials {
  id: string;
  secret: string;
  /** The one-time code an owner claims the device with (as printed on its box). */
  claimCode?: string;
  model: string;
  firmware: string;
}

/** The demo fleet: one model of each kind the simulator knows, in turn. */
export const DEMO_MODELS = [
  { model: 'fridge-x1', firmware: '1.4.2' },
  { model: 'washer-w2', firmware: '2.0.1' },
  { model: 'heatpump-h3', firmware: '3.1.0' },
] as const;

export const demoFleetFile = (dataDir: string) => join(dataDir, 'demo-fleet.json');

/**
 * Returns the demo fleet's credentials. On a data dir with no devices it provisions `count` devices
 * and writes their credentials (secrets!) to <data>/demo-fleet.json with mode 0600 — that file is how
 * the simulator authenticates, across restarts.
 */
export async function ensureDemoFleet(registry: Registry, dataDir: string, count: number, log: Logger): Promise<DeviceCredentials[]> {
  const file = demoFleetFile(dataDir);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as DeviceCredentials[];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (count === 0) return [];
  if ((await registry.countDevices()) > 0) {
    log.info('registry has devices but no demo fleet file: not provisioning demo devices');
    return [];
  }
  const fleet: DeviceCredentials[] = [];
  for (let i = 0; i < DEMO_MODELS.length; i++) {
    const { model, firmware } = DEMO_MODELS[i]!;
    const n = Math.floor(count / DEMO_MODELS.length) + (i < count % DEMO_MODELS.length ? 1 : 0);
    if (n === 0) continue;
    const created = await registry.provisionDevices({ model, firmware, count: n });
    fleet.push(...created.map((d) => ({ id: d.id, secret: d.secret, claimCode: d.claimCode, model: d.model, firmware: d.firmware })));
  }
  await writeFile(file, JSON.stringify(fleet, null, 2) + '\n', { mode: 0o600 });
  log.info({ devices: fleet.length, file }, 'demo fleet provisioned');
  return fleet;
}
