import type { FastifyPluginAsync } from 'fastify';
import { ConflictError, NotFoundError, ValidationError } from '@parley/errors';
import type { CommandKind } from '@parley/registry';
import { deviceScope, OPEN_END_MS, scopeQuery, type ScopeQuery } from '../access/device-scope';
import { currentOwnPeriod } from '../access/owner-period';
import { commandBody, type CommandInput } from '../commands/body';
import { deliver } from '../commands/deliver';
import type { ApiDeps } from '../deps';
import { deviceIdParam, deviceParams, errorResponses } from '../params';
import { principalOf } from '../principal';
import { commandSchema, idParams } from '../schemas';

const stringMap = { type: 'object', maxProperties: 32, additionalProperties: { type: 'string', maxLength: 256 } } as const;

export const commandRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post<{ Params: { id: string }; Body: CommandInput & { class: string; kind: CommandKind; reason: string; ttlSeconds?: number; emergency?: boolean } }>(
    '/v1/devices/:id/commands',
    {
      config: { access: ['manufacturer:operator'] },
      schema: {
        summary: 'Propose a command, configuration change or firmware offer; it is sent once the owner approves',
        description:
          'Sent at once when the device is unowned, the owner has a standing policy for the class, or it is an emergency of a configured emergency class ' +
          '(always shown to the owner). Otherwise it waits as "pending" for the owner. Every state change is in the conversation.',
        tags: ['commands'],
        security: [{ bearer: [] }],
        params: deviceParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['class', 'kind', 'reason'],
          properties: {
            class: { type: 'string', pattern: '^[a-z][a-z0-9_.-]{1,47}$', description: 'What owners approve or set policies for, e.g. "defrost"' },
            kind: { type: 'string', enum: ['command', 'config', 'firmware_offer'] },
            reason: { type: 'string', minLength: 3, maxLength: 500, description: 'Shown to the owner' },
            ttlSeconds: { type: 'integer', minimum: 60, maximum: 30 * 86400, default: 86400 },
            emergency: { type: 'boolean', default: false },
            name: { type: 'string', maxLength: 64 },
            params: stringMap,
            settings: stringMap,
            version: { type: 'string', maxLength: 32 },
            url: { type: 'string', maxLength: 2048 },
            sha256: { type: 'string', maxLength: 64 },
          },
        },
        response: { 201: commandSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const device = await deps.registry.getDevice(req.params.id);
      if (!device) throw new NotFoundError('device_not_found', `No device "${req.params.id}".`);
      const emergency = b.emergency === true;
      if (emergency && !deps.policy.emergencyCommandClasses.includes(b.class)) {
        throw new ValidationError(
          'not_emergency_class',
          `"${b.class}" is not a configured emergency class (${deps.policy.emergencyCommandClasses.join(', ') || 'none configured'}); propose it normally and the owner decides.`,
        );
      }
      const body = commandBody(b.kind, b);
      const proposed = await deps.registry.commands.propose({
        deviceId: device.id,
        class: b.class,
        kind: b.kind,
        body: body as unknown as Record<string, unknown>,
        reason: b.reason,
        emergency,
        proposedBy: principalOf(req).accountId,
        expiresAt: new Date(Date.now() + (b.ttlSeconds ?? 86400) * 1000),
      });
      req.log.info({ deviceId: device.id, command: proposed.id, state: proposed.state, approval: proposed.approval }, 'command proposed');
      reply.status(201);
      return deliver(deps, proposed, req.log);
    },
  );

  for (const decision of ['approve', 'decline'] as const) {
    app.post<{ Params: { commandId: string } }>(
      `/v1/commands/:commandId/${decision}`,
      {
        config: { access: ['owner:co-owner'] },
        schema: {
          summary: decision === 'approve' ? 'Approve a pending command: it is sent to the device now' : 'Decline a pending command: it is never sent',
          tags: ['commands'],
          security: [{ bearer: [] }],
          params: idParams('commandId'),
          response: { 200: commandSchema, ...errorResponses, 409: errorResponses[400] },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const command = await deps.registry.commands.get(req.params.commandId);
        if (!command) throw new NotFoundError('command_not_found', `No command "${req.params.commandId}" for a device you own.`);
        const period = await currentOwnPeriod(deps, p, command.deviceId).catch(() => null);
        if (!period || command.periodId !== period.id) throw new NotFoundError('command_not_found', `No command "${req.params.commandId}" for a device you own.`);
        if (command.state === 'expired') throw new ConflictError('command_not_pending', 'This command expired before anyone decided on it.');
        const decided = await deps.registry.commands.decide(command.id, decision, p.accountId);
        return decision === 'approve' ? deliver(deps, decided, req.log) : decided;
      },
    );
  }

  app.get<{ Params: { id: string }; Querystring: ScopeQuery }>(
    '/v1/devices/:id/commands',
    {
      config: { access: ['owner', 'manufacturer'] },
      schema: {
        summary: 'Commands proposed for this device and their state (owners: in their period)',
        tags: ['commands'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: { type: 'object', additionalProperties: false, properties: { period: scopeQuery.period, justification: scopeQuery.justification } },
        response: { 200: { type: 'object', properties: { commands: { type: 'array', items: commandSchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      const scope = await deviceScope(deps, req, req.params.id, 'commands', req.query);
      const w = scope.window ?? { fromMs: 0, toMs: OPEN_END_MS };
      return { commands: await deps.registry.commands.ofDevice(req.params.id, w.fromMs, w.toMs) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/command-policies',
    {
      config: { access: ['owner'] },
      schema: {
        summary: 'Command classes you approved in advance for this device',
        tags: ['commands'],
        security: [{ bearer: [] }],
        params: deviceParams,
        response: { 200: { type: 'object', properties: { autoApprove: { type: 'array', items: { type: 'string' } } } }, ...errorResponses },
      },
    },
    async (req) => {
      const period = await currentOwnPeriod(deps, principalOf(req), req.params.id);
      return { autoApprove: await deps.registry.commands.policies(period.id) };
    },
  );

  app.put<{ Params: { id: string; class: string }; Body: { autoApprove: boolean } }>(
    '/v1/devices/:id/command-policies/:class',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Approve a command class in advance (standing policy), or withdraw that',
        tags: ['commands'],
        security: [{ bearer: [] }],
        params: { type: 'object', properties: { id: deviceIdParam, class: { type: 'string', pattern: '^[a-z][a-z0-9_.-]{1,47}$' } }, required: ['id', 'class'] },
        body: { type: 'object', additionalProperties: false, required: ['autoApprove'], properties: { autoApprove: { type: 'boolean' } } },
        response: { 200: { type: 'object', properties: { autoApprove: { type: 'array', items: { type: 'string' } } } }, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const period = await currentOwnPeriod(deps, p, req.params.id);
      return { autoApprove: await deps.registry.commands.setPolicy(period.id, req.params.class, req.body.autoApprove, p.accountId) };
    },
  );
};
