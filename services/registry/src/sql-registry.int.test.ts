import { PGlite } from '@electric-sql/pglite';
import { silentLogger } from '@parley/logger';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { pgliteSql } from './db';
import * as deviceId from './device-id';
import type { Registry } from './registry';
import { createRegistry } from './sql-registry';

// Lets a test dictate the "random" ids; by default the real generator runs.
vi.mock('./device-id', async (importOriginal) => {
  const original = await importOriginal<typeof import('./device-id')>();
  return { ...original, newDeviceId: vi.fn(original.newDeviceId) };
});
const newDeviceId = vi.mocked(deviceId.newDeviceId);

let template: Blob;
let registry: Registry;

beforeAll(async () => {
  const db = await PGlite.create();
  const r = await createRegistry(pgliteSql(db), silentLogger());
  template = await db.dumpDataDir('none');
  await r.close();
});
beforeEach(async () => {
  registry = await createRegistry(pgliteSql(await PGlite.create({ loadDataDir: template })), silentLogger());
});
afterEach(async () => {
  newDeviceId.mockReset();
  const original = await vi.importActual<typeof import('./device-id')>('./device-id');
  newDeviceId.mockImplementation(original.newDeviceId);
  await registry.close();
});

describe('SQL registry provisioning', () => {
  it('draws a new id when a generated one already exists', async () => {
    const [existing] = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 });
    newDeviceId.mockReturnValueOnce(existing!.id);
    const fresh = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 2 });
    expect(fresh.map((d) => d.id)).not.toContain(existing!.id);
    expect(new Set(fresh.map((d) => d.id)).size).toBe(2);
    expect(await registry.countDevices()).toBe(3);
    for (const d of fresh) expect(await registry.authenticateDevice(d.id, d.secret)).not.toBeNull();
    expect(await registry.authenticateDevice(existing!.id, existing!.secret)).not.toBeNull();
  });

  it('gives up with registry_id_exhausted when ids keep colliding, provisioning nothing', async () => {
    const [existing] = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 });
    newDeviceId.mockReturnValue(existing!.id);
    await expect(registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 })).rejects.toMatchObject({ code: 'registry_id_exhausted' });
    expect(await registry.countDevices()).toBe(1);
  });

  it('is all or nothing: a failing later batch rolls back the earlier ones', async () => {
    const original = await vi.importActual<typeof import('./device-id')>('./device-id');
    let calls = 0;
    newDeviceId.mockImplementation((prefix, random) => (++calls === 2500 ? 'x'.repeat(200) : original.newDeviceId(prefix, random)));
    await expect(registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 3000 })).rejects.toMatchObject({
      code: 'registry_unavailable',
    });
    expect(await registry.countDevices()).toBe(0);
  });
});
