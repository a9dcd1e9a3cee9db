import { readFile } from 'node:fs/promises';
import { createServer as createHttpsServer } from 'node:https';
import type { FastifyInstance } from 'fastify';
import { buildApi, type CommandSender, type HealthReport, type LiveFeed } from '@parley/api';
import type { Logger } from '@parley/logger';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { Registry } from '@parley/registry';
import type { Store } from '@parley/store';
import type { PlatformConfig } from '../config';
import { portError } from './port-error';

/**
 * The API role: the HTTP API on its port. `live` only where an ingester runs in this process
 * (without it the live tail answers 503 live_unavailable); `commands` only where a broker is
 * reachable (this process's own, or the brokers' Redis).
 */
export async function startApiRole(
  config: PlatformConfig,
  deps: { metrics?: MetricsRegistry; logger: Logger; token: string; store: Store; registry: Registry; health: () => Promise<HealthReport>; live?: LiveFeed | undefined; commands?: CommandSender | undefined },
): Promise<{ api: FastifyInstance; httpPort: number }> {
  const api = await buildApi({
    logger: deps.logger,
    manufacturerToken: deps.token,
    store: deps.store,
    registry: deps.registry,
    health: deps.health,
    ...(deps.live ? { live: deps.live } : {}),
    ...(deps.commands ? { commands: deps.commands } : {}),
    policy: { kAnonymity: config.kAnonymity, emergencyCommandClasses: config.emergencyCommandClasses, deliveryAllowInsecureTargets: config.deliveryAllowInsecureTargets },
    requestsPerMinute: config.apiRequestsPerMinute,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
  });
  try {
    if (config.tlsCert && config.tlsKey) return { api, httpPort: await listenHttps(api, config, config.tlsCert, config.tlsKey) };
    await api.listen({ port: config.httpPort, host: config.httpHost }).catch((err: unknown) => {
      throw portError(err, 'PARLEY_HTTP_PORT');
    });
  } catch (err) {
    await api.close().catch(() => undefined);
    throw err;
  }
  const addr = api.server.address();
  return { api, httpPort: typeof addr === 'object' && addr ? addr.port : config.httpPort };
}

/**
 * HTTPS on PARLEY_HTTP_PORT: an https server hands each request to the built app's router
 * (`fastify.routing`), so the API is built the same way with or without TLS. Closing the app
 * closes the server.
 */
async function listenHttps(api: FastifyInstance, config: PlatformConfig, certPath: string, keyPath: string): Promise<number> {
  const server = createHttpsServer({ cert: await readFile(certPath), key: await readFile(keyPath), minVersion: 'TLSv1.2' }, (req, res) => api.routing(req, res));
  api.addHook('onClose', (_instance, done) => {
    server.closeAllConnections();
    server.close(() => done());
  });
  await api.ready();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(portError(err, 'PARLEY_HTTP_PORT')));
    server.listen(config.httpPort, config.httpHost, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.httpPort;
  api.log.info({ port, host: config.httpHost }, 'HTTPS API listening');
  return port;
}
