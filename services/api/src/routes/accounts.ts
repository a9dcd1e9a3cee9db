import type { FastifyPluginAsync } from 'fastify';
import { RateLimitError } from '@parley/errors';
import { RateLimiter } from '@parley/rate-limit';
import { BOOTSTRAP_ACCOUNT } from '../plugins/auth';
import type { ApiDeps } from '../deps';
import { principalOf } from '../principal';
import { errorResponses } from '../params';
import { accountSchema, idParams, tokenSchema } from '../schemas';

const SIGNUPS_PER_HOUR = 30;
const tokenBody = {
  label: { type: 'string', maxLength: 80 },
  ttlSeconds: { type: 'integer', minimum: 60, maximum: 5 * 366 * 86400, description: 'Lifetime; omit for no expiry' },
} as const;
const created = { type: 'object', properties: { account: accountSchema, token: tokenSchema } } as const;

/** Sign-ups per client address (in this process): pseudonymous accounts are free, not unlimited. */
function signupLimiter() {
  const limiter = new RateLimiter(SIGNUPS_PER_HOUR / 60, SIGNUPS_PER_HOUR);
  return (ip: string) => {
    if (!limiter.take(ip)) {
      throw new RateLimitError('signup_rate_limited', 'Too many new accounts from this address; try again later.', Math.ceil(limiter.retryAfterMs(ip) / 1000));
    }
  };
}

export const accountRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const limit = signupLimiter();

  app.post<{ Body: { kind: 'owner' | 'grantee'; displayName?: string } }>(
    '/v1/accounts',
    {
      schema: {
        summary: 'Sign up: a pseudonymous owner household or a grantee (app); returns its first token once',
        description: 'No e-mail, no personal data: an opaque id and an optional display name. Keep the token; it is shown only here.',
        tags: ['accounts'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kind'],
          properties: { kind: { type: 'string', enum: ['owner', 'grantee'] }, displayName: { type: 'string', minLength: 1, maxLength: 80 } },
        },
        response: { 201: created, ...errorResponses, 429: errorResponses[400] },
      },
    },
    async (req, reply) => {
      limit(req.ip);
      const { kind, displayName } = req.body;
      const result = await deps.registry.accounts.create({ kind, role: kind === 'owner' ? 'owner' : 'grantee', createdBy: 'self', ...(displayName ? { displayName } : {}) });
      req.log.info({ account: result.account.id, kind }, 'account created');
      reply.status(201);
      return result;
    },
  );

  app.get(
    '/v1/me',
    {
      config: { access: ['manufacturer', 'owner', 'grantee'] },
      schema: { summary: 'Who this token belongs to', tags: ['accounts'], security: [{ bearer: [] }], response: { 200: accountSchema, ...errorResponses } },
    },
    async (req) => {
      const p = principalOf(req);
      if (p.accountId === BOOTSTRAP_ACCOUNT) return { id: BOOTSTRAP_ACCOUNT, kind: 'manufacturer', role: 'admin', ownerId: null, displayName: 'bootstrap admin (configured token)', createdAt: new Date(0).toISOString() };
      return (await deps.registry.accounts.get(p.accountId))!;
    },
  );

  app.post<{ Body: { label?: string; ttlSeconds?: number } }>(
    '/v1/tokens',
    {
      config: { access: ['manufacturer', 'owner', 'grantee'] },
      schema: {
        summary: 'Create another token for yourself (e.g. one per app or device you use)',
        tags: ['accounts'],
        security: [{ bearer: [] }],
        body: { type: 'object', additionalProperties: false, properties: tokenBody },
        response: { 201: tokenSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.accountId === BOOTSTRAP_ACCOUNT) {
        reply.status(400);
        return { error: { code: 'bootstrap_account', message: 'The configured manufacturer token is not an account: create engineer accounts with POST /v1/engineers.' } };
      }
      reply.status(201);
      return deps.registry.accounts.createToken(p.accountId, req.body ?? {});
    },
  );

  app.get(
    '/v1/tokens',
    {
      config: { access: ['manufacturer', 'owner', 'grantee'] },
      schema: { summary: 'Your tokens (without their secrets)', tags: ['accounts'], security: [{ bearer: [] }], response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: tokenSchema } } }, ...errorResponses } },
    },
    async (req) => ({ tokens: await deps.registry.accounts.listTokens(principalOf(req).accountId) }),
  );

  app.delete<{ Params: { tokenId: string } }>(
    '/v1/tokens/:tokenId',
    {
      config: { access: ['manufacturer', 'owner', 'grantee'] },
      schema: { summary: 'Revoke one of your tokens (effective immediately)', tags: ['accounts'], security: [{ bearer: [] }], params: idParams('tokenId'), response: { 200: tokenSchema, ...errorResponses } },
    },
    async (req) => deps.registry.accounts.revokeToken(principalOf(req).accountId, req.params.tokenId),
  );

  app.post<{ Body: { role: 'viewer' | 'operator' | 'admin'; displayName: string } }>(
    '/v1/engineers',
    {
      config: { access: ['manufacturer:admin'] },
      schema: {
        summary: 'Create a manufacturer engineer account (viewer, operator or admin) with its first token',
        tags: ['accounts'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['role', 'displayName'],
          properties: { role: { type: 'string', enum: ['viewer', 'operator', 'admin'] }, displayName: { type: 'string', minLength: 1, maxLength: 80 }, ...tokenBody },
        },
        response: { 201: created, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { role, displayName } = req.body;
      reply.status(201);
      return deps.registry.accounts.create({ kind: 'manufacturer', role, displayName, createdBy: principalOf(req).accountId });
    },
  );

  app.post<{ Body: { role: 'co-owner' | 'viewer'; displayName?: string; label?: string; ttlSeconds?: number } }>(
    '/v1/household/members',
    {
      config: { access: ['owner:owner'] },
      schema: {
        summary: 'Invite a household member (co-owner or viewer) with their own token',
        tags: ['accounts'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['role'],
          properties: { role: { type: 'string', enum: ['co-owner', 'viewer'] }, displayName: { type: 'string', minLength: 1, maxLength: 80 }, ...tokenBody },
        },
        response: { 201: created, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      if (p.kind !== 'owner') throw new Error('unreachable');
      const { role, displayName, label, ttlSeconds } = req.body;
      reply.status(201);
      return deps.registry.accounts.create(
        { kind: 'owner', role, ownerId: p.ownerId, createdBy: p.accountId, ...(displayName ? { displayName } : {}) },
        { ...(label ? { label } : {}), ...(ttlSeconds ? { ttlSeconds } : {}) },
      );
    },
  );

  app.get(
    '/v1/household',
    {
      config: { access: ['owner'] },
      schema: { summary: 'Members of your household', tags: ['accounts'], security: [{ bearer: [] }], response: { 200: { type: 'object', properties: { members: { type: 'array', items: accountSchema } } }, ...errorResponses } },
    },
    async (req) => {
      const p = principalOf(req);
      return { members: p.kind === 'owner' ? await deps.registry.accounts.household(p.ownerId) : [] };
    },
  );
};
