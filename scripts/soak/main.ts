/**
 * npm run soak — the embedded platform under a steady simulated fleet, killed -9 and restarted on
 * the same data dir every `--kill-every` seconds; at the end, every message the simulator got a
 * PUBACK for must be queryable exactly once.
 *
 *   npm run soak -- --minutes N [--rate 500] [--devices 100] [--kill-every S] [--data-dir DIR]
 *
 * The platform runs as a child process (`services/platform/src/main.ts`, as `npm start` runs it), the
 * fleet in this process (`startFleet`, QoS 1, an offline buffer that re-sends whatever was not
 * PUBACKed). Prints progress every 10 s and a summary; exits 1 if anything acknowledged is missing
 * or shows twice, or if the run could not complete.
 */
import { mkdir, rm } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { createRootLogger } from '@parley/logger';
import { startFleet, type Fleet, type FleetDeviceSpec } from '@parley/firmware-sim';
import { tempDir } from '@parley/testkit';
import { metricValue, soakApi, type SoakApi } from './api-client';
import { parseSoakArgs, type SoakOptions } from './args';
import { LatencyHistogram } from './latency';
import { PlatformProcess } from './platform-process';
import { AckLedger, reconcile } from './reconcile';

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

/** The ingester's consumer lag, or null if the platform does not answer. */
async function ingesterLag(api: SoakApi): Promise<number | null> {
  try {
    return metricValue(await api.metricsText(), 'parley_log_consumer_lag_records', { group: 'ingester' });
  } catch {
    return null;
  }
}

async function ingestP99Ms(api: SoakApi): Promise<number | null> {
  try {
    const s = metricValue(await api.metricsText(), 'parley_ingest_latency_seconds', { quantile: '0.99' });
    return s === null ? null : Math.round(s * 1000);
  } catch {
    return null;
  }
}

/** State shared with the signal handler, so Ctrl-C can clean up whatever exists so far. */
const run: { platform?: PlatformProcess; fleet?: Fleet; tempDataDir?: string; interrupted: boolean } = { interrupted: false };

async function soak(o: SoakOptions): Promise<boolean> {
  const dataDir = o.dataDir ? resolve(o.dataDir) : await tempDir('parley-soak-');
  if (o.dataDir) await mkdir(dataDir, { recursive: true });
  else run.tempDataDir = dataDir;
  const loadAtStart = load();
  say(`soak: ${o.minutes} min, ${fmt(o.rate)} msgs/s over ${o.devices} devices, kill -9 every ${o.killEverySeconds || '∞'} s`);
  say(`  node ${process.version}, data dir ${dataDir}, load average ${loadAtStart}`);

  const platform = (run.platform = await PlatformProcess.start(dataDir));
  const api = soakApi(platform.httpUrl, () => platform.token);
  say(`  platform pid ${platform.pid}: ${platform.mqttUrl}, ${platform.httpUrl}`);
  const devices = await provision(api, o.devices);

  const ledger = new AckLedger();
  const ackLatency = new LatencyHistogram();
  const fleet = (run.fleet = startFleet({
    brokerUrl: platform.mqttUrl,
    devices,
    messagesPerSecond: o.rate,
    seed: 'soak',
    // Warnings per device per kill would drown the progress lines; the counters tell the story.
    log: createRootLogger({ level: 'error', destination: process.stderr }),
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
  let maxLoad1 = loadavg()[0]!;
  let restarting = false;
  let unexpectedExit: string | undefined;
  const progress = setInterval(() => {
    void (async () => {
      const s = fleet.stats();
      maxLoad1 = Math.max(maxLoad1, loadavg()[0]!);
      const p99 = platform.up && !restarting ? await ingestP99Ms(api) : null;
      if (p99 !== null) p99Samples.push(p99);
      if (!platform.up && !restarting) unexpectedExit ??= platform.output().slice(-4000);
      const elapsed = Math.round((performance.now() - t0) / 1000);
      say(
        `[${String(elapsed).padStart(4)} s] sent ${fmt(s.produced)}, acked ${fmt(ledger.size)}, buffered ${fmt(s.buffered)}, connected ${s.connected}/${s.devices}, reconnects ${fmt(s.reconnects)}, platform ${restarting ? 'restarting' : platform.up ? 'up' : 'DOWN'}, ingest p99 ${p99 ?? '-'} ms, load ${load()}`,
      );
    })();
  }, 10_000);

  try {
    let nextKill = o.killEverySeconds > 0 ? t0 + o.killEverySeconds * 1000 : Infinity;
    while (performance.now() < endAt && !run.interrupted && unexpectedExit === undefined) {
      await sleep(Math.max(0, Math.min(250, endAt - performance.now())));
      // No kill in the last 10 s: the final phase should measure the drain, not a restart.
      if (performance.now() >= nextKill && nextKill < endAt - 10_000) {
        const before = ledger.size;
        restarting = true;
        say(`  kill -9 platform pid ${platform.pid} (${fmt(before)} acked so far)`);
        try {
          const ms = await platform.killAndRestart();
          say(`  restarted as pid ${platform.pid} in ${(ms / 1000).toFixed(1)} s on the same data dir`);
        } finally {
          restarting = false;
        }
        nextKill += o.killEverySeconds * 1000;
      }
    }
    if (unexpectedExit !== undefined) throw new Error(`the platform exited on its own:\n${unexpectedExit}`);
    if (run.interrupted) return false;
  } finally {
    clearInterval(progress);
  }

  say('  stopping the fleet (waiting for outstanding PUBACKs) …');
  const final = await fleet.stop();
  run.fleet = undefined;
  say('  waiting for the ingester to drain …');
  const drainStart = performance.now();
  let lag = await ingesterLag(api);
  while (lag !== 0 && performance.now() - drainStart < 180_000) {
    await sleep(500);
    lag = await ingesterLag(api);
  }
  const lastP99 = await ingestP99Ms(api);
  if (lastP99 !== null) p99Samples.push(lastP99);
  say(`  drained in ${((performance.now() - drainStart) / 1000).toFixed(1)} s (lag ${lag}); reconciling ${devices.length} devices through the API …`);
  const r = await reconcile(api, devices.map((d) => d.id), ledger);
  const stopped = await platform.stop();
  run.platform = undefined;

  const sorted = [...p99Samples].sort((a, b) => a - b);
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)]! : null;
  const ok = r.lost === 0 && r.duplicates === 0 && lag === 0;
  say('');
  say(`sent                 ${fmt(final.produced)} (PUBLISH packets ${fmt(final.published)}, of which re-sends ${fmt(final.resent)})`);
  say(`acknowledged         ${fmt(ledger.size)} (unacknowledged at the end: ${fmt(final.buffered)} buffered, ${fmt(final.dropped)} dropped from full buffers)`);
  say(`stored               ${fmt(r.stored)} (of which never acknowledged: ${fmt(r.storedUnacked)} — PUBACKs lost in a kill, re-sends de-duplicated)`);
  say(`lost                 ${fmt(r.lost)}`);
  say(`duplicates visible   ${fmt(r.duplicates)}`);
  say(`ingest p99           ${median ?? '-'} ms median of ${sorted.length} /metrics samples (max ${sorted.at(-1) ?? '-'} ms, at the end ${lastP99 ?? '-'} ms); broker receive → queryable`);
  say(`PUBACK latency       p50 ${ackLatency.quantile(0.5)} ms, p99 ${ackLatency.quantile(0.99)} ms (message built → PUBACK, outages included)`);
  say(`kills / restarts     ${platform.restartMs.length}, restart ${platform.restartMs.map((ms) => (ms / 1000).toFixed(1) + ' s').join(', ') || '-'}`);
  say(`load average         ${loadAtStart} at start, ${load()} at the end, 1-min max ${maxLoad1.toFixed(2)}; platform stopped with ${stopped}`);
  for (const e of r.examples) say(`  ${e}`);
  if (lag !== 0) say(`FAILED: the ingester did not drain (lag ${lag})`);
  say(ok ? 'OK: every acknowledged message is stored exactly once' : 'FAILED');
  return ok;
}

async function cleanUp(): Promise<void> {
  await run.fleet?.stop().catch(() => undefined);
  await run.platform?.stop(10_000).catch(() => undefined);
  if (run.tempDataDir) await rm(run.tempDataDir, { recursive: true, force: true }).catch(() => undefined);
}

let signalled = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (signalled) process.exit(130); // a second Ctrl-C: leave now (the exit hook still kills the platform)
    signalled = true;
    run.interrupted = true;
    say(`\n${sig}: stopping the fleet and the platform …`);
    void cleanUp().finally(() => process.exit(130));
  });
}
process.on('exit', () => run.platform?.killNow());

try {
  const ok = await soak(parseSoakArgs(process.argv.slice(2)));
  if (!signalled) {
    await cleanUp();
    process.exit(ok ? 0 : 1);
  }
} catch (err) {
  if (signalled) await new Promise(() => {}); // the signal handler is cleaning up and exits
  process.stderr.write(`soak failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await cleanUp();
  process.exit(1);
}
