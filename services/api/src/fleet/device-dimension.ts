import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from '@parley/registry';
import type { Store } from '@parley/store';

const PAGE = 1000;

/**
 * Copies every registry device (id, model, tags) into the store's device dimension when the two
 * disagree in size: after an upgrade, or after devices were provisioned without going through the
 * API (the demo fleet, bulk imports). Provisioning through the API keeps them in step on its own,
 * so this is two cheap counts on the calls that need the dimension (fleet queries by model).
 */
export async function syncDeviceDimension(registry: Registry, store: Store, log: FastifyBaseLogger): Promise<void> {
  const [inRegistry, inStore] = await Promise.all([registry.countDevices(), store.countDevices()]);
  if (inRegistry === inStore) return;
  const started = Date.now();
  let cursor: string | undefined;
  let copied = 0;
  do {
    const page = await registry.listDevices({ limit: PAGE, ...(cursor ? { cursor } : {}) });
    await store.upsertDevices(page.devices.map((d) => ({ deviceId: d.id, model: d.model, tags: d.tags })));
    copied += page.devices.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  log.info({ devices: copied, ms: Date.now() - started }, 'device dimension synced from the registry');
}
