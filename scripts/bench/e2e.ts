/**
 * npm run bench:e2e — drives the simulator at increasing rates against the platform and prints
 * sustained messages/s, ingest-to-queryable latency and process RSS per step; then loads a large
 * history and times one-device history queries.
 *
 *   npm run bench:e2e -- [--mode embedded|cluster] [--rates 5000,10000,20000,30000] [--duration 20]
 *                        [--devices 200] [--samples 10] [--history-rows 10000000] [--queries 300]
 *                        [--partitions 4] [--out FILE]
 *
 * `--mode cluster` runs the cluster mode's parts on this machine (see targets.ts); RSS and CPU are
 * then the sum over the platform's processes (broker, this process with the ingester, the store
 * server, Kafka's JVM).
 *
 * The simulator runs as a separate process (its own core), as real devices would.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import { NODE_FLAGS } from '../node-flags';
import { createRootLogger } from '@parley/logger';
import { tempDir } from '@parley/testkit';
import { loadHistory, timeHistoryQueries, waitForMerges } from './history';
import { clusterTarget, embeddedTarget, rssBytes, type BenchTarget } from './targets';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'embedded' },
    partitions: { type: 'string', default: '4' },
    rates: { type: 'string', default: '5000,10000,20000,30000' },
    duration: { type: 'string', default: '20' },
    devices: { type: 'string', default: '200' },
    samples: { type: 'string', default: '10' },
    'history-rows': { type: 'string', default: '10000000' },
    queries: { type: 'string', default: '300' },
    out: { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** Writes a CPU profile of the main thread during each measured window to this directory. */
    profile: { type: 'string' },
  },
});
const rates = values.rates.split(',').filter((r) => r.trim() !== '').map(Number); // --rates '' skips the ingest steps
const durationS = Number(values.duration);
const deviceCount = Number(values.devices);
const samples = Number(values.samples);
const historyRows = Number(values['history-rows']);

const say = (s: string) => process.stdout.write(s + '\n');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StepResult {
  targetRate: number;
  achievedRate: number;
  sustained: boolean;
  p50Ms: number | null;
  p99Ms: number | null;
  lagAtEnd: string;
  maxRssMiB: number;
  /** Seconds the ingester needed after the step to store the backlog. */
  drainSeconds: number;
  /** CPU used during the measured window, in cores (1.0 = one core busy). */
  platformCores: number;
  simCores: number;
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

async function runStep(platform: BenchTarget, credsFile: string, rate: number): Promise<StepResult> {
  const warmupS = Math.min(5, Math.max(2, Math.round(durationS / 4)));
  const sim = spawn(
    process.execPath,
    [...NODE_FLAGS, '--import', 'tsx', 'firmware-sim/src/main.ts', '--broker', platform.mqttUrl, '--devices', credsFile, '--count', String(deviceCount), '--rate', String(rate), '--samples', String(samples), '--duration', `${durationS + warmupS + 30}s`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((r) => sim.once('exit', () => r()));
  await sleep(warmupS * 1000);
  platform.resetLatency();
  const a0 = await platform.accepted();
  const platformCpu = async () => (await Promise.all(platform.pids().map(cpuSeconds))).reduce((a, b) => a + b, 0);
  const cpu0 = [await platformCpu(), await cpuSeconds(sim.pid!)];
  const profiler = values.profile ? new Session() : null;
  if (profiler) {
    profiler.connect();
    await profiler.post('Profiler.enable');
    await profiler.post('Profiler.start');
  }
  const t0 = performance.now();
  let maxRss = 0;
  while (performance.now() - t0 < durationS * 1000) {
    await sleep(500);
    maxRss = Math.max(maxRss, (await Promise.all(platform.pids().map(rssBytes))).reduce((a, b) => a + b, 0));
  }
  const accepted = (await platform.accepted()) - a0;
  const elapsedS = (performance.now() - t0) / 1000;
  const cpu1 = [await platformCpu(), await cpuSeconds(sim.pid!)];
  if (profiler) {
    const { profile } = await profiler.post('Profiler.stop');
    await mkdir(values.profile!, { recursive: true });
    await writeFile(join(values.profile!, `e2e-${rate}.cpuprofile`), JSON.stringify(profile));
    profiler.disconnect();
  }
  const lag = await platform.lag();
  const { p50: latencyP50Ms, p99: latencyP99Ms } = platform.latency();
  sim.kill('SIGTERM'); // the simulator stops cleanly: it waits for its in-flight PUBACKs
  await exited;
  // The next step (or the history phase) must not share the machine with this step's backlog.
  const drainStarted = performance.now();
  if (!(await platform.drain(900_000))) say(`  warning: the ingester did not catch up within 15 minutes after the ${rate} msgs/s step`);
  const drainSeconds = Math.round((performance.now() - drainStarted) / 100) / 10;
  const achieved = accepted / elapsedS;
  return {
    targetRate: rate,
    achievedRate: Math.round(achieved),
    // Sustained: the broker accepted ≥ 95% of the offered rate and the ingester kept up (lag < 1 s of traffic).
    sustained: achieved >= 0.95 * rate && Number(lag) < rate,
    p50Ms: latencyP50Ms,
    p99Ms: latencyP99Ms,
    lagAtEnd: String(lag),
    maxRssMiB: Math.round(maxRss / 2 ** 20),
    drainSeconds,
    platformCores: Math.round(((cpu1[0]! - cpu0[0]!) / elapsedS) * 100) / 100,
    simCores: Math.round(((cpu1[1]! - cpu0[1]!) / elapsedS) * 100) / 100,
  };
}

function sayHistory(h: Awaited<ReturnType<typeof timeHistoryQueries>>): void {
  say(`    one-device history, 500 rows (conversation page): p50 ${h.conversation.p50.toFixed(1)} ms, p99 ${h.conversation.p99.toFixed(1)} ms`);
  say(`    one-device metric series, 500 buckets:            p50 ${h.series.p50.toFixed(1)} ms, p99 ${h.series.p99.toFixed(1)} ms`);
}

async function main(): Promise<void> {
  const dataDir = await tempDir('parley-bench-');
  const logger = createRootLogger({ level: 'warn' });
  if (values.mode !== 'embedded' && values.mode !== 'cluster') throw new Error(`--mode must be embedded or cluster (got ${values.mode})`);
  say(`bench:e2e — node ${process.version}, data dir ${dataDir}`);
  const platform = values.mode === 'cluster' ? await clusterTarget(dataDir, logger, Number(values.partitions)) : await embeddedTarget(dataDir, logger);
  say(platform.description);
  const results: StepResult[] = [];
  try {
    const perModel = Math.ceil(deviceCount / 3);
    const creds = [];
    for (const [model, firmware] of [['fridge-x1', '1.4.2'], ['washer-w2', '2.0.1'], ['heatpump-h3', '3.1.0']] as const) {
      creds.push(...(await platform.registry.provisionDevices({ model, firmware, count: perModel })));
    }
    const credsFile = join(dataDir, 'bench-fleet.json');
    await writeFile(credsFile, JSON.stringify(creds.slice(0, deviceCount).map((d) => ({ id: d.id, secret: d.secret, model: d.model, firmware: d.firmware }))));
    say(`${deviceCount} devices, ${samples} samples/message, ${durationS} s per step (after warm-up)\n`);
    say('target msg/s | achieved msg/s | sustained | ingest→queryable p50 / p99 ms | lag at end | drained in s | max RSS MiB | CPU cores platform / sim');
    for (const rate of rates) {
      const r = await runStep(platform, credsFile, rate);
      results.push(r);
      say(
        `${String(r.targetRate).padStart(12)} | ${String(r.achievedRate).padStart(14)} | ${(r.sustained ? 'yes' : 'no').padStart(9)} | ${String(r.p50Ms ?? '-').padStart(14)} / ${String(r.p99Ms ?? '-').padEnd(14)} | ${r.lagAtEnd.padStart(10)} | ${String(r.drainSeconds).padStart(12)} | ${String(r.maxRssMiB).padStart(11)} | ${r.platformCores} / ${r.simCores}`,
      );
    }
    let history: { afterLoad: unknown; settled: unknown; mergeWaitSeconds: number } | null = null;
    if (historyRows > 0) {
      say(`\nloading a history of ${historyRows.toLocaleString('en')} samples …`);
      const loaded = await loadHistory(platform.store, historyRows, (done) => process.stdout.write(`\r  ${done.toLocaleString('en')} samples`));
      say(`\r  loaded ${loaded.samples.toLocaleString('en')} samples in ${loaded.seconds.toFixed(1)} s (${Math.round(loaded.samples / loaded.seconds).toLocaleString('en')} samples/s)`);
      const afterLoad = await timeHistoryQueries(platform.store, loaded.deviceIds, Number(values.queries));
      say('  right after the load (the engine still merging the new parts):');
      sayHistory(afterLoad);
      const merged = await waitForMerges(platform.store, 600_000, say);
      say(`  after the merges ${merged.settled ? 'settled' : 'still running'} (${merged.seconds.toFixed(0)} s later, ${merged.parts} active parts):`);
      const settled = await timeHistoryQueries(platform.store, loaded.deviceIds, Number(values.queries));
      sayHistory(settled);
      history = { afterLoad, settled, mergeWaitSeconds: merged.seconds };
    }
    if (values.out) {
      await mkdir(join(values.out, '..'), { recursive: true });
      await writeFile(values.out, JSON.stringify({ at: new Date().toISOString(), mode: values.mode, node: process.version, deviceCount, samples, durationS, results, history }, null, 2));
    }
  } finally {
    await platform.stop();
    if (!values.keep) await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:e2e failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
