/**
 * The broker side of `npm run bench:mqtt`, in its own process (as Mosquitto is), so the broker does
 * not share a JavaScript thread with the benchmark's clients.
 *
 *   tsx scripts/bench/mqtt-broker-process.ts aedes|parley
 *
 * - `aedes`: a plain Aedes with the options `createBroker` gives it (heartbeat, connect and drain
 *   timeouts, client id length, TCP_NODELAY) but no hooks — anonymous pub/sub, like Mosquitto here.
 * - `parley`: `createBroker` from @parley/broker as the platform builds it (limits, ACL hooks, the
 *   embedded registry with provisioned devices, a file log in a temporary dir), on port 0. Devices
 *   may only subscribe to their own down topic, so the load is server publishes (`publishDownlink`),
 *   started by an IPC message `{ cmd: 'start', ... }` and paced by `{ cmd: 'credit', ... }` as the
 *   devices receive them, with the same end-to-end window as the other targets.
 *
 * Prints one JSON line `{ url, devices? }` once listening; exits on SIGTERM or when the parent goes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { createBroker, DEFAULT_LIMITS } from '@parley/broker';
import { openFileLog } from '@parley/log';
import { createRootLogger } from '@parley/logger';
import { openEmbeddedRegistry } from '@parley/registry';
import { stampPayload } from './mqtt-payload';

const mode = process.argv[2];
const logger = createRootLogger({ level: 'warn', destination: process.stderr });
const cleanups: (() => Promise<void>)[] = [];
const out = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

/**
 * A downlink load: `perDevice` messages to each device, at most `window` of them not yet delivered;
 * the parent grants more with `credit` messages as the devices receive them.
 */
type Command =
  | { cmd: 'start'; deviceIds: string[]; perDevice: number; window: number; payloadBytes: number }
  | { cmd: 'credit'; device: number; n: number };

if (mode === 'aedes') {
  const aedes = await Aedes.createBroker({ heartbeatInterval: 60_000, connectTimeout: DEFAULT_LIMITS.connectTimeoutMs, drainTimeout: 30_000, maxClientsIdLength: 128 });
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    aedes.handle(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => aedes.close(() => resolve()))));
  out({ url: `mqtt://127.0.0.1:${(server.address() as { port: number }).port}` });
} else if (mode === 'parley') {
  const dir = await mkdtemp(join(tmpdir(), 'parley-bench-mqtt-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const registry = await openEmbeddedRegistry({ log: logger });
  const log = await openFileLog({ dir: join(dir, 'log'), log: logger });
  // The platform's defaults (brokerOptions in services/platform), except the connect budget: every
  // bench client connects at once from one address.
  const broker = await createBroker({ log, devices: registry, logger, limits: { connectsPerMinute: 600, connectBurst: 300 } });
  const port = await broker.listen(0, '127.0.0.1');
  cleanups.unshift(() => broker.close(), () => log.close());
  const count = Number(process.argv[3] ?? '1');
  const devices = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.4.2', count });
  out({ url: `mqtt://127.0.0.1:${port}`, devices: devices.map((d) => ({ id: d.id, secret: d.secret })) });
  let run: { ids: string[]; perDevice: number; payloadBytes: number; sent: number[]; allowed: number[] } | undefined;
  const pump = (i: number) => {
    const r = run!;
    while (r.sent[i]! < r.perDevice && r.sent[i]! < r.allowed[i]!) {
      r.sent[i]!++;
      broker.publishDownlink(r.ids[i]!, stampPayload(r.payloadBytes)).catch((err: unknown) => process.send!({ error: String(err) }));
    }
  };
  process.on('message', (m: Command) => {
    if (m.cmd === 'start') {
      run = { ids: m.deviceIds, perDevice: m.perDevice, payloadBytes: m.payloadBytes, sent: m.deviceIds.map(() => 0), allowed: m.deviceIds.map(() => m.window) };
      m.deviceIds.forEach((_, i) => pump(i));
    } else if (m.cmd === 'credit' && run) {
      run.allowed[m.device]! += m.n;
      pump(m.device);
    }
  });
} else {
  process.stderr.write('usage: mqtt-broker-process.ts aedes|parley [devices]\n');
  process.exit(2);
}

const stop = async () => {
  for (const c of cleanups) await c().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.on('disconnect', () => void stop());
