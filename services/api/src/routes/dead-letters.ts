import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { deviceIdParam, errorResponses, parseRange, rangeQuery } from '../params';

export const deadLetterRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Querystring: { deviceId?: string; reason?: string; from?: string; to?: string; limit?: number; cursor?: string } }>(
    '/v1/dead-letters',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'Payloads the platform rejected, newest first, with their reason and raw bytes',
        tags: ['dead letters'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            deviceId: deviceIdParam,
            reason: { type: 'string', pattern: '^[a-z_]{1,64}$' },
            ...rangeQuery,
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            cursor: { type: 'string', maxLength: 400 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    deviceId: { type: 'string' },
                    receivedAt: { type: 'string', format: 'date-time' },
                    topic: { type: 'string' },
                    reason: { type: 'string' },
                    detail: { type: 'string' },
                    rawSize: { type: 'integer' },
                    rawBase64: { type: 'string' },
                    rawTruncated: { type: 'boolean' },
                  },
                },
              },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { deviceId, reason, limit = 100, cursor } = req.query;
      const { fromMs, toMs } = parseRange(req.query);
      return deps.store.deadLetters({ fromMs, toMs, limit, ...(deviceId ? { deviceId } : {}), ...(reason ? { reason } : {}), ...(cursor ? { cursor } : {}) });
    },
  );
};
