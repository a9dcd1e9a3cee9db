import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test helpers that depend on no Parley service (so every service can use them without a cycle).
 * The in-process platform fixture is `@parley/platform/testing`.
 */
export async function tempDir(prefix = 'parley-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export { waitFor } from './wait-for';
export { connectDevice, publishAndWait, type DeviceConnection } from './device-client';
export { spawnPlatform, type SpawnedPlatform } from './spawn-platform';
export { testUplink, testUplinkBytes } from './uplinks';
