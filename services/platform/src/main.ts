import { startFleet } from '@parley/firmware-sim';
import { isAppError } from '@parley/errors';
import { createRootLogger } from '@parley/logger';
import { loadConfig, runsAllRoles } from './config';
import { ensureDemoFleet } from './demo-fleet';
import { clusterBanner } from './banner';
import { startPlatform } from './app';
import { startRoles } from './roles/start-roles';

/** `npm start`: the embedded platform plus a simulated fleet, until Ctrl-C. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(isAppError(err) && err.code === 'help' ? 0 : 2);
  }
  const logger = createRootLogger({ level: config.logLevel, base: { service: 'parley' } });
  if (!runsAllRoles(config)) return runRoles(config, logger);
  const embedded = !config.kafkaBrokers && !config.clickhouseUrl && !config.databaseUrl && !config.redisUrl;
  const platform = await startPlatform(config, logger);

  const devices = config.sim ? await ensureDemoFleet(platform.registry, config.dataDir, config.simDevices, logger) : [];
  const fleet =
    devices.length > 0
      ? await startFleet({ brokerUrl: platform.mqttUrl, devices, messagesPerSecond: config.simRate, log: logger.child({ component: 'sim' }) })
      : null;

  const example = devices[0]?.id ?? '<device-id>';
  process.stdout.write(
    [
      '',
      embedded ? 'Parley is running (embedded mode).' : 'Parley is running (every role in one process, on the configured servers).',
      `  API        ${platform.httpUrl}        (OpenAPI: ${platform.httpUrl}/openapi.json)`,
      `  MQTT       ${platform.mqttUrl}`,
      `  Data dir   ${config.dataDir}`,
      `  Simulator  ${fleet ? `${devices.length} devices, ${config.simRate} msgs/s` : 'off'}`,
      `  Token      ${platform.token}`,
      '',
      'Try:',
      `  curl -H 'Authorization: Bearer ${platform.token}' '${platform.httpUrl}/v1/devices'`,
      `  curl -H 'Authorization: Bearer ${platform.token}' -H 'X-Parley-Justification: support-case:1' '${platform.httpUrl}/v1/devices/${example}/conversation?limit=5'`,
      '',
      `Be an owner: claim ${example} with its claim code from ${config.dataDir}/demo-fleet.json (README: "Owners and sharing").`,
      '',
      'Ctrl-C stops cleanly.',
      '',
    ].join('\n'),
  );

  const status =
    config.statusIntervalMs > 0
      ? setInterval(() => {
          const b = platform.broker.stats();
          const i = platform.ingester.stats();
          logger.info({ component: 'status', connected: b.connected, accepted: b.accepted, deadLettered: b.deadLettered, ingested: i.uplinks, ingestP99Ms: i.latencyP99Ms }, 'status');
        }, config.statusIntervalMs)
      : null;

  stopOnSignal(logger, 'shutting down: stopping simulator, broker, then draining the ingester', async () => {
    if (status) clearInterval(status);
    await fleet?.stop();
    await platform.stop();
  });
}

/**
 * A process of the cluster mode (or the whole platform on servers): the roles PARLEY_ROLES names,
 * no simulator (it runs as its own process, `npm run sim`), until SIGINT/SIGTERM.
 */
async function runRoles(config: ReturnType<typeof loadConfig>, logger: ReturnType<typeof createRootLogger>): Promise<void> {
  const log = logger.child({ roles: config.roles.join(',') });
  const running = await startRoles(config, log);
  process.stdout.write(clusterBanner(config, running));
  const status =
    config.statusIntervalMs > 0 && (running.broker || running.ingester)
      ? setInterval(() => {
          const b = running.broker?.stats();
          const i = running.ingester?.stats();
          log.info({ component: 'status', ...(b ? { connected: b.connected, accepted: b.accepted, appendFailures: b.appendFailures } : {}), ...(i ? { ingested: i.uplinks, ingestP99Ms: i.latencyP99Ms } : {}) }, 'status');
        }, config.statusIntervalMs)
      : null;
  stopOnSignal(log, 'shutting down', async () => {
    if (status) clearInterval(status);
    await running.stop();
  });
}

/** On the first SIGINT/SIGTERM: runs `stop`, then exits 0 (or 1 if stopping failed). */
function stopOnSignal(log: ReturnType<typeof createRootLogger>, message: string, stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, message);
    try {
      await stop();
      log.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`parley: ${isAppError(err) ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
