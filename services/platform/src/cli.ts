import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { isAppError } from '@parley/errors';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry } from '@parley/registry';
import { loadConfig, localUrl } from './config';
import { manufacturerToken } from './secrets';

const USAGE = `Usage: npm run parley -- <command>
  devices provision --model M --firmware V --count N [--out FILE]   create devices; prints (or writes) their secrets and claim codes once
  devices list [--model M] [--limit N]                              list devices
When the platform is running (PARLEY_HTTP_PORT / PARLEY_DATA_DIR as for npm start) the CLI goes
through its API; otherwise it opens the registry in the data dir directly.`;

interface Backend {
  provision(q: { model: string; firmware: string; count: number }): Promise<{ id: string; secret: string; claimCode: string; model: string; firmware: string }[]>;
  list(q: { model?: string; limit: number }): Promise<{ id: string; model: string; firmware: string; status: string }[]>;
  close(): Promise<void>;
}

async function apiBackend(baseUrl: string, token: string): Promise<Backend | null> {
  try {
    const res = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return null;
  } catch {
    return null;
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as any;
    if (!res.ok) throw new Error(`${json?.error?.code ?? res.status}: ${json?.error?.message ?? 'request failed'}`);
    return json;
  };
  return {
    async provision(q) {
      return (await call('POST', '/v1/devices', q)).devices;
    },
    async list(q) {
      const qs = new URLSearchParams({ limit: String(q.limit), ...(q.model ? { model: q.model } : {}) });
      return (await call('GET', `/v1/devices?${qs}`)).devices;
    },
    close: async () => {},
  };
}

async function main(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      firmware: { type: 'string' },
      count: { type: 'string' },
      out: { type: 'string' },
      limit: { type: 'string', default: '100' },
      help: { type: 'boolean' },
    },
  });
  const [group, command] = positionals;
  if (values.help || group !== 'devices' || !command) {
    process.stdout.write(USAGE + '\n');
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const config = loadConfig(process.env, []);
  const api = await apiBackend(localUrl('http', config.httpHost, config.httpPort), await manufacturerToken(config.dataDir, config.manufacturerToken));
  let backend: Backend;
  if (api) {
    backend = api;
  } else {
    const registry = await openEmbeddedRegistry({ dataDir: join(config.dataDir, 'registry'), log: silentLogger() });
    backend = {
      provision: (q) => registry.provisionDevices(q),
      list: async (q) => (await registry.listDevices({ limit: q.limit, ...(q.model ? { model: q.model } : {}) })).devices,
      close: () => registry.close(),
    };
  }
  try {
    if (command === 'provision') {
      if (!values.model || !values.firmware || !values.count) throw new Error('devices provision needs --model, --firmware and --count');
      const count = Number(values.count);
      if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive whole number');
      process.stderr.write(`provisioning ${count} ${values.model} device(s)${api ? ' through the running platform' : ''} …\n`);
      const created = await backend.provision({ model: values.model, firmware: values.firmware, count });
      const creds = created.map((d) => ({ id: d.id, secret: d.secret, claimCode: d.claimCode, model: d.model, firmware: d.firmware }));
      if (values.out) {
        await writeFile(values.out, JSON.stringify(creds, null, 2) + '\n', { mode: 0o600 });
        process.stderr.write(`wrote ${creds.length} credentials to ${values.out} (mode 0600). The secrets are not stored anywhere else.\n`);
      } else {
        process.stdout.write(JSON.stringify(creds, null, 2) + '\n');
      }
    } else if (command === 'list') {
      const limit = Number(values.limit);
      const devices = await backend.list({ limit, ...(values.model ? { model: values.model } : {}) });
      for (const d of devices) process.stdout.write(`${d.id}\t${d.model}\t${d.firmware}\t${d.status}\n`);
    } else {
      process.stdout.write(USAGE + '\n');
      process.exitCode = 2;
    }
  } finally {
    await backend.close();
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`parley: ${isAppError(err) || err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
