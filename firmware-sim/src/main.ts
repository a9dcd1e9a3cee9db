/**
 * `npm run sim -- --devices creds.json --rate 1000`: a simulated fleet until Ctrl-C or --duration.
 * Prints one progress line per interval on stdout; diagnostics (pino) go to stderr.
 */
import { createRootLogger } from '@parley/logger';
import { parseCliArgs } from './cli-args.js';
import { loadCredentials } from './credentials.js';
import { startFleet, type FleetStats } from './fleet.js';

function line(s: FleetStats, previousAcked: number, intervalS: number, elapsedS: number): string {
  const rate = Math.round((s.acked - previousAcked) / intervalS);
  return (
    `t=${elapsedS.toFixed(0)}s connected=${s.connected}/${s.devices} published=${s.published} acked=${s.acked} ` +
    `(${rate}/s) buffered=${s.buffered} dropped=${s.dropped} reconnects=${s.reconnects}`
  );
}

async function main(): Promise<number> {
  const parsed = parseCliArgs(process.argv.slice(2));
  if (parsed.kind === 'help') {
    process.stdout.write(`${parsed.text}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`firmware-sim: invalid arguments:\n  - ${parsed.problems.join('\n  - ')}\n\nRun with --help for usage.\n`);
    return 2;
  }
  const config = parsed.config;
  const log = createRootLogger({ level: config.logLevel, destination: process.stderr, base: { service: 'firmware-sim' } });
  let devices = await loadCredentials(config.devicesFile);
  if (config.count !== undefined) {
    if (config.count > devices.length) {
      process.stderr.write(`firmware-sim: --count ${config.count} but ${config.devicesFile} has only ${devices.length} devices\n`);
      return 2;
    }
    devices = devices.slice(0, config.count);
  }

  const fleet = startFleet({
    brokerUrl: config.brokerUrl,
    devices,
    messagesPerSecond: config.rate,
    samplesPerMessage: config.samples,
    durationMs: config.durationMs,
    clockSkewMs: config.skewMs,
    clockDriftPpm: config.driftPpm,
    seed: config.seed,
    faultsPerDay: config.faultsPerDay,
    log,
  });
  process.stdout.write(`firmware-sim: ${devices.length} devices → ${config.brokerUrl} at ${config.rate} msgs/s, ${config.samples} samples/msg\n`);

  const started = Date.now();
  let lastAcked = 0;
  let lastAt = started;
  const progress =
    config.progressMs > 0
      ? setInterval(() => {
          const now = Date.now();
          const s = fleet.stats();
          process.stdout.write(`${line(s, lastAcked, (now - lastAt) / 1000, (now - started) / 1000)}\n`);
          lastAcked = s.acked;
          lastAt = now;
        }, config.progressMs)
      : undefined;

  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130); // second Ctrl-C: give up on draining
    interrupted = true;
    process.stdout.write('stopping: waiting for outstanding PUBACKs (Ctrl-C again to quit now)\n');
    void fleet.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const final = await fleet.done;
  clearInterval(progress);
  const elapsedS = (Date.now() - started) / 1000;
  process.stdout.write(
    `done in ${elapsedS.toFixed(1)}s: produced=${final.produced} acked=${final.acked} (${Math.round(final.acked / elapsedS)}/s avg) ` +
      `resent=${final.resent} buffered=${final.buffered} dropped=${final.dropped} reconnects=${final.reconnects}\n`,
  );
  if (final.buffered > 0 || final.dropped > 0) {
    process.stderr.write(`firmware-sim: ${final.buffered} messages undelivered, ${final.dropped} dropped\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`firmware-sim: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
