import type { FastifyPluginAsync } from 'fastify';
import { ownPeriods } from '../access/owner-period';
import type { ApiDeps } from '../deps';
import { deviceParams, errorResponses, pageQuery } from '../params';
import { principalOf } from '../principal';

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    at: { type: 'string', format: 'date-time' },
    accountId: { type: 'string' },
    kind: { type: 'string', description: 'manufacturer, owner, grantee, or destination (data you had pushed: purpose "sent to <name>")' },
    role: { type: 'string' },
    route: { type: 'string' },
    purpose: { type: 'string', description: 'The justification, the grant purpose, or "owner"' },
    grantId: { type: ['string', 'null'] },
    records: { type: ['integer', 'null'], description: 'Deliveries: records sent to the destination in this row (one row per destination and minute)' },
    periodId: { type: ['string', 'null'] },
  },
} as const;

export const accessLogRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Params: { id: string }; Querystring: { limit?: number; cursor?: string } }>(
    '/v1/devices/:id/access-log',
    {
      config: { access: ['owner'] },
      schema: {
        summary: 'Who read this device\'s data during your ownership, when, in which role and why',
        description: 'Every read by manufacturer engineers (with their justification), grantees (with the grant purpose) and your household. Newest first.',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: pageQuery(500),
        response: { 200: { type: 'object', properties: { entries: { type: 'array', items: entrySchema }, nextCursor: { type: ['string', 'null'] } } }, ...errorResponses },
      },
    },
    async (req) => {
      const periods = await ownPeriods(deps, principalOf(req), req.params.id);
      return deps.registry.accessLog.list({
        deviceId: req.params.id,
        periodIds: periods.map((x) => x.id),
        limit: req.query.limit ?? 100,
        ...(req.query.cursor ? { before: req.query.cursor } : {}),
      });
    },
  );
};
