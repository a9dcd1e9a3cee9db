/**
 * npm run soak — the platform under a steady simulated fleet while faults are injected in turn
 * every `--kill-every` seconds; at the end, every message the simulator got a PUBACK for must be
 * queryable exactly once.
 *
 *   npm run soak -- --minutes N [--mode embedded|cluster] [--rate 500] [--devices 100] [--faults F,…] [--kill-every S] [--data-dir DIR]
 *
 * `--mode embedded` (default) runs the embedded platform as one child process and kill -9s it
 * (`embedded-target.ts`); `--mode cluster` runs Kafka, PostgreSQL, Redis, the store server and the
 * role processes, and restarts Kafka or kill -9s a broker or ingester process (`cluster-target.ts`).
 * The fleet runs in this process (`startFleet`, QoS 1, an offline buffer that re-sends whatever
 * was not PUBACKed), spread over the brokers. Prints progress every 10 s and a summary; exits 1 if
 * anything acknowledged is missing or shows twice, or if the run could not complete.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createRootLogger } from '@parley/logger';
import { startFleet, type Fleet, type FleetDeviceSpec } from '@parley/firmware-sim';
import { tempDir } from '@parley/testkit';
import type { SoakApi } from './api-client';
import { parseSoakArgs, type FaultName, type SoakOptions } from './args';
import { startClusterTarget } from './cluster-target';
import { startEmbeddedTarget } from './embedded-target';
import { LatencyHistogram } from './latency';
import { AckLedger, reconcile } from './reconcile';
import type { FaultReport, SoakTarget } from './target';

const say = (s: string) => process.stdout.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const fmt = (n: number) => n.toLocaleString('en');
const MODELS = [
  ['fridge-x1', '1.4.2'],
  ['washer-w2', '2.0.1'],
  ['heatpump-h3', '3.1.0'],
] as const;

/** Provisions `count` devices through the API, spread over the three models. */
async function provision(api: SoakApi, count: number): Promise<FleetDeviceSpec[]> {
  const specs: FleetDeviceSpec[] = [];
  for (const [i, [model, firmware]] of MODELS.entries()) {
    const n = Math.floor(count / 3) + (i < count % 3 ? 1 : 0);
    if (n === 0) continue;
    const { devices } = await api.post<{ devices: { id: string; secret: string }[] }>('/v1/devices', { model, firmware, count: n });
    specs.push(...devices.map((d) => ({ id: d.id, secret: d.secret, model, firmware })));
  }
  return specs;
}

/** `platform ×2 (2.0 s, 2.6 s)`, per kind of fault, in the order first injected. */
function faultSummary(reports: readonly FaultReport[]): string {
  const byKind = new Map<FaultName, number[]>();
  for (const r of reports) byKind.set(r.fault, [...(byKind.get(r.fault) ?? []), r.recoveryMs]);
  return [...byKind].map(([kind, ms]) => `${kind} ×${ms.length} (back in ${ms.map((x) => `${(x / 1000).toFixed(1)} s`).join(', ')})`).join('; ') || 'none';
}

/** State shared with the signal handler, so Ctrl-C can clean up whatever exists so far. */
const run: { target?: SoakTarget; fleet?: Fleet; tempDataDir?: string; keepDataDir: boolean; interrupted: boolean } = { keepDataDir: false, interrupted: false };

async function soak(o: SoakOptions): Promise<boolean> {
  const dataDir = o.dataDir ? resolve(o.dataDir) : await tempDir('parley-soak-');
  if (o.dataDir) await mkdir(dataDir, { recursive: true });
  else run.tempDataDir = dataDir;
  const loadAtStart = load();
  const faultPlan = o.faults.length > 0 ? `${o.faults.join(', ')} in turn, one every ${o.killEverySeconds} s` : 'none';
  say(`soak (${o.mode}): ${o.minutes} min, ${fmt(o.rate)} msgs/s over ${o.devices} devices, faults: ${faultPlan}`);
  // The processes' own logs (warnings while a part is down) would drown the progress lines.
  const processLog = join(dataDir, 'processes.log');
  const logStream = createWriteStream(processLog, { flags: 'a' });
  say(`  node ${process.version}, data dir ${dataDir}, process logs in ${processLog}, load average ${loadAtStart}`);
  if (o.mode === 'cluster') say('  starting Kafka, the store server and the role processes (the first run downloads ≈ 44 MB of Kafka jars) …');

  const quiet = createRootLogger({ level: 'error', destination: process.stderr });
  const echo = { out: logStream, err: logStream };
  const target = (run.target = o.mode === 'cluster' ? await startClusterTarget(dataDir, echo, quiet) : await startEmbeddedTarget(dataDir, echo));
  for (const line of target.description) say(`  ${line}`);
  const api = target.api;
  // Each device keeps to one broker, as behind a load balancer with sticky connections.
  const devices = (await provision(api, o.devices)).map((d, i) => ({ ...d, brokerUrl: target.mqttUrls[i % target.mqttUrls.length]! }));

  const ledger = new AckLedger();
  const ackLatency = new LatencyHistogram();
  const fleet = (run.fleet = startFleet({
    brokerUrl: target.mqttUrls[0]!,
    devices,
    messagesPerSecond: o.rate,
    seed: 'soak',
    // Warnings per device per fault would drown the progress lines; the counters tell the story.
    log: quiet,
    // Reconnect within seconds of the restart (the defaults back off to 30 s, which would only idle).
    backoff: { initialMs: 250, maxMs: 2000 },
    drainTimeoutMs: 60_000,
    onAck: (deviceId, m) => {
      ledger.add(deviceId, m.bootId, m.seq);
      ackLatency.record(Date.now() - m.producedAtMs);
    },
  }));
  await fleet.ready;

  const t0 = performance.now();
  const endAt = t0 + o.minutes * 60_000;
  const p99Samples: number[] = [];
  const faults: FaultReport[] = [];
  let maxLoad1 = loadavg()[0]!;
  let injecting = false;
  let unexpectedExit: string | undefined;
  const progress = setInterval(() => {
    void (async () => {
      // Counters first, then the (slow) metrics: sent and acked are read at the same moment.
      const s = fleet.stats();
      const acked = ledger.size;
      maxLoad1 = Math.max(maxLoad1, loadavg()[0]!);
      const [lag, p99] = injecting ? [null, null] : await Promise.all([target.lag().catch(() => null), target.ingestP99Ms().catch(() => null)]);
      if (p99 !== null) p99Samples.push(p99);
      const down = target.down();
      if (down.length > 0) unexpectedExit ??= `${down.join(', ')} exited on its own (see ${processLog})`;
      const elapsed = Math.round((performance.now() - t0) / 1000);
      say(
        `[${String(elapsed).padStart(4)} s] sent ${fmt(s.produced)}, acked ${fmt(acked)}, buffered ${fmt(s.buffered)}, connected ${s.connected}/${s.devices}, reconnects ${fmt(s.reconnects)}, ${down.length > 0 ? `DOWN: ${down.join(', ')}` : target.state()}, lag ${lag ?? '-'}, ingest p99 ${p99 ?? '-'} ms, load ${load()}`,
      );
    })();
  }, 10_000);

  try {
    let nextFault = o.faults.length > 0 ? t0 + o.killEverySeconds * 1000 : Infinity;
    while (performance.now() < endAt && !run.interrupted && unexpectedExit === undefined) {
      await sleep(Math.max(0, Math.min(250, endAt - performance.now())));
      // No fault in the last 10 s: the final phase should measure the drain, not a restart.
      if (performance.now() >= nextFault && nextFault < endAt - 10_000) {
        const fault = o.faults[faults.length % o.faults.length]!;
        say(`  fault ${faults.length + 1}: ${fault} (${fmt(ledger.size)} acked so far) …`);
        injecting = true;
        try {
          const r = await target.inject(fault);
          faults.push(r);
          say(`  ${r.what}; back in ${(r.recoveryMs / 1000).toFixed(1)} s`);
        } finally {
          injecting = false;
        }
        nextFault += o.killEverySeconds * 1000;
      }
    }
    if (unexpectedExit !== undefined) throw new Error(unexpectedExit);
    if (run.interrupted) return false;
  } finally {
    clearInterval(progress);
  }

  say('  stopping the fleet (waiting for outstanding PUBACKs) …');
  const final = await fleet.stop();
  run.fleet = undefined;
  const ranMin = ((performance.now() - t0) / 60_000).toFixed(1);
  say('  waiting for the ingesters to drain …');
  const drainStart = performance.now();
  let lag = await target.lag().catch(() => null);
  while (lag !== 0 && performance.now() - drainStart < 180_000) {
    await sleep(500);
    lag = await target.lag().catch(() => null);
  }
  const lastP99 = await target.ingestP99Ms().catch(() => null);
  if (lastP99 !== null) p99Samples.push(lastP99);
  say(`  drained in ${((performance.now() - drainStart) / 1000).toFixed(1)} s (lag ${lag}); reconciling ${devices.length} devices through the API …`);
  const r = await reconcile(api, devices.map((d) => d.id), ledger);
  const stopped = await target.stop();
  run.target = undefined;

  const sorted = [...p99Samples].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : null;
  const ok = r.lost === 0 && r.duplicates === 0 && lag === 0;
  say('');
  say(`sent                 ${fmt(final.produced)} (PUBLISH packets ${fmt(final.published)}, of which re-sends ${fmt(final.resent)}) in ${ranMin} min`);
  say(`acknowledged         ${fmt(ledger.size)} (unacknowledged at the end: ${fmt(final.buffered)} buffered, ${fmt(final.dropped)} dropped from full buffers)`);
  say(`stored               ${fmt(r.stored)} (of which never acknowledged: ${fmt(r.storedUnacked)} — PUBACKs lost in a fault, re-sends de-duplicated)`);
  say(`lost                 ${fmt(r.lost)}`);
  say(`duplicates visible   ${fmt(r.duplicates)}`);
  say(`ingest p99           ${median ?? '-'} ms median of ${sorted.length} /metrics samples (max ${sorted.at(-1) ?? '-'} ms, at the end ${lastP99 ?? '-'} ms); broker receive → queryable`);
  say(`PUBACK latency       p50 ${ackLatency.quantile(0.5)} ms, p99 ${ackLatency.quantile(0.99)} ms (message built → PUBACK, outages included)`);
  say(`faults               ${faultSummary(faults)}`);
  say(`load average         ${loadAtStart} at start, ${load()} at the end, 1-min max ${maxLoad1.toFixed(2)}; ${stopped}`);
  for (const e of r.examples) say(`  ${e}`);
  if (lag !== 0) say(`FAILED: the ingesters did not drain (lag ${lag})`);
  say(ok ? 'OK: every acknowledged message is stored exactly once' : `FAILED (data dir kept: ${dataDir})`);
  run.keepDataDir = !ok;
  return ok;
}

async function cleanUp(): Promise<void> {
  await run.fleet?.stop().catch(() => undefined);
  await run.target?.stop().catch(() => undefined);
  if (run.tempDataDir && !run.keepDataDir) await rm(run.tempDataDir, { recursive: true, force: true }).catch(() => undefined);
}

let signalled = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (signalled) process.exit(130); // a second Ctrl-C: leave now (the exit hook still kills the processes)
    signalled = true;
    run.interrupted = true;
    say(`\n${sig}: stopping the fleet and the platform …`);
    void cleanUp().finally(() => process.exit(130));
  });
}
process.on('exit', () => run.target?.killNow());

try {
  const ok = await soak(parseSoakArgs(process.argv.slice(2)));
  if (!signalled) {
    await cleanUp();
    process.exit(ok ? 0 : 1);
  }
} catch (err) {
  if (signalled) await new Promise(() => {}); // the signal handler is cleaning up and exits
  process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  // Kept when the platform ran (its logs and data tell what happened), not when it could not start.
  run.keepDataDir = run.target !== undefined;
  if (run.tempDataDir && run.keepDataDir) process.stderr.write(`data dir kept for inspection: ${run.tempDataDir}\n`);
  await cleanUp();
  process.exit(1);
}
