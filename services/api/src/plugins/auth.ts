import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { AuthError, ForbiddenError, RateLimitError } from '@parley/errors';
import { RateLimiter } from '@parley/rate-limit';
import type { ManufacturerRole, OwnerRole, Registry } from '@parley/registry';
import { admits, type Principal } from '../principal';

export interface AuthOptions {
  /** Bootstrap bearer token of the manufacturer's first admin (from config). */
  manufacturerToken: string;
  registry: Registry;
  /** Requests per minute per account (burst: a fifth of it, at least 10). Default 600. */
  requestsPerMinute?: number;
  /** Failed authentications per client address per minute (burst: half of it). Default 60. */
  authFailuresPerMinute?: number;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Account id of the bootstrap manufacturer admin (the configured token). */
export const BOOTSTRAP_ACCOUNT = 'manufacturer';

/**
 * The single authorization layer: resolves the bearer token to a principal (the bootstrap token, or
 * an account token from the registry), then enforces the route's declared `config.access`. Routes
 * without `access` are public; there is no other way in.
 */
export const authPlugin = fp<AuthOptions>(
  async (app, opts) => {
    const manufacturerDigest = digest(opts.manufacturerToken);
    const perMinute = opts.requestsPerMinute ?? 600;
    const perAccount = new RateLimiter(perMinute, Math.max(10, Math.ceil(perMinute / 5)));
    const failuresPerMinute = opts.authFailuresPerMinute ?? 60;
    const failures = new RateLimiter(failuresPerMinute, Math.max(1, Math.floor(failuresPerMinute / 2)));
    const limited = (limiter: RateLimiter, key: string, what: string) =>
      new RateLimitError('rate_limited', `Too many ${what}; slow down and retry after the Retry-After delay.`, Math.max(1, Math.ceil(limiter.retryAfterMs(key) / 1000)));

    async function resolve(token: string): Promise<Principal | null> {
      // Compare digests so the comparison is constant-time whatever the token's length.
      if (timingSafeEqual(digest(token), manufacturerDigest)) return { kind: 'manufacturer', accountId: BOOTSTRAP_ACCOUNT, role: 'admin' };
      const found = await opts.registry.accounts.authenticate(token);
      if (!found) return null;
      const a = found.account;
      if (a.kind === 'owner') return { kind: 'owner', accountId: a.id, ownerId: a.ownerId!, role: a.role as OwnerRole };
      if (a.kind === 'grantee') return { kind: 'grantee', accountId: a.id, role: 'grantee' };
      return { kind: 'manufacturer', accountId: a.id, role: a.role as ManufacturerRole };
    }

    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (req) => {
      const access = req.routeOptions.config.access;
      if (!access) return;
      const header = req.headers.authorization;
      if (!header) throw new AuthError('unauthenticated', 'Send "Authorization: Bearer <token>".');
      const match = /^Bearer ([A-Za-z0-9._~+/=-]{8,512})$/.exec(header);
      if (!match) throw new AuthError('unauthenticated', 'The Authorization header must be "Bearer <token>".');
      // A client that keeps presenting bad tokens is slowed down before it costs a registry lookup.
      if (failures.retryAfterMs(`ip:${req.ip}`) > 0) throw limited(failures, `ip:${req.ip}`, 'failed authentications from this address');
      const principal = await resolve(match[1]!);
      if (!principal) {
        failures.take(`ip:${req.ip}`);
        throw new AuthError('invalid_token', 'The token is unknown, expired or revoked.');
      }
      if (!perAccount.take(principal.accountId)) throw limited(perAccount, principal.accountId, 'requests for this account');
      if (!admits(access, principal)) {
        throw new ForbiddenError('forbidden', `This route is not available to a ${principal.kind} (${principal.role}) token; it needs one of: ${access.join(', ')}.`);
      }
      req.principal = principal;
      req.log = req.log.child({ principal: principal.kind, account: principal.accountId });
    });
  },
  { name: 'parley-auth' },
);
