import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError, ValidationError } from '@parley/errors';
import { currentOwnPeriod, ownPeriods } from '../access/owner-period';
import type { ApiDeps } from '../deps';
import { deviceParams, errorResponses, parseTime } from '../params';
import { principalOf, type Principal } from '../principal';
import { grantSchema, idParams, receiptSchema, tokenSchema } from '../schemas';

const names = { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 } } as const;

interface GrantBody {
  grantee: { id?: string; name?: string };
  metrics?: string[];
  events?: string[];
  dataFrom?: string;
  dataTo?: string;
  expiresAt?: string;
  durationDays?: number;
  purpose: string;
}

/** Owners may manage a grant made in one of their household's periods. */
async function ownGrant(deps: ApiDeps, p: Principal, grantId: string) {
  const grant = await deps.registry.grants.get(grantId);
  const period = grant ? await deps.registry.ownership.get(grant.periodId) : null;
  if (!grant || !period || p.kind !== 'owner' || period.ownerId !== p.ownerId) throw new NotFoundError('grant_not_found', `No grant "${grantId}" of yours.`);
  return grant;
}

export const grantRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post<{ Params: { id: string }; Body: GrantBody }>(
    '/v1/devices/:id/grants',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Grant a third party read access to chosen metrics/events of this device, for a purpose, until an expiry',
        description:
          'The grantee is an existing app ({"id": "app_…"}) or a new one you name ({"name": "Energy coach"}), whose token is returned here once. ' +
          'It sees only the listed metrics ("*" = all) and event codes, only data from your period (and inside dataFrom/dataTo), ' +
          'until expiresAt (or durationDays), you revoke it, or your ownership ends. A consent receipt is issued.',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: deviceParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['grantee', 'purpose'],
          properties: {
            grantee: {
              type: 'object',
              additionalProperties: false,
              properties: { id: { type: 'string', pattern: '^app_[0-9a-z]{16}$' }, name: { type: 'string', minLength: 1, maxLength: 80 } },
            },
            metrics: names,
            events: names,
            dataFrom: { type: 'string', maxLength: 40 },
            dataTo: { type: 'string', maxLength: 40 },
            expiresAt: { type: 'string', maxLength: 40 },
            durationDays: { type: 'integer', minimum: 1, maximum: 732 },
            purpose: { type: 'string', minLength: 3, maxLength: 200 },
          },
        },
        response: { 201: { type: 'object', properties: { grant: grantSchema, receipt: receiptSchema, granteeToken: tokenSchema } }, ...errorResponses, 409: errorResponses[400] },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const period = await currentOwnPeriod(deps, p, req.params.id);
      const b = req.body;
      if ((b.grantee.id === undefined) === (b.grantee.name === undefined)) {
        throw new ValidationError('invalid_grantee', 'Name the grantee by "id" (an existing app) or by "name" (a new one), not both.');
      }
      if ((b.expiresAt === undefined) === (b.durationDays === undefined)) {
        throw new ValidationError('invalid_expiry', 'Give the grant an end: "expiresAt" (a time) or "durationDays", one of them.');
      }
      const expiresAt = b.expiresAt !== undefined ? parseTime('expiresAt', b.expiresAt, 0) : Date.now() + b.durationDays! * 86_400_000;
      let granteeId = b.grantee.id;
      let granteeToken;
      if (b.grantee.name !== undefined) {
        const made = await deps.registry.accounts.create({ kind: 'grantee', role: 'grantee', displayName: b.grantee.name, createdBy: p.accountId }, { label: `grant for ${req.params.id}` });
        granteeId = made.account.id;
        granteeToken = made.token;
      }
      const { grant, receipt } = await deps.registry.grants.create({
        periodId: period.id,
        granteeId: granteeId!,
        metrics: b.metrics ?? [],
        events: b.events ?? [],
        ...(b.dataFrom ? { dataFrom: new Date(parseTime('dataFrom', b.dataFrom, 0)) } : {}),
        ...(b.dataTo ? { dataTo: new Date(parseTime('dataTo', b.dataTo, 0)) } : {}),
        expiresAt: new Date(expiresAt),
        purpose: b.purpose,
        createdBy: p.accountId,
      });
      req.log.info({ deviceId: grant.deviceId, grant: grant.id, grantee: grant.granteeId }, 'grant created');
      reply.status(201);
      return { grant, receipt, ...(granteeToken ? { granteeToken } : {}) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/grants',
    {
      config: { access: ['owner'] },
      schema: {
        summary: 'Grants made on this device in your period(s), newest first, with their status',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: deviceParams,
        response: { 200: { type: 'object', properties: { grants: { type: 'array', items: grantSchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      const periods = await ownPeriods(deps, principalOf(req), req.params.id);
      const grants = (await Promise.all(periods.map((x) => deps.registry.grants.ofPeriod(x.id)))).flat();
      return { grants };
    },
  );

  app.delete<{ Params: { grantId: string } }>(
    '/v1/grants/:grantId',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Revoke a grant; the grantee loses access with the next request',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: idParams('grantId'),
        response: { 200: grantSchema, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await ownGrant(deps, p, req.params.grantId);
      return deps.registry.grants.revoke(req.params.grantId, p.accountId);
    },
  );

  app.get(
    '/v1/grants',
    {
      config: { access: ['grantee'] },
      schema: {
        summary: 'Grants made to you (as a grantee), newest first',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        response: { 200: { type: 'object', properties: { grants: { type: 'array', items: grantSchema } } }, ...errorResponses },
      },
    },
    async (req) => ({ grants: await deps.registry.grants.ofGrantee(principalOf(req).accountId) }),
  );

  app.get<{ Params: { receiptId: string } }>(
    '/v1/receipts/:receiptId',
    {
      config: { access: ['owner', 'grantee'] },
      schema: {
        summary: 'A consent (or deletion) receipt: the owner who gave it and the grantee it names can fetch it',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: idParams('receiptId'),
        response: { 200: receiptSchema, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const receipt = await deps.registry.grants.receipt(req.params.receiptId);
      const period = receipt?.periodId ? await deps.registry.ownership.get(receipt.periodId) : null;
      const mine = receipt && ((p.kind === 'grantee' && receipt.granteeId === p.accountId) || (p.kind === 'owner' && period?.ownerId === p.ownerId));
      if (!receipt || !mine) throw new NotFoundError('receipt_not_found', `No receipt "${req.params.receiptId}" of yours.`);
      return receipt;
    },
  );
};
