import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApi, type HealthReport } from '@parley/api';
import { createBroker, type Broker } from '@parley/broker';
import { AppError } from '@parley/errors';
import { startIngester, type Ingester } from '@parley/ingester';
import { openFileLog, type TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import { openEmbeddedRegistry, type Registry } from '@parley/registry';
import { openStore, type Store } from '@parley/store';
import { localUrl, type PlatformConfig } from './config';
import { registryDirectory } from './device-directory';
import { manufacturerToken } from './secrets';

export interface Platform {
  readonly mqttPort: number;
  readonly httpPort: number;
  readonly httpUrl: string;
  readonly mqttUrl: string;
  readonly token: string;
  readonly registry: Registry;
  readonly log: TelemetryLog;
  readonly store: Store;
  readonly broker: Broker;
  readonly ingester: Ingester;
  readonly api: FastifyInstance;
  /** Waits until the ingester has caught up with the log (bounded), for clean shutdown and tests. */
  drain(timeoutMs?: number): Promise<boolean>;
  /** Stops accepting, lets the ingester catch up, closes everything. Idempotent. */
  stop(): Promise<void>;
}

const HOUR_MS = 3_600_000;

function portError(err: unknown, variable: string): unknown {
  if (err instanceof AppError && err.code === 'port_in_use') {
    return new AppError('port_in_use', `${err.message}. Set ${variable} to a free port (0 picks any free port).`, { cause: err });
  }
  if ((err as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    return new AppError('port_in_use', `Port in use. Set ${variable} to a free port (0 picks any free port).`, { cause: err });
  }
  return err;
}

/**
 * The embedded platform in one process: registry (PGlite), file log, store (chDB), ingester, MQTT
 * broker and HTTP API. One process because chDB and PGlite each lock their data directory.
 * Parts are opened in dependency order and closed in reverse; a failure half-way closes what opened.
 */
export async function startPlatform(config: PlatformConfig, logger: Logger): Promise<Platform> {
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        logger.error({ err }, 'error while shutting down');
      }
    }
    closers.length = 0;
  };
  try {
    await mkdir(config.dataDir, { recursive: true });
    const token = await manufacturerToken(config.dataDir, config.manufacturerToken);

    const registry = await openEmbeddedRegistry({ dataDir: join(config.dataDir, 'registry'), log: logger });
    closers.push(() => registry.close());

    const log = await openFileLog({
      dir: join(config.dataDir, 'log'),
      log: logger,
      retention: {
        ...(config.logRetentionBytes ? { maxBytes: config.logRetentionBytes } : {}),
        ...(config.logRetentionHours ? { maxAgeMs: config.logRetentionHours * HOUR_MS } : {}),
      },
    });
    closers.push(() => log.close());

    const store = await openStore({ location: { dataDir: join(config.dataDir, 'clickhouse') }, log: logger });
    closers.push(() => store.close());

    const ingester = await startIngester({
      log,
      store,
      logger,
      maxBatchRecords: config.ingestBatchRecords,
      maxBatchWaitMs: config.ingestBatchWaitMs,
      onFirmware: (deviceId, firmware) => registry.setFirmware(deviceId, firmware),
    });
    closers.push(() => ingester.stop());

    const broker = await createBroker({
      log,
      devices: registry,
      logger,
      limits: { maxPayloadBytes: config.maxPayloadBytes, connectsPerMinute: config.connectsPerMinute, connectBurst: Math.max(1, Math.ceil(config.connectsPerMinute / 2)) },
    });
    const mqttPort = await broker.listen(config.mqttPort, config.mqttHost).catch((err: unknown) => {
      throw portError(err, 'PARLEY_MQTT_PORT');
    });
    // Closing the broker first stops new appends; the ingester then drains what was acknowledged.
    closers.push(async () => {
      await broker.close();
      await drain(10_000);
    });

    async function drain(timeoutMs = 10_000): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if ((await log.lag('ingester')).lag === 0n) return true;
        await new Promise((r) => setTimeout(r, 25));
      }
      return false;
    }

    async function health(): Promise<HealthReport> {
      const storeOk = await store.ping().catch(() => false);
      const lag = await log.lag('ingester').then(
        (l) => ({ ok: true, detail: `ingester lag ${l.lag} records` }),
        (err: unknown) => ({ ok: false, detail: String(err) }),
      );
      const s = broker.stats();
      const components = {
        store: { ok: storeOk, detail: store.mode },
        log: lag,
        broker: { ok: true, detail: `${s.connected} devices connected` },
      };
      return { ok: Object.values(components).every((c) => c.ok), components };
    }

    const api = await buildApi({ logger, manufacturerToken: token, store, devices: registryDirectory(registry), health });
    closers.push(() => api.close());
    await api.listen({ port: config.httpPort, host: config.httpHost }).catch((err: unknown) => {
      throw portError(err, 'PARLEY_HTTP_PORT');
    });
    const addr = api.server.address();
    const httpPort = typeof addr === 'object' && addr ? addr.port : config.httpPort;

    let stopping: Promise<void> | null = null;
    return {
      mqttPort,
      httpPort,
      httpUrl: localUrl('http', config.httpHost, httpPort),
      mqttUrl: localUrl('mqtt', config.mqttHost, mqttPort),
      token,
      registry,
      log,
      store,
      broker,
      ingester,
      api,
      drain,
      stop() {
        stopping ??= closeAll();
        return stopping;
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
