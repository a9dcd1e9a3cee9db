import { startFleet } from '@parley/firmware-sim';
import { isAppError } from '@parley/errors';
import { createRootLogger } from '@parley/logger';
import { loadConfig } from './config';
import { ensureDemoFleet } from './demo-fleet';
import { startPlatform } from './app';

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
      'Parley is running (embedded mode).',
      `  API        ${platform.httpUrl}        (OpenAPI: ${platform.httpUrl}/openapi.json)`,
      `  MQTT       ${platform.mqttUrl}`,
      `  Data dir   ${config.dataDir}`,
      `  Simulator  ${fleet ? `${devices.length} devices, ${config.simRate} msgs/s` : 'off'}`,
      `  Token      ${platform.token}`,
      '',
      'Try:',
      `  curl -H 'Authorization: Bearer ${platform.token}' '${platform.httpUrl}/v1/devices'`,
      `  curl -H 'Authorization: Bearer ${platform.token}' '${platform.httpUrl}/v1/devices/${example}/conversation?limit=5'`,
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

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: stopping simulator, broker, then draining the ingester');
    if (status) clearInterval(status);
    try {
      await fleet?.stop();
      await platform.stop();
      logger.info('stopped cleanly');
      process.exit(0);
    } catch (err) {
      logger.error({ err }, 'shutdown failed');
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
