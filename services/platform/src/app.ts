import type { FastifyInstance } from 'fastify';
import type { Broker } from '@parley/broker';
import { AppError } from '@parley/errors';
import type { Ingester } from '@parley/ingester';
import type { TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { Registry } from '@parley/registry';
import type { Store } from '@parley/store';
import { runsAllRoles, type PlatformConfig } from './config';
import { startRoles } from './roles/start-roles';

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

/**
 * The whole platform in one process: registry, log, store, ingester, MQTT broker and HTTP API.
 * With no URLs configured that is the embedded mode (PGlite, file log, chDB — one process, because
 * chDB and PGlite each lock their data directory); with URLs, the same parts on the servers.
 * A process running only some roles is started with `startRoles` (roles/start-roles.ts).
 */
export async function startPlatform(config: PlatformConfig, logger: Logger): Promise<Platform> {
  if (!runsAllRoles(config)) {
    throw new AppError('invalid_config', `startPlatform runs every role; PARLEY_ROLES=${config.roles.join(',')} is started with startRoles.`);
  }
  const running = await startRoles(config, logger);
  const { log, store, broker, ingester, api, mqttPort, httpPort, httpUrl, mqttUrl, token } = running;
  if (!log || !store || !broker || !ingester || !api || mqttPort === undefined || httpPort === undefined || !httpUrl || !mqttUrl || !token) {
    await running.stop();
    throw new AppError('internal', 'a part of the platform did not start');
  }
  return {
    mqttPort,
    httpPort,
    httpUrl,
    mqttUrl,
    token,
    registry: running.registry,
    log,
    store,
    broker,
    ingester,
    api,
    drain: (timeoutMs) => running.drain(timeoutMs),
    stop: () => running.stop(),
  };
}
