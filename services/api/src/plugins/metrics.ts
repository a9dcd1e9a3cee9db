import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Histogram, Registry } from 'prom-client';

export interface MetricsOptions {
  /** The process's registry (platform collectors registered on it); a fresh one if absent. */
  registry?: Registry;
}

/**
 * Prometheus metrics: request latency per route (the route pattern, never the concrete URL, so
 * device ids do not explode the label set) and whatever the platform registered, served at
 * `GET /metrics` to manufacturer tokens (Prometheus sends `Authorization: Bearer …`).
 */
const plugin: FastifyPluginAsync<MetricsOptions> = async (app, opts) => {
  const registry = opts.registry ?? new Registry();
  const latency = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'API request duration by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    latency.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  app.get(
    '/metrics',
    {
      config: { access: ['manufacturer'] },
      schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['operations'], security: [{ bearer: [] }] },
    },
    async (_req, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    },
  );
};

export const metricsPlugin = fp(plugin, { name: 'parley-metrics' });
