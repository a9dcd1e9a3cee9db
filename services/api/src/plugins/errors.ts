import type { FastifyError, FastifyInstance } from 'fastify';
import { RateLimitError, isAppError } from '@parley/errors';

/** Every error response has one shape: { error: { code, message, details? } }. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (isAppError(err)) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      if (err instanceof RateLimitError) reply.header('retry-after', String(err.retryAfterSeconds));
      return reply.status(err.status).send({ error: { code: err.code, message: err.message } });
    }
    if (err.validation) {
      return reply.status(400).send({
        error: {
          code: 'invalid_request',
          message: `Invalid ${err.validationContext ?? 'request'}: ${err.message}`,
          details: err.validation.map((v) => ({ path: v.instancePath || v.params?.['missingProperty'] || '', message: v.message })),
        },
      });
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ error: { code: err.code ?? 'bad_request', message: err.message } });
    }
    req.log.error({ err }, 'unexpected error');
    return reply.status(500).send({ error: { code: 'internal', message: 'Internal error; it has been logged.' } });
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send({ error: { code: 'route_not_found', message: `No route ${req.method} ${req.url.split('?')[0]}. See /openapi.json.` } });
  });
}
