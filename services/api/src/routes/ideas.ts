import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError, ValidationError } from '@parley/errors';
import type { IdeaStatus, VoteValue } from '@parley/registry';
import { requireFleetJustification } from '../access/justification';
import { currentOwnPeriod } from '../access/owner-period';
import type { ApiDeps } from '../deps';
import { deviceIdParam, errorResponses } from '../params';
import { principalOf, type Principal } from '../principal';
import { idParams } from '../schemas';
import { cohortSchema, ideaDetailSchema, ideaSchema, ideaStatus, voiceText } from '../voice-schemas';

const MODEL = { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,47}$' } as const;
const ideaIdParams = idParams('ideaId');
const voteParams = { type: 'object', properties: { ...ideaIdParams.properties, deviceId: deviceIdParam }, required: ['ideaId', 'deviceId'] } as const;

export const ideaRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const k = () => deps.policy.kAnonymity;
  const missing = (id: string) => new NotFoundError('idea_not_found', `No idea "${id}" for a model you own.`);

  /** The models of the devices the caller's household owns now (ideas are for current owners). */
  async function ownedModels(p: Principal): Promise<string[]> {
    if (p.kind !== 'owner') return [];
    const open = (await deps.registry.ownership.ofOwner(p.ownerId)).filter((x) => !x.endedAt);
    const devices = await Promise.all(open.map((x) => deps.registry.getDevice(x.deviceId)));
    return [...new Set(devices.flatMap((d) => (d ? [d.model] : [])))];
  }

  /** The idea if the caller may see it: engineers all, owners those of a model they own. */
  async function visibleIdea(p: Principal, id: string) {
    const idea = await deps.registry.ideas.get(id, { accountId: p.accountId, ...(p.kind === 'owner' ? { ownerId: p.ownerId } : {}) }, k());
    if (!idea || (p.kind === 'owner' && !(await ownedModels(p)).includes(idea.model))) throw missing(id);
    return idea;
  }

  app.get<{ Querystring: { model?: string; status?: IdeaStatus } }>(
    '/v1/ideas',
    {
      config: { access: ['owner', 'manufacturer'] },
      schema: {
        summary: 'Ideas for a model with their vote tallies (owners: for the models they own)',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        querystring: { type: 'object', additionalProperties: false, properties: { model: MODEL, status: ideaStatus } },
        response: { 200: { type: 'object', properties: { ideas: { type: 'array', items: ideaSchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { model, status } = req.query;
      let models: string[] | undefined = model ? [model] : undefined;
      if (p.kind === 'owner') {
        const owned = await ownedModels(p);
        models = model ? owned.filter((m) => m === model) : owned;
      }
      return { ideas: models?.length === 0 ? [] : await deps.registry.ideas.list({ ...(models ? { models } : {}), ...(status ? { status } : {}) }, k()) };
    },
  );

  app.post<{ Body: { model?: string; deviceId?: string; title: string; body: string } }>(
    '/v1/ideas',
    {
      config: { access: ['owner:co-owner', 'manufacturer:operator'] },
      schema: {
        summary: 'Propose an idea for a model: engineers name the model, owners the device they propose it from',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['title', 'body'],
          properties: { model: MODEL, deviceId: deviceIdParam, title: { type: 'string', minLength: 3, maxLength: 200 }, body: voiceText(4000) },
        },
        response: { 201: ideaSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const { title, body } = req.body;
      let idea;
      if (p.kind === 'owner') {
        if (!req.body.deviceId) throw new ValidationError('device_required', 'Owners propose an idea from a device they own: send "deviceId"; the idea is for its model.');
        const period = await currentOwnPeriod(deps, p, req.body.deviceId);
        const device = (await deps.registry.getDevice(period.deviceId))!;
        idea = await deps.registry.ideas.create({ model: device.model, title, body, authorId: p.accountId, authorKind: 'owner', periodId: period.id }, k());
      } else {
        if (!req.body.model) throw new ValidationError('model_required', 'Send the "model" the idea is for.');
        idea = await deps.registry.ideas.create({ model: req.body.model, title, body, authorId: p.accountId, authorKind: 'manufacturer' }, k());
      }
      reply.status(201);
      return idea;
    },
  );

  app.get<{ Params: { ideaId: string } }>(
    '/v1/ideas/:ideaId',
    {
      config: { access: ['owner', 'manufacturer'] },
      schema: {
        summary: "An idea with its tally, comments, status updates and the caller's household's votes",
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: ideaIdParams,
        response: { 200: ideaDetailSchema, ...errorResponses },
      },
    },
    async (req) => visibleIdea(principalOf(req), req.params.ideaId),
  );

  app.put<{ Params: { ideaId: string; deviceId: string }; Body: { value: VoteValue } }>(
    '/v1/ideas/:ideaId/votes/:deviceId',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Vote (or change the vote) for a device you own: one vote per ownership of a device',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: voteParams,
        body: { type: 'object', additionalProperties: false, required: ['value'], properties: { value: { type: 'string', enum: ['up', 'down'] } } },
        response: { 200: ideaDetailSchema, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const period = await currentOwnPeriod(deps, p, req.params.deviceId);
      await deps.registry.ideas.vote({ ideaId: req.params.ideaId, periodId: period.id, accountId: p.accountId, value: req.body.value });
      return visibleIdea(p, req.params.ideaId);
    },
  );

  app.delete<{ Params: { ideaId: string; deviceId: string } }>(
    '/v1/ideas/:ideaId/votes/:deviceId',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: "Withdraw the vote of a device you own",
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: voteParams,
        response: { 200: ideaDetailSchema, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const period = await currentOwnPeriod(deps, p, req.params.deviceId);
      await deps.registry.ideas.unvote(req.params.ideaId, period.id);
      return visibleIdea(p, req.params.ideaId);
    },
  );

  app.post<{ Params: { ideaId: string }; Body: { text: string; deviceId?: string } }>(
    '/v1/ideas/:ideaId/comments',
    {
      config: { access: ['owner:co-owner', 'manufacturer:operator'] },
      schema: {
        summary: 'Comment on an idea (owners: from a device of its model they own)',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: ideaIdParams,
        body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: voiceText(4000), deviceId: deviceIdParam } },
        response: { 201: ideaDetailSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      let periodId: string | undefined;
      if (p.kind === 'owner') {
        if (!req.body.deviceId) throw new ValidationError('device_required', 'Owners comment from a device of the idea\'s model they own: send "deviceId".');
        periodId = (await currentOwnPeriod(deps, p, req.body.deviceId)).id;
      }
      await deps.registry.ideas.comment({ ideaId: req.params.ideaId, authorId: p.accountId, authorKind: p.kind, text: req.body.text, ...(periodId ? { periodId } : {}) });
      reply.status(201);
      return visibleIdea(p, req.params.ideaId);
    },
  );

  app.post<{ Params: { ideaId: string }; Body: { status: IdeaStatus; message: string } }>(
    '/v1/ideas/:ideaId/updates',
    {
      config: { access: ['manufacturer:operator'] },
      schema: {
        summary: "Set an idea's status with a message (\"shipped in 2.1\"): it appears in the conversation of every owned device of the model",
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: ideaIdParams,
        body: { type: 'object', additionalProperties: false, required: ['status', 'message'], properties: { status: ideaStatus, message: voiceText(1000) } },
        response: { 201: ideaSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const idea = await deps.registry.ideas.update({ ideaId: req.params.ideaId, status: req.body.status, message: req.body.message, authorId: principalOf(req).accountId }, k());
      reply.status(201);
      return idea;
    },
  );

  app.get<{ Params: { ideaId: string }; Querystring: { by?: 'firmware' | 'tag'; justification?: string } }>(
    '/v1/ideas/:ideaId/cohorts',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'Votes per cohort (firmware at voting time, or cohort tag), k-anonymous by household',
        description:
          'A group with fewer than k households (PARLEY_K_ANONYMITY) is suppressed and only counted. By firmware, suppressed groups and the votes of ' +
          'households that opted out of fleet analytics are merged into "other", which takes in further groups until it has k households ' +
          '(so no group can be recovered from the total). By tag, a tag is shown only when it and the rest both have 0 or at least k households. ' +
          'Needs justification fleet-analytics or quality-investigation.',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: ideaIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { by: { type: 'string', enum: ['firmware', 'tag'], default: 'firmware' }, justification: { type: 'string', maxLength: 100 } },
        },
        response: { 200: cohortSchema, ...errorResponses },
      },
    },
    async (req) => {
      requireFleetJustification(req, req.query.justification);
      return deps.registry.ideas.cohorts(req.params.ideaId, req.query.by ?? 'firmware', k());
    },
  );
};
