import type { DeviceDirectory } from '@parley/api';
import type { Registry } from '@parley/registry';

/** Adapts the registry to the slice the API needs. */
export function registryDirectory(registry: Registry): DeviceDirectory {
  return {
    getDevice: (id) => registry.getDevice(id),
    listDevices: (q) => registry.listDevices(q),
    provisionDevices: (q) => registry.provisionDevices(q),
  };
}
