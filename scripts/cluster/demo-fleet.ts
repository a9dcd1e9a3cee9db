/**
 * The cluster's demo fleet: provisioned through the API (the registry is PostgreSQL, shared by
 * every process) on the first start, kept in `<dir>/demo-fleet.json` (0600), and reused while the
 * registry still knows the devices. Split in two files, one per simulator / broker.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

interface Device {
  id: string;
  secret: string;
  model: string;
  firmware: string;
  claimCode?: string;
}

async function call(api: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(api + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'x-parley-justification': 'support-case:start-cluster', ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

/** Returns the fleet files for the two simulators, provisioning `count` devices when needed. */
export async function ensureClusterFleet(dir: string, api: string, token: string, count: number): Promise<[string, string]> {
  const file = join(dir, 'demo-fleet.json');
  let devices = (await readFile(file, 'utf8').then(JSON.parse, () => [])) as Device[];
  const known = devices.length > 0 && (await call(api, token, 'GET', `/v1/devices/${devices[0]!.id}`)).status === 200;
  if (!known || devices.length < count) {
    const models = ['fridge-x1', 'washer-w2', 'heatpump-h3'];
    devices = [];
    for (const [i, model] of models.entries()) {
      const n = Math.floor(count / models.length) + (i < count % models.length ? 1 : 0);
      if (n === 0) continue;
      const r = await call(api, token, 'POST', '/v1/devices', { model, firmware: '1.4.2', count: n });
      if (r.status !== 201 && r.status !== 200) throw new Error(`provisioning the demo fleet failed: ${r.status} ${JSON.stringify(r.json)}`);
      devices.push(...(r.json.devices as Device[]).map((d) => ({ id: d.id, secret: d.secret, model, firmware: '1.4.2', ...(d.claimCode ? { claimCode: d.claimCode } : {}) })));
    }
    await writeFile(file, JSON.stringify(devices, null, 2), { mode: 0o600 });
  }
  const halves: [Device[], Device[]] = [devices.filter((_, i) => i % 2 === 0), devices.filter((_, i) => i % 2 === 1)];
  const files: [string, string] = [join(dir, 'demo-fleet-a.json'), join(dir, 'demo-fleet-b.json')];
  await Promise.all(halves.map((h, i) => writeFile(files[i]!, JSON.stringify(h, null, 2), { mode: 0o600 })));
  return files;
}
