import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Registry } from 'prom-client';
import type { Logger } from '@parley/logger';
import './principal';
import type { ApiDeps } from './deps';
import { authPlugin } from './plugins/auth';
import { installErrorHandler } from './plugins/errors';
import { metricsPlugin } from './plugins/metrics';
import { securityHeaders } from './plugins/security-headers';
import { webPlugin } from './plugins/web';
import { conversationRoutes } from './routes/conversation';
import { deadLetterRoutes } from './routes/dead-letters';
import { deviceRoutes } from './routes/devices';
import { healthRoutes } from './routes/health';
import { metricRoutes } from './routes/metrics';
import { accessLogRoutes } from './routes/access-log';
import { accountRoutes } from './routes/accounts';
import { commandRoutes } from './routes/commands';
import { destinationRoutes } from './routes/destinations';
import { exportRoutes } from './routes/export';
import { fleetRoutes } from './routes/fleet';
import { grantRoutes } from './routes/grants';
import { inferenceRoutes } from './routes/inferences';
import { insightRoutes } from './routes/insights';
import { liveRoutes } from './routes/live';
import { ownershipRoutes } from './routes/ownership';
import { feedbackRoutes } from './routes/feedback';
import { ideaRoutes } from './routes/ideas';
import { noteRoutes } from './routes/notes';

export interface ApiOptions extends ApiDeps {
  logger: Logger;
  manufacturerToken: string;
  version?: string;
  /** Requests per minute per account before 429 (default 600). */
  requestsPerMinute?: number;
  /** Failed authentications per client address per minute before 429 (default 60). */
  authFailuresPerMinute?: number;
  /** Prometheus registry with the platform's collectors; `/metrics` serves it. */
  metrics?: Registry;
}

/** Builds the HTTP API without listening; `app.listen` or `app.inject` from there. */
export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; the cast only drops pino's extra generic.
    loggerInstance: options.logger.child({ component: 'api' }) as FastifyBaseLogger,
    bodyLimit: 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, allErrors: false } },
  });
  installErrorHandler(app);
  await app.register(securityHeaders);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Parley API',
        version: options.version ?? '0.1.0',
        description:
          "One API for a device's whole conversation with its manufacturer: the manufacturer's engineers, the device's owner (household) " +
          'and the third parties the owner granted access see the same rows, each within what they may see. Every read is in the owner-visible access log.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(authPlugin, {
    manufacturerToken: options.manufacturerToken,
    registry: options.registry,
    ...(options.requestsPerMinute ? { requestsPerMinute: options.requestsPerMinute } : {}),
    ...(options.authFailuresPerMinute ? { authFailuresPerMinute: options.authFailuresPerMinute } : {}),
  });
  await app.register(metricsPlugin, options.metrics ? { registry: options.metrics } : {});
  const deps: ApiDeps = {
    store: options.store,
    registry: options.registry,
    health: options.health,
    policy: options.policy,
    ...(options.commands ? { commands: options.commands } : {}),
    ...(options.live ? { live: options.live } : {}),
  };
  for (const routes of [
    healthRoutes,
    accountRoutes,
    deviceRoutes,
    ownershipRoutes,
    conversationRoutes,
    liveRoutes,
    metricRoutes,
    grantRoutes,
    destinationRoutes,
    accessLogRoutes,
    inferenceRoutes,
    noteRoutes,
    ideaRoutes,
    commandRoutes,
    fleetRoutes,
    feedbackRoutes,
    insightRoutes,
    exportRoutes,
    deadLetterRoutes,
  ]) {
    await app.register(routes, deps);
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.register(webPlugin);
  return app;
}
