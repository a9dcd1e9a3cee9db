import type { FastifyPluginAsync } from 'fastify';
import { deviceScope, OPEN_END_MS, scopeQuery, type ScopeQuery } from '../access/device-scope';
import { currentOwnPeriod } from '../access/owner-period';
import { principalOf } from '../principal';
import type { ApiDeps } from '../deps';
import { deviceInsights, HISTORY_DAYS } from '../insight/device-insights';
import { suggestions } from '../insight/rules';
import { inferenceSchema } from '../schemas';

/** Author of suggestions the insight engine records. */
const INSIGHT_AUTHOR = 'parley-insight';
import { deviceParams, errorResponses } from '../params';

const number = { type: ['number', 'null'] } as const;

export const insightRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Params: { id: string }; Querystring: ScopeQuery & { days?: number } }>(
    '/v1/devices/:id/insights',
    {
      config: { access: ['owner', 'manufacturer'] },
      schema: {
        summary: "Insight into one device: trends, unusual hours against its own history, and how it compares with similar devices",
        description:
          `Trends compare the last \`days\` days with the ones before; anomalies are hours of the last day whose mean has a robust z-score over 3.5 against the device's last ${HISTORY_DAYS} days; ` +
          'benchmarks place the device among consenting devices of the same model and firmware (shown only when that cohort has at least k devices). ' +
          'Owners get this for their own period only. Each finding links to the data behind it.',
        tags: ['insight'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { days: { type: 'integer', minimum: 1, maximum: 90, default: 7 }, period: scopeQuery.period, justification: scopeQuery.justification },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              deviceId: { type: 'string' },
              generatedAt: { type: 'string', format: 'date-time' },
              trends: { type: 'array', items: { type: 'object', properties: { metric: { type: 'string' }, days: { type: 'integer' }, recent: number, previous: number, change: number } } },
              anomalies: {
                type: 'array',
                items: { type: 'object', properties: { metric: { type: 'string' }, hour: { type: 'string', format: 'date-time' }, mean: { type: 'number' }, median: { type: 'number' }, z: { type: 'number' } } },
              },
              benchmarks: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    metric: { type: 'string' },
                    value: { type: 'number' },
                    percentile: { type: 'integer' },
                    cohortSize: { type: 'integer' },
                    cohortMedian: { type: 'number' },
                    cohortP25: { type: 'number' },
                    cohortP75: { type: 'number' },
                  },
                },
              },
              cohort: { type: 'object', properties: { model: { type: 'string' }, firmware: { type: 'string' }, devices: { type: 'integer' }, shown: { type: 'boolean' } } },
              findings: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { metric: { type: 'string' }, kind: { type: 'string' }, text: { type: 'string' }, evidence: { type: 'string', description: 'API path of the data behind it' } },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const scope = await deviceScope(deps, req, req.params.id, 'insights', req.query);
      const i = await deviceInsights(deps, scope, req.query.days ?? 7, req.log);
      return {
        deviceId: i.deviceId,
        generatedAt: i.generatedAt,
        trends: i.trends.map((x) => ({ ...x, previous: Number.isNaN(x.previous) ? null : x.previous })),
        anomalies: i.anomalies.map((x) => ({ ...x, hour: new Date(x.hour).toISOString() })),
        benchmarks: i.benchmarks,
        cohort: i.cohort,
        findings: i.findings,
      };
    },
  );

  app.post<{ Params: { id: string }; Querystring: ScopeQuery & { days?: number } }>(
    '/v1/devices/:id/suggestions',
    {
      config: { access: ['owner:co-owner', 'manufacturer:operator'] },
      schema: {
        summary: "Run the decision-help rules on this device's insights and record what they suggest as inferences",
        description:
          'Each suggestion becomes an inference (code suggestion.*, author "parley-insight") with its evidence, unless the same suggestion is already open or disputed; ' +
          'like any inference it is in the conversation and the owner can dispute or annotate it.',
        tags: ['insight'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: { type: 'object', additionalProperties: false, properties: { days: { type: 'integer', minimum: 1, maximum: 90, default: 7 }, justification: scopeQuery.justification } },
        response: { 200: { type: 'object', properties: { recorded: { type: 'array', items: inferenceSchema }, alreadyOpen: { type: 'array', items: { type: 'string' } } } }, ...errorResponses },
      },
    },
    async (req) => {
      // Owners act only on a device they own now: a previous owner cannot add entries to the next owner's timeline.
      const p = principalOf(req);
      const current = p.kind === 'owner' ? await currentOwnPeriod(deps, p, req.params.id) : null;
      const scope = await deviceScope(deps, req, req.params.id, 'suggestions', { ...req.query, ...(current ? { period: current.id } : {}) });
      const insights = await deviceInsights(deps, scope, req.query.days ?? 7, req.log);
      const existing = await deps.registry.inferences.ofDevice(req.params.id, scope.window?.fromMs ?? 0, OPEN_END_MS);
      const open = new Set(existing.filter((x) => x.status === 'open' || x.status === 'disputed').map((x) => x.code));
      const recorded = [];
      const alreadyOpen: string[] = [];
      for (const s of suggestions(insights)) {
        if (open.has(s.code)) {
          alreadyOpen.push(s.code);
          continue;
        }
        recorded.push(await deps.registry.inferences.create({ deviceId: req.params.id, code: s.code, title: s.title, detail: s.detail, evidence: s.evidence, authorId: INSIGHT_AUTHOR }));
      }
      return { recorded, alreadyOpen };
    },
  );
};
