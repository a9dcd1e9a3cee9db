import type { FastifyPluginAsync } from 'fastify';
import { deviceScope, scopeQuery, type DeviceScope, type ScopeQuery } from '../access/device-scope';
import type { ApiDeps } from '../deps';
import { deviceIdParam, deviceParams, errorResponses, parseRange, rangeQuery } from '../params';

/** A grantee sees only granted metrics (`*` = all). */
const metricAllowed = (scope: DeviceScope, metric: string) => !scope.metrics || scope.metrics.includes('*') || scope.metrics.includes(metric);

/** At most this many buckets per response; a coarser bucket is chosen when none is given. */
const MAX_BUCKETS = 2000;
const DEFAULT_TARGET_BUCKETS = 500;

export const metricRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Params: { id: string }; Querystring: ScopeQuery & { from?: string; to?: string } }>(
    '/v1/devices/:id/metrics',
    {
      config: { access: ['manufacturer', 'owner', 'grantee'] },
      schema: {
        summary: 'Metrics a device reported in a time range',
        tags: ['metrics'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: { type: 'object', additionalProperties: false, properties: { ...rangeQuery, ...scopeQuery } },
        response: {
          200: {
            type: 'object',
            properties: {
              deviceId: { type: 'string' },
              metrics: { type: 'array', items: { type: 'object', properties: { metric: { type: 'string' }, count: { type: 'integer' } } } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { fromMs, toMs } = parseRange(req.query);
      const scope = await deviceScope(deps, req, id, 'metrics', req.query);
      const metrics = await deps.store.deviceMetrics({ deviceId: id, fromMs, toMs, ...(scope.window ? { window: scope.window } : {}) });
      return { deviceId: id, metrics: metrics.filter((m) => metricAllowed(scope, m.metric)) };
    },
  );

  app.get<{ Params: { id: string; metric: string }; Querystring: ScopeQuery & { from?: string; to?: string; bucket?: number } }>(
    '/v1/devices/:id/metrics/:metric',
    {
      config: { access: ['manufacturer', 'owner', 'grantee'] },
      schema: {
        summary: 'One metric of one device in time buckets (min/avg/max/last)',
        tags: ['metrics'],
        security: [{ bearer: [] }],
        params: {
          type: 'object',
          properties: { id: deviceIdParam, metric: { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$', maxLength: 64 } },
          required: ['id', 'metric'],
        },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...rangeQuery,
            ...scopeQuery,
            bucket: { type: 'integer', minimum: 1, maximum: 31 * 86400, description: 'Bucket width in seconds (default: range / 500)' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              deviceId: { type: 'string' },
              metric: { type: 'string' },
              bucketSeconds: { type: 'integer' },
              buckets: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    time: { type: 'string', format: 'date-time' },
                    count: { type: 'integer' },
                    min: { type: 'number' },
                    avg: { type: 'number' },
                    max: { type: 'number' },
                    last: { type: 'number' },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const { id, metric } = req.params;
      const { fromMs, toMs } = parseRange(req.query);
      const rangeSeconds = Math.ceil((toMs - fromMs) / 1000);
      const bucketSeconds = req.query.bucket ?? Math.max(1, Math.ceil(rangeSeconds / DEFAULT_TARGET_BUCKETS));
      if (rangeSeconds / bucketSeconds > MAX_BUCKETS) {
        return reply.status(400).send({
          error: {
            code: 'too_many_buckets',
            message: `That range in ${bucketSeconds}s buckets would be more than ${MAX_BUCKETS} buckets; use bucket >= ${Math.ceil(rangeSeconds / MAX_BUCKETS)} or a shorter range.`,
          },
        });
      }
      const scope = await deviceScope(deps, req, id, `metrics/${metric}`, req.query);
      if (!metricAllowed(scope, metric)) {
        return reply.status(403).send({ error: { code: 'metric_not_granted', message: `Your grant does not include "${metric}"; it covers: ${scope.metrics!.join(', ')}.` } });
      }
      return deps.store.metricSeries({ deviceId: id, metric, fromMs, toMs, bucketSeconds, ...(scope.window ? { window: scope.window } : {}) });
    },
  );
};
