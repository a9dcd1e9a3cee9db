import { api, qs } from '../../api/client';
import type { Device } from '../../api/types';

/** Models and firmware versions of the first provisioned devices (for pickers; not a fleet scan). */
export async function knownVersions(signal?: AbortSignal): Promise<{ models: string[]; firmware: string[] }> {
  const res = await api<{ devices: Device[] }>('GET', `/v1/devices${qs({ limit: 1000 })}`, signal ? { signal } : {});
  const models = [...new Set(res.devices.map((d) => d.model))].sort();
  const firmware = [...new Set(res.devices.map((d) => d.firmware))].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  return { models, firmware };
}
