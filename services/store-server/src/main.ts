import { mkdir } from 'node:fs/promises';
import { isAppError } from '@parley/errors';
import { createRootLogger } from '@parley/logger';
import { createStoreServer } from './app';
import { loadConfig } from './config';

/** The development store server: owns a chDB data dir and answers ClickHouse's HTTP interface. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createRootLogger({ level: config.logLevel, base: { service: 'parley-store-server' } });
  await mkdir(config.dataDir, { recursive: true });
  const server = createStoreServer({ dataDir: config.dataDir, log: logger, password: config.password });
  const port = await server.listen(config.port, config.host);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  process.stdout.write(`\nParley store server (development stand-in for a ClickHouse server)\n  URL        http://${host}:${port}\n  Data dir   ${config.dataDir}\n\n`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

main().catch((err: unknown) => {
  process.stderr.write(`parley-store-server: ${isAppError(err) ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
