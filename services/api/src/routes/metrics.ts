import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { deviceIdParam, deviceParams, errorResponses, parseRange, rangeQuery } from '../params';
import { requireDevice } from './devices';

/** At most this many buckets per response; a coarser bucket is chosen when none is given. */
const MAX_BUCKETS = 2000;
const DEFAULT_TARGET_BUCKETS = 500;

export const metricRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string } }>(
    '/v1/devices/:id/metrics',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'Metrics a device reported in a time range',
        tags: ['metrics'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: { type: 'object', additionalProperties: false, properties: rangeQuery },
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
      await requireDevice(deps, id);
      return { deviceId: id, metrics: await deps.store.deviceMetrics({ deviceId: id, fromMs, toMs }) };
    },
  );

  app.get<{ Params: { id: string; metric: string }; Querystring: { from?: string; to?: string; bucket?: number } }>(
    '/v1/devices/:id/metrics/:metric',
    {
      config: { access: ['manufacturer'] },
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
      await requireDevice(deps, id);
      return deps.store.metricSeries({ deviceId: id, metric, fromMs, toMs, bucketSeconds });
    },
  );
};
