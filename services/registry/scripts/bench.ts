/**
 * Registry benchmark: open (fresh / existing data dir), provisioning, authentication throughput.
 * Run: `npx tsx services/registry/scripts/bench.ts [--auth-calls 20000] [--big 100000]`
 * Uses a temporary data dir that is removed afterwards; exits non-zero on any failure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type ProvisionedDevice, type Registry } from '../src/index';

const { values } = parseArgs({
  options: {
    'auth-calls': { type: 'string', default: '20000' },
    big: { type: 'string', default: '100000' },
  },
});
const authCalls = Number(values['auth-calls']);
const big = Number(values.big);
const log = silentLogger();

async function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  console.log(`${label.padEnd(58)} ${(performance.now() - t0).toFixed(0).padStart(7)} ms`);
  return result;
}

function rate(label: string, calls: number, ms: number): void {
  console.log(`${label.padEnd(58)} ${Math.round(calls / (ms / 1000)).toString().padStart(7)} calls/s  (${(ms / calls).toFixed(3)} ms each)`);
}

async function authBench(registry: Registry, devices: ProvisionedDevice[], where: string): Promise<void> {
  // Warm-up, so JIT and the page cache do not count.
  for (let i = 0; i < 500; i++) await registry.authenticateDevice(devices[i % devices.length]!.id, devices[i % devices.length]!.secret);

  let t0 = performance.now();
  for (let i = 0; i < authCalls; i++) {
    const d = devices[(i * 7919) % devices.length]!;
    if (!(await registry.authenticateDevice(d.id, d.secret))) throw new Error(`authentication of ${d.id} failed`);
  }
  rate(`authenticateDevice, valid, sequential (${where})`, authCalls, performance.now() - t0);

  t0 = performance.now();
  for (let i = 0; i < authCalls; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) => {
        const d = devices[((i + j) * 7919) % devices.length]!;
        return registry.authenticateDevice(d.id, d.secret);
      }),
    );
  }
  rate(`authenticateDevice, valid, 100 in flight (${where})`, authCalls, performance.now() - t0);

  const n = Math.min(authCalls, 5000);
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (await registry.authenticateDevice(devices[i % devices.length]!.id, 'wrong')) throw new Error('wrong secret accepted');
  }
  rate(`authenticateDevice, wrong secret (${where})`, n, performance.now() - t0);
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (await registry.authenticateDevice(`fridge-x1-unknown${i}`, 'wrong')) throw new Error('unknown device accepted');
  }
  rate(`authenticateDevice, unknown device (${where})`, n, performance.now() - t0);
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'parley-registry-bench-'));
  const dataDir = join(root, 'registry');
  try {
    console.log(`node ${process.version}, ${process.platform}/${process.arch}`);
    let registry = await timed('openEmbeddedRegistry, fresh data dir (initdb + migrate)', () => openEmbeddedRegistry({ dataDir, log }));
    await timed('close', () => registry.close());
    registry = await timed('openEmbeddedRegistry, existing data dir', () => openEmbeddedRegistry({ dataDir, log }));

    await timed('provisionDevices 1,000', () => registry.provisionDevices({ model: 'fridge-x1', firmware: '1.4.2', count: 1000 }));
    const devices = await timed('provisionDevices 10,000', () => registry.provisionDevices({ model: 'fridge-x1', firmware: '1.4.2', count: 10_000 }));
    if (big > 0) {
      await timed(`provisionDevices ${big.toLocaleString('en')}`, () => registry.provisionDevices({ model: 'washer-w2', firmware: '2.0.1', count: big }));
    }
    await timed('countDevices', () => registry.countDevices());
    await timed('listDevices 1000 (first page)', () => registry.listDevices({ limit: 1000 }));
    await authBench(registry, devices, 'data dir');
    await timed('close', () => registry.close());
    registry = await timed(`openEmbeddedRegistry, existing data dir (${(11_000 + big).toLocaleString('en')} devices)`, () =>
      openEmbeddedRegistry({ dataDir, log }),
    );
    await registry.close();

    const memory = await timed('openEmbeddedRegistry, in memory', () => openEmbeddedRegistry({ log }));
    const memDevices = await timed('provisionDevices 10,000 (in memory)', () => memory.provisionDevices({ model: 'fridge-x1', firmware: '1.4.2', count: 10_000 }));
    await authBench(memory, memDevices, 'in memory');
    await memory.close();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
