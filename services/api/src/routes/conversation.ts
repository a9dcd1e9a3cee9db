import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { deviceParams, errorResponses, parseRange, rangeQuery } from '../params';
import { requireDevice } from './devices';

const time = { type: 'string', format: 'date-time' } as const;
const uplinkItem = {
  type: 'object',
  properties: {
    kind: { type: 'string', const: 'uplink' },
    id: { type: 'string' },
    time,
    receivedAt: time,
    bootId: { type: 'string' },
    seq: { type: 'integer' },
    firmware: { type: 'string' },
    samples: { type: 'array', items: { type: 'object', properties: { metric: { type: 'string' }, value: { type: 'number' }, time } } },
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          code: { type: 'string' },
          severity: { type: 'string' },
          time,
          message: { type: 'string' },
          attributes: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
    commandResults: {
      type: 'array',
      items: { type: 'object', properties: { commandId: { type: 'string' }, status: { type: 'string' }, time, detail: { type: 'string' } } },
    },
  },
} as const;
const downlinkItem = {
  type: 'object',
  properties: {
    kind: { type: 'string', const: 'downlink' },
    id: { type: 'string' },
    time,
    commandId: { type: 'string' },
    type: { type: 'string' },
    expiresAt: { type: ['string', 'null'] },
    body: { type: 'object', additionalProperties: true },
    issuedBy: { type: 'string' },
  },
} as const;

export const conversationRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Params: { id: string }; Querystring: { from?: string; to?: string; limit?: number; order?: 'asc' | 'desc'; cursor?: string } }>(
    '/v1/devices/:id/conversation',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: "A device's conversation: what it said and what it was sent, in time order",
        description:
          'Uplink messages (with their samples, events and command results) and downlink commands, merged by device time. ' +
          'Re-sent messages appear once. Page with `cursor` (the previous page\'s `nextCursor`).',
        tags: ['conversation'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...rangeQuery,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
            cursor: { type: 'string', maxLength: 400 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              deviceId: { type: 'string' },
              from: time,
              to: time,
              items: { type: 'array', items: { oneOf: [uplinkItem, downlinkItem] } },
              nextCursor: { type: ['string', 'null'] },
              deadLetters: { type: 'integer', description: 'Payloads of this device in the range that were rejected' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { id } = req.params;
      const { limit = 100, order = 'desc', cursor } = req.query;
      const { fromMs, toMs } = parseRange(req.query);
      await requireDevice(deps, id);
      const page = await deps.store.conversation({ deviceId: id, fromMs, toMs, limit, order, ...(cursor ? { cursor } : {}) });
      const deadLetters = await deps.store.countDeadLetters({ deviceId: id, fromMs, toMs });
      return { deviceId: id, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), ...page, deadLetters };
    },
  );
};
