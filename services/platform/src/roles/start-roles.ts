import { mkdir } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { createLiveFeed, type HealthReport } from '@parley/api';
import type { Broker } from '@parley/broker';
import type { Delivery } from '@parley/delivery';
import type { Ingester } from '@parley/ingester';
import { INGESTER_GROUP } from '@parley/ingester';
import type { TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { Registry } from '@parley/registry';
import type { Store } from '@parley/store';
import { commandSender } from '../command-sender';
import { localUrl, type PlatformConfig, type Role } from '../config';
import { manufacturerToken } from '../secrets';
import { describeModes, openDeadLetterLogFor, openLogFor, openRegistryFor, openStoreFor } from './adapters';
import { startApiRole } from './api-role';
import { startBrokerRole } from './broker-role';
import { Closers } from './closers';
import { openDownlinkBroker } from './downlink-broker';
import { startDeliveryRole } from './delivery-role';
import { startIngesterRole } from './ingester-role';
import { platformMetrics } from '../metrics';
import { startMetricsServer } from './metrics-server';

/** What one process runs: the parts of the roles it was given, the others absent. */
export interface RunningRoles {
  readonly roles: readonly Role[];
  readonly modes: ReturnType<typeof describeModes>;
  readonly registry: Registry;
  readonly log?: TelemetryLog;
  readonly store?: Store;
  /** The listening broker (broker role). */
  readonly broker?: Broker;
  readonly ingester?: Ingester;
  /** Owner-directed push (delivery role). */
  readonly delivery?: Delivery;
  readonly api?: FastifyInstance;
  readonly mqttPort?: number;
  readonly mqttUrl?: string;
  readonly httpPort?: number;
  readonly httpUrl?: string;
  /** The manufacturer token (api role). */
  readonly token?: string;
  /** Where this process serves `/metrics` when it has no API (PARLEY_METRICS_PORT). */
  readonly metricsUrl?: string;
  /** Waits until the ingester has caught up with the log (bounded); true at once without an ingester here. */
  drain(timeoutMs?: number): Promise<boolean>;
  /** Stops accepting, lets this process's ingester catch up, closes everything. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the roles `config.roles` names, on the adapters the config's URLs select. Parts open in
 * dependency order (registry, log, store, ingester, delivery, broker, API) and close in reverse; a failure
 * half-way closes what opened. With every role and no URL this is the embedded platform.
 */
export async function startRoles(config: PlatformConfig, logger: Logger): Promise<RunningRoles> {
  const has = (r: Role) => config.roles.includes(r);
  const closers = new Closers(logger);
  try {
    await mkdir(config.dataDir, { recursive: true });
    const token = has('api') ? await manufacturerToken(config.dataDir, config.manufacturerToken) : undefined;

    const registry = await openRegistryFor(config, logger);
    closers.push(() => registry.close());

    let log: TelemetryLog | undefined;
    if (has('broker') || has('ingester') || has('delivery')) {
      log = await openLogFor(config, logger, `parley-${config.roles.join('-')}`);
      const opened = log;
      closers.push(() => opened.close());
    }

    let store: Store | undefined;
    if (has('ingester') || has('api')) {
      store = await openStoreFor(config, logger);
      const opened = store;
      closers.push(() => opened.close());
    }

    // The live tail is fed by this process's ingester; an API process without one has none.
    const live = has('ingester') && has('api') ? createLiveFeed() : undefined;
    let ingester: Ingester | undefined;
    if (has('ingester')) {
      const deadLetterLog = await openDeadLetterLogFor(config, logger, `parley-${config.roles.join('-')}`);
      if (deadLetterLog) closers.push(() => deadLetterLog.close());
      ingester = await startIngesterRole(config, { log: log!, store: store!, registry, logger, live, deadLetterLog });
      const started = ingester;
      closers.push(() => started.stop());
    }

    // Delivery reads the log in its own group: a slow destination never holds the ingester back.
    let delivery: Delivery | undefined;
    if (has('delivery')) {
      delivery = await startDeliveryRole(config, { log: log!, registry, logger });
      const started = delivery;
      closers.push(() => started.stop());
    }

    async function drain(timeoutMs = 10_000): Promise<boolean> {
      if (!ingester || !log) return true;
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if ((await log.lag(INGESTER_GROUP)).lag === 0n) return true;
        await new Promise((r) => setTimeout(r, 25));
      }
      return false;
    }

    let broker: Broker | undefined;
    let mqttPort: number | undefined;
    if (has('broker')) {
      ({ broker, mqttPort } = await startBrokerRole(config, { log: log!, registry, logger }));
      const started = broker;
      // Closing the broker first stops new appends; this process's ingester then drains what was acknowledged.
      closers.push(async () => {
        await started.close();
        await drain(10_000);
      });
    }

    let api: FastifyInstance | undefined;
    let httpPort: number | undefined;
    if (has('api')) {
      const downlinks = broker ?? (await openDownlinkBroker(config, { registry, logger }));
      if (downlinks && downlinks !== broker) closers.push(() => downlinks.close());
      const health = healthCheck({ store: store!, log, ingester, broker, downlinks });
      ({ api, httpPort } = await startApiRole(config, {
        metrics: platformMetrics({ broker, ingester, log, delivery, registry }),
        logger,
        token: token!,
        store: store!,
        registry,
        health,
        live,
        commands: downlinks ? commandSender(downlinks, store!) : undefined,
      }));
      const started = api;
      closers.push(() => started.close());
    }

    // A process without the API serves its metrics on PARLEY_METRICS_PORT, if one is set.
    let metricsUrl: string | undefined;
    if (!has('api') && config.metricsPort !== undefined && (broker || ingester || delivery)) {
      const server = await startMetricsServer(platformMetrics({ broker, ingester, log, delivery, registry }), config.metricsPort, config.metricsHost, logger);
      closers.push(() => server.close());
      metricsUrl = server.url;
    }

    let stopping: Promise<void> | null = null;
    return {
      roles: config.roles,
      modes: describeModes(config),
      registry,
      ...(log ? { log } : {}),
      ...(store ? { store } : {}),
      ...(broker ? { broker, mqttPort, mqttUrl: localUrl('mqtt', config.mqttHost, mqttPort!) } : {}),
      ...(ingester ? { ingester } : {}),
      ...(delivery ? { delivery } : {}),
      ...(api ? { api, httpPort, httpUrl: localUrl(config.tlsCert ? 'https' : 'http', config.httpHost, httpPort!), token } : {}),
      ...(metricsUrl ? { metricsUrl } : {}),
      drain,
      stop() {
        stopping ??= closers.closeAll();
        return stopping;
      },
    };
  } catch (err) {
    await closers.closeAll();
    throw err;
  }
}

/** Readiness of the parts this process has: the store, the ingester's lag, the broker. */
function healthCheck(parts: { store: Store; log?: TelemetryLog | undefined; ingester?: Ingester | undefined; broker?: Broker | undefined; downlinks?: Broker | undefined }) {
  return async (): Promise<HealthReport> => {
    const components: HealthReport['components'] = {};
    components.store = { ok: await parts.store.ping().catch(() => false), detail: parts.store.mode };
    if (parts.log && parts.ingester) {
      components.log = await parts.log.lag(INGESTER_GROUP).then(
        (l) => ({ ok: true, detail: `ingester lag ${l.lag} records` }),
        (err: unknown) => ({ ok: false, detail: String(err) }),
      );
    }
    if (parts.broker) {
      components.broker = { ok: true, detail: `${parts.broker.stats().connected} devices connected` };
    } else if (parts.downlinks) {
      components.broker = { ok: true, detail: 'downlinks through the brokers\' Redis' };
    }
    return { ok: Object.values(components).every((c) => c.ok), components };
  };
}
