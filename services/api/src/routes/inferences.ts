import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError, ValidationError } from '@parley/errors';
import type { Evidence, InferenceStatus } from '@parley/registry';
import { deviceScope, OPEN_END_MS, scopeQuery, type ScopeQuery } from '../access/device-scope';
import { currentOwnPeriod } from '../access/owner-period';
import type { ApiDeps } from '../deps';
import { deviceParams, errorResponses } from '../params';
import { principalOf } from '../principal';
import { idParams, inferenceSchema } from '../schemas';

export const inferenceRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post<{ Params: { id: string }; Body: { code: string; title: string; detail: string; evidence: Evidence[] } }>(
    '/v1/devices/:id/inferences',
    {
      config: { access: ['manufacturer:operator'] },
      schema: {
        summary: 'Record what the manufacturer believes about this device, with its evidence; the owner sees it and can dispute it',
        tags: ['inferences'],
        security: [{ bearer: [] }],
        params: deviceParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['code', 'title', 'detail', 'evidence'],
          properties: {
            code: { type: 'string', pattern: '^[a-z][a-z0-9_.-]{1,63}$' },
            title: { type: 'string', minLength: 1, maxLength: 200 },
            detail: { type: 'string', minLength: 1, maxLength: 4000 },
            evidence: {
              type: 'array',
              minItems: 1,
              maxItems: 50,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['kind', 'ref'],
                properties: {
                  kind: { type: 'string', enum: ['uplink', 'metric', 'event', 'url'] },
                  ref: { type: 'string', minLength: 1, maxLength: 500 },
                  from: { type: 'string', maxLength: 40 },
                  to: { type: 'string', maxLength: 40 },
                  note: { type: 'string', maxLength: 500 },
                },
              },
            },
          },
        },
        response: { 201: inferenceSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const device = await deps.registry.getDevice(req.params.id);
      if (!device) throw new NotFoundError('device_not_found', `No device "${req.params.id}".`);
      reply.status(201);
      return deps.registry.inferences.create({ deviceId: device.id, ...req.body, authorId: principalOf(req).accountId });
    },
  );

  app.get<{ Params: { id: string }; Querystring: ScopeQuery }>(
    '/v1/devices/:id/inferences',
    {
      config: { access: ['owner', 'manufacturer'] },
      schema: {
        summary: 'Inferences about this device with their disputes and responses (owners: made during their period)',
        tags: ['inferences'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: { type: 'object', additionalProperties: false, properties: { period: scopeQuery.period, justification: scopeQuery.justification } },
        response: { 200: { type: 'object', properties: { inferences: { type: 'array', items: inferenceSchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      const scope = await deviceScope(deps, req, req.params.id, 'inferences', req.query);
      const w = scope.window ?? { fromMs: 0, toMs: OPEN_END_MS };
      return { inferences: await deps.registry.inferences.ofDevice(req.params.id, w.fromMs, w.toMs) };
    },
  );

  app.post<{ Params: { inferenceId: string }; Body: { kind: 'dispute' | 'annotation' | 'response'; body: string; status?: InferenceStatus } }>(
    '/v1/inferences/:inferenceId/notes',
    {
      config: { access: ['owner:co-owner', 'manufacturer:operator'] },
      schema: {
        summary: 'Answer an inference: owners dispute or annotate it, the manufacturer responds (and may set upheld, corrected or withdrawn)',
        tags: ['inferences'],
        security: [{ bearer: [] }],
        params: idParams('inferenceId'),
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'body'],
          properties: {
            kind: { type: 'string', enum: ['dispute', 'annotation', 'response'] },
            body: { type: 'string', minLength: 1, maxLength: 4000 },
            status: { type: 'string', enum: ['upheld', 'corrected', 'withdrawn'] },
          },
        },
        response: { 201: inferenceSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const inference = await deps.registry.inferences.get(req.params.inferenceId);
      const missing = () => new NotFoundError('inference_not_found', `No inference "${req.params.inferenceId}" you can answer.`);
      if (!inference) throw missing();
      if (p.kind === 'owner') {
        // Owners answer inferences made while they own the device.
        const period = await currentOwnPeriod(deps, p, inference.deviceId).catch(() => null);
        if (!period || inference.createdAt < period.startedAt) throw missing();
        if (req.body.kind === 'response') throw new ValidationError('invalid_note', 'Owners dispute or annotate; "response" is the manufacturer\'s.');
      } else if (req.body.kind !== 'response') {
        throw new ValidationError('invalid_note', 'The manufacturer answers with kind "response".');
      }
      reply.status(201);
      return deps.registry.inferences.addNote({
        inferenceId: inference.id,
        kind: req.body.kind,
        body: req.body.body,
        authorId: p.accountId,
        authorKind: p.kind,
        ...(req.body.status ? { status: req.body.status } : {}),
      });
    },
  );
};
