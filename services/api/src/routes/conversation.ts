import type { FastifyPluginAsync } from 'fastify';
import { clip, deviceScope, scopeQuery, type ScopeQuery } from '../access/device-scope';
import { conversationPage } from '../conversation/page';
import type { ApiDeps } from '../deps';
import { deviceParams, errorResponses, parseRange, rangeQuery } from '../params';

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

const relationshipItem = {
  type: 'object',
  properties: {
    kind: { type: 'string', const: 'relationship' },
    id: { type: 'string' },
    time,
    type: { type: 'string', description: 'claimed, transferred, released, grant_created, grant_revoked, inference, inference_disputed, command_proposed, command_approved, command_sent, command_acked, …' },
    actor: { type: 'string' },
    subjectId: { type: ['string', 'null'] },
    body: { type: 'object', additionalProperties: true },
  },
} as const;

export const conversationRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Params: { id: string }; Querystring: ScopeQuery & { from?: string; to?: string; limit?: number; order?: 'asc' | 'desc'; cursor?: string } }>(
    '/v1/devices/:id/conversation',
    {
      config: { access: ['manufacturer', 'owner', 'grantee'] },
      schema: {
        summary: "A device's conversation: what it said, what it was sent, and the relationship's own entries, in time order",
        description:
          'Uplink messages (with their samples, events and command results), downlink commands, and relationship entries ' +
          '(claims, transfers, grants, inferences, disputes, command approvals) merged by time. The owner and the manufacturer get ' +
          'the same rows for the same period; an owner sees only their own period(s), a grantee only what was granted. ' +
          'Re-sent messages appear once. Page with `cursor` (the previous page\'s `nextCursor`). Every call is in the access log.',
        tags: ['conversation'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...rangeQuery,
            ...scopeQuery,
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
              periodId: { type: ['string', 'null'] },
              items: { type: 'array', items: { oneOf: [uplinkItem, downlinkItem, relationshipItem] } },
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
      const scope = await deviceScope(deps, req, id, 'conversation', req.query);
      const page = await conversationPage(deps, scope, { fromMs, toMs, limit, order, ...(cursor ? { cursor } : {}) });
      const dlRange = clip({ fromMs, toMs }, scope.window);
      const deadLetters = scope.uplinksOnly || !dlRange ? 0 : await deps.store.countDeadLetters({ deviceId: id, ...dlRange });
      return { deviceId: id, from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString(), periodId: scope.period?.id ?? null, ...page, deadLetters };
    },
  );
};
