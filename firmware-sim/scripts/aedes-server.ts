/**
 * A bare local Aedes broker (no auth, in-memory) for driving the simulator by hand or in benchmarks:
 *
 *   npx tsx firmware-sim/scripts/aedes-server.ts [--port 0]
 *
 * Prints `listening mqtt://127.0.0.1:<port>` once ready. On SIGINT/SIGTERM prints one JSON line with
 * the messages it received and its own CPU time, then exits. Not the platform broker (no auth, no ACL,
 * no durable append): it measures the simulator, not Parley.
 */
import { parseArgs } from 'node:util';
import { startTestBroker } from '../src/testing/aedes-broker.js';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`aedes-server: --port ${values.port} is not a port number\n`);
  process.exit(2);
}

const server = await startTestBroker(port);
let published = 0;
server.broker.on('publish', (_packet, client) => {
  if (client) published++;
});
const cpu0 = process.cpuUsage();
const t0 = performance.now();
process.stdout.write(`listening ${server.url}\n`);

const shutdown = async () => {
  const cpu = process.cpuUsage(cpu0);
  const elapsedS = (performance.now() - t0) / 1000;
  process.stdout.write(
    `${JSON.stringify({ published, elapsedS: +elapsedS.toFixed(1), cpuUserS: cpu.user / 1e6, cpuSystemS: cpu.system / 1e6 })}\n`,
  );
  await server.kill();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
