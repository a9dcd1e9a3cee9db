/**
 * Throughput benchmark of the simulator against a local Aedes in its own process:
 *
 *   npx tsx firmware-sim/scripts/bench-fleet.ts [--rate 25000] [--devices 200] [--duration 20] [--samples 10] [--tick 20]
 *
 * Starts scripts/aedes-server.ts as a child process, runs a fleet in this process, waits until every
 * device is connected, warms up, then measures PUBACKed messages/s over --duration seconds along
 * with the CPU time of both processes and the simulator's event-loop delay. Exits non-zero if the
 * fleet sustained less than 95 % of the target.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createRootLogger } from '@parley/logger';
import { startFleet } from '../src/fleet.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '25000' },
    devices: { type: 'string', default: '200' },
    duration: { type: 'string', default: '20' },
    samples: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    tick: { type: 'string', default: '20' },
  },
});
const rate = Number(values.rate);
const deviceCount = Number(values.devices);
const durationS = Number(values.duration);
const samples = Number(values.samples);
const warmupS = Number(values.warmup);
/** CPU seconds (user + system) a process has used, from /proc (Linux; clock ticks of 1/100 s). */
function procCpuS(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const say = (s: string) => process.stdout.write(`${s}\n`);

const broker = spawn(process.execPath, ['--import', 'tsx', new URL('./aedes-server.ts', import.meta.url).pathname], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const brokerLines = createInterface({ input: broker.stdout! });
const lines: string[] = [];
const url = await new Promise<string>((resolve, reject) => {
  brokerLines.on('line', (l) => {
    lines.push(l);
    const m = /^listening (\S+)/.exec(l);
    if (m) resolve(m[1]!);
  });
  broker.once('exit', (code) => reject(new Error(`aedes-server exited (${code})`)));
});

const models = ['fridge-x1', 'washer-w2', 'heatpump-h3'];
const devices = Array.from({ length: deviceCount }, (_, i) => ({
  id: `bench-${String(i).padStart(5, '0')}`,
  secret: 'bench',
  model: models[i % models.length]!,
}));
const fleet = startFleet({
  brokerUrl: url,
  devices,
  messagesPerSecond: rate,
  samplesPerMessage: samples,
  seed: 'bench',
  tickMs: Number(values.tick),
  log: createRootLogger({ level: 'warn', destination: process.stderr }),
});
await fleet.ready;
say(`bench: ${deviceCount} devices connected to ${url}; target ${rate} msgs/s × ${samples} samples; warm-up ${warmupS}s`);
await sleep(warmupS * 1000);

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const s0 = fleet.stats();
const cpu0 = process.cpuUsage();
const brokerCpu0 = procCpuS(broker.pid!);
const t0 = performance.now();
let maxRss = 0;
for (let i = 0; i < durationS; i++) {
  await sleep(1000);
  const s = fleet.stats();
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
  say(`  t=${i + 1}s acked=${s.acked - s0.acked} buffered=${s.buffered} connected=${s.connected}`);
}
const s1 = fleet.stats();
const elapsedS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const brokerCpu1 = procCpuS(broker.pid!);
loop.disable();

const final = await fleet.stop();
const brokerReport = new Promise<string>((resolve) => {
  brokerLines.on('line', (l) => l.startsWith('{') && resolve(l));
});
broker.kill('SIGTERM');
const brokerStats = JSON.parse(await brokerReport) as { cpuUserS: number; cpuSystemS: number; elapsedS: number; published: number };

const acked = (s1.acked - s0.acked) / elapsedS;
const produced = (s1.produced - s0.produced) / elapsedS;
const simCpu = (cpu.user + cpu.system) / 1e6 / elapsedS;
say('');
say(`sustained: ${Math.round(acked)} acked msgs/s (${Math.round(produced)} produced/s, target ${rate}) over ${elapsedS.toFixed(1)} s`);
say(`simulator: CPU ${(simCpu * 100).toFixed(0)} % of one core (user ${(cpu.user / 1e6).toFixed(1)} s, system ${(cpu.system / 1e6).toFixed(1)} s), max RSS ${(maxRss / 2 ** 20).toFixed(0)} MiB, event-loop delay p50 ${(loop.percentile(50) / 1e6).toFixed(1)} ms p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms`);
if (brokerCpu0 !== undefined && brokerCpu1 !== undefined) {
  say(`aedes (measured window): CPU ${(((brokerCpu1 - brokerCpu0) / elapsedS) * 100).toFixed(0)} % of one core`);
}
say(`aedes (whole run ${brokerStats.elapsedS} s): CPU ${(((brokerStats.cpuUserS + brokerStats.cpuSystemS) / brokerStats.elapsedS) * 100).toFixed(0)} % of one core on average, ${brokerStats.published} publishes received`);
say(`after stop: buffered=${final.buffered} dropped=${final.dropped} resent=${final.resent}`);
process.exit(acked >= 0.95 * rate ? 0 : 1);
