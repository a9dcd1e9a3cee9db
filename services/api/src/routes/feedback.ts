import type { FastifyPluginAsync } from 'fastify';
import { requireFleetJustification } from '../access/justification';
import type { ApiDeps } from '../deps';
import { errorResponses, MAX_FLEET_RANGE_DAYS, parseRange, rangeQuery } from '../params';
import { principalOf } from '../principal';
import { noteCategory } from '../voice-schemas';

type Query = { from?: string; to?: string; model?: string; tag?: string; firmware?: string; bucket?: 'day' | 'week'; justification?: string };

export const feedbackRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Querystring: Query }>(
    '/v1/fleet/feedback',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: "Owners' notes per day or week, category, model and firmware (the firmware the device ran when the note was written)",
        description:
          'Counts notes by the moment they are pinned to; withdrawn notes are left out, and so are devices whose owner opted out of fleet analytics and notes ' +
          'written in an opted-out ownership. A group with fewer than k devices (PARLEY_K_ANONYMITY) is suppressed and only counted. ' +
          "A note's own text and the telemetry around it are per-device reads (GET /v1/devices/:id/notes, /v1/notes/:noteId/context) with a justification. " +
          'Needs justification fleet-analytics or quality-investigation.',
        tags: ['fleet'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...rangeQuery,
            model: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,47}$' },
            tag: { type: 'string', pattern: '^[a-z0-9][a-z0-9_.:-]{0,63}$', description: 'Cohort tag, e.g. region:eu-west' },
            firmware: { type: 'string', maxLength: 32 },
            bucket: { type: 'string', enum: ['day', 'week'], default: 'day' },
            justification: { type: 'string', maxLength: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
              bucket: { type: 'string' },
              minDevices: { type: 'integer' },
              excludedDevices: { type: 'integer', description: 'Opted-out devices left out' },
              suppressedGroups: { type: 'integer' },
              groups: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    time: { type: 'string', format: 'date-time' },
                    category: noteCategory,
                    model: { type: 'string' },
                    firmware: { type: 'string' },
                    notes: { type: 'integer' },
                    devices: { type: 'integer' },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const justification = requireFleetJustification(req, req.query.justification);
      req.log.info({ route: req.routeOptions.url, justification: justification.text, account: principalOf(req).accountId }, 'fleet query');
      const { fromMs, toMs } = parseRange(req.query, Date.now(), MAX_FLEET_RANGE_DAYS);
      const { model, tag, firmware } = req.query;
      const bucket = req.query.bucket ?? 'day';
      const excludeDevices = await deps.registry.ownership.fleetOptOuts();
      const { rows, suppressedGroups } = await deps.registry.notes.counts({
        fromMs,
        toMs,
        bucket,
        excludeDevices,
        minDevices: deps.policy.kAnonymity,
        ...(model ? { model } : {}),
        ...(tag ? { tag } : {}),
        ...(firmware ? { firmware } : {}),
      });
      return {
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        bucket,
        minDevices: deps.policy.kAnonymity,
        excludedDevices: excludeDevices.length,
        suppressedGroups,
        groups: rows,
      };
    },
  );
};
