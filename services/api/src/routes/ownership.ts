import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError } from '@parley/errors';
import { currentOwnPeriod } from '../access/owner-period';
import type { ApiDeps } from '../deps';
import { deviceIdParam, deviceParams, errorResponses } from '../params';
import { principalOf } from '../principal';
import { periodSchema } from '../schemas';
import { deviceSchema, deviceView, requireDevice } from './devices';

const codeString = { type: 'string', minLength: 4, maxLength: 40 } as const;

export const ownershipRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post<{ Body: { deviceId: string; claimCode?: string; transferCode?: string } }>(
    '/v1/claims',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Claim a device: with the code from its box, or with a transfer code from its previous owner',
        description:
          'Starts your ownership period. From now on you see everything the device says and is sent; you never see data from before. ' +
          'Wrong codes are counted per device: after 5 in 15 minutes further attempts get 429.',
        tags: ['ownership'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['deviceId'],
          properties: { deviceId: deviceIdParam, claimCode: codeString, transferCode: codeString },
        },
        response: { 201: periodSchema, ...errorResponses, 409: errorResponses[400], 429: errorResponses[400] },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.kind !== 'owner') throw new Error('unreachable');
      const period = await deps.registry.ownership.claim({ ...req.body, ownerId: p.ownerId, actorId: p.accountId });
      req.log.info({ deviceId: period.deviceId, period: period.id }, 'device claimed');
      reply.status(201);
      return period;
    },
  );

  app.get(
    '/v1/my/devices',
    {
      config: { access: ['owner'] },
      schema: {
        summary: "Your household's devices, with your ownership periods (current and past)",
        tags: ['ownership'],
        security: [{ bearer: [] }],
        response: {
          200: {
            type: 'object',
            properties: { devices: { type: 'array', items: { type: 'object', properties: { device: deviceSchema, owned: { type: 'boolean' }, periods: { type: 'array', items: periodSchema } } } } },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (p.kind !== 'owner') throw new Error('unreachable');
      const periods = await deps.registry.ownership.ofOwner(p.ownerId);
      const byDevice = new Map<string, typeof periods>();
      for (const period of periods) byDevice.set(period.deviceId, [...(byDevice.get(period.deviceId) ?? []), period]);
      const devices = [];
      for (const [deviceId, list] of byDevice) {
        const device = await deps.registry.getDevice(deviceId);
        if (device) devices.push({ device: deviceView(device), owned: list.some((x) => x.endedAt === null), periods: list });
      }
      return { devices };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/ownership',
    {
      config: { access: ['owner', 'manufacturer'] },
      schema: {
        summary: 'Ownership periods of a device: owners see their own, the manufacturer all (pseudonymous owner ids)',
        tags: ['ownership'],
        security: [{ bearer: [] }],
        params: deviceParams,
        response: { 200: { type: 'object', properties: { deviceId: { type: 'string' }, periods: { type: 'array', items: periodSchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { id } = req.params;
      if (p.kind === 'owner') {
        const periods = await deps.registry.ownership.ofOwner(p.ownerId, id);
        if (periods.length === 0) throw new NotFoundError('device_not_found', `No device "${id}" that you have access to.`);
        return { deviceId: id, periods };
      }
      await requireDevice(deps, id);
      return { deviceId: id, periods: await deps.registry.ownership.history(id) };
    },
  );

  app.post<{ Params: { id: string }; Body: { ttlSeconds?: number } }>(
    '/v1/devices/:id/transfer',
    {
      config: { access: ['owner:owner'] },
      schema: {
        summary: 'Start a transfer: a one-time code for the next owner (your period and all your grants end when they use it)',
        tags: ['ownership'],
        security: [{ bearer: [] }],
        params: deviceParams,
        body: { type: ['object', 'null'], additionalProperties: false, properties: { ttlSeconds: { type: 'integer', minimum: 60, maximum: 90 * 86400 } } },
        response: { 201: { type: 'object', properties: { transferCode: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } } }, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const period = await currentOwnPeriod(deps, p, req.params.id);
      const { code, expiresAt } = await deps.registry.ownership.startTransfer(period.id, p.accountId, req.body?.ttlSeconds);
      reply.status(201);
      return { transferCode: code, expiresAt: expiresAt.toISOString() };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/devices/:id/release',
    {
      config: { access: ['owner:owner'] },
      schema: {
        summary: 'Release a device (sold, returned, recycled): your period and grants end; a new claim code is returned for whoever gets it next',
        tags: ['ownership'],
        security: [{ bearer: [] }],
        params: deviceParams,
        response: { 200: { type: 'object', properties: { period: periodSchema, claimCode: { type: 'string' } } }, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const period = await currentOwnPeriod(deps, p, req.params.id);
      const ended = await deps.registry.ownership.end(period.id, 'release', p.accountId);
      const claimCode = await deps.registry.ownership.reissueClaimCode(req.params.id, p.accountId);
      return { period: ended, claimCode };
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/devices/:id/claim-code',
    {
      config: { access: ['manufacturer:admin'] },
      schema: {
        summary: 'Issue a new claim code for an unowned device (refurbished, code lost); the old code stops working',
        tags: ['ownership'],
        security: [{ bearer: [] }],
        params: deviceParams,
        response: { 201: { type: 'object', properties: { deviceId: { type: 'string' }, claimCode: { type: 'string' } } }, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req, reply) => {
      await requireDevice(deps, req.params.id);
      const claimCode = await deps.registry.ownership.reissueClaimCode(req.params.id, principalOf(req).accountId);
      reply.status(201);
      return { deviceId: req.params.id, claimCode };
    },
  );

  app.put<{ Params: { id: string }; Body: { fleetAnalytics: boolean } }>(
    '/v1/devices/:id/consent',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: "Opt this device in or out of the manufacturer's fleet analytics",
        description: 'Opted out: the device is left out of every fleet aggregate, and engineers may read it only for a support case.',
        tags: ['ownership'],
        security: [{ bearer: [] }],
        params: deviceParams,
        body: { type: 'object', additionalProperties: false, required: ['fleetAnalytics'], properties: { fleetAnalytics: { type: 'boolean' } } },
        response: { 200: periodSchema, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const period = await currentOwnPeriod(deps, p, req.params.id);
      return deps.registry.ownership.setFleetAnalytics(period.id, req.body.fleetAnalytics, p.accountId);
    },
  );
};
