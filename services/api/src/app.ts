import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import type { Logger } from '@parley/logger';
import './principal';
import type { ApiDeps } from './deps';
import { authPlugin } from './plugins/auth';
import { installErrorHandler } from './plugins/errors';
import { conversationRoutes } from './routes/conversation';
import { deadLetterRoutes } from './routes/dead-letters';
import { deviceRoutes } from './routes/devices';
import { healthRoutes } from './routes/health';
import { metricRoutes } from './routes/metrics';

export interface ApiOptions extends ApiDeps {
  logger: Logger;
  manufacturerToken: string;
  version?: string;
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
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Parley API',
        version: options.version ?? '0.1.0',
        description: "One API for a device's whole conversation with its manufacturer, for the manufacturer and (soon) the owner.",
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });
  await app.register(authPlugin, { manufacturerToken: options.manufacturerToken });
  const deps: ApiDeps = { store: options.store, devices: options.devices, health: options.health };
  await app.register(healthRoutes, deps);
  await app.register(deviceRoutes, deps);
  await app.register(conversationRoutes, deps);
  await app.register(metricRoutes, deps);
  await app.register(deadLetterRoutes, deps);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}
