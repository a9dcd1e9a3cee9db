import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';
import { fleetRequest, fleetScopeProps, fleetSummaryProps, type FleetScopeQs } from '../fleet/scope';
import { errorResponses } from '../params';
import { noteCategory } from '../voice-schemas';

export const feedbackRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Querystring: FleetScopeQs & { bucket?: 'day' | 'week' } }>(
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
          properties: { ...fleetScopeProps, bucket: { type: 'string', enum: ['day', 'week'], default: 'day' } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              ...fleetSummaryProps,
              bucket: { type: 'string' },
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
      const scope = await fleetRequest(deps, req);
      const bucket = req.query.bucket ?? 'day';
      const { rows, suppressedGroups } = await deps.registry.notes.counts({ ...scope, bucket, minDevices: deps.policy.kAnonymity });
      return {
        from: new Date(scope.fromMs).toISOString(),
        to: new Date(scope.toMs).toISOString(),
        bucket,
        minDevices: deps.policy.kAnonymity,
        excludedDevices: scope.excludeDevices.length,
        suppressedGroups,
        groups: rows,
      };
    },
  );
};
