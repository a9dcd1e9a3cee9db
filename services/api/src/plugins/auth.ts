import { createHash, timingSafeEqual } from 'node:crypto';
import fp from 'fastify-plugin';
import { AuthError } from '@parley/errors';
import type { Principal } from '../principal';

export interface AuthOptions {
  /** Bearer token that identifies the manufacturer's engineers (from config). */
  manufacturerToken: string;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The single authorization layer: resolves the bearer token to a principal, then enforces the
 * route's declared `config.access`. Routes without `access` are public; there is no other way in.
 */
export const authPlugin = fp<AuthOptions>(
  async (app, opts) => {
    const manufacturerDigest = digest(opts.manufacturerToken);

    function resolve(token: string): Principal | null {
      // Compare digests so the comparison is constant-time whatever the token's length.
      if (timingSafeEqual(digest(token), manufacturerDigest)) return { kind: 'manufacturer', id: 'manufacturer' };
      return null;
    }

    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (req) => {
      const access = req.routeOptions.config.access;
      if (!access) return;
      const header = req.headers.authorization;
      if (!header) throw new AuthError('unauthenticated', 'Send "Authorization: Bearer <token>".');
      const match = /^Bearer ([A-Za-z0-9._~+/=-]{8,512})$/.exec(header);
      if (!match) throw new AuthError('unauthenticated', 'The Authorization header must be "Bearer <token>".');
      const principal = resolve(match[1]!);
      if (!principal) throw new AuthError('invalid_token', 'The token is unknown, expired or revoked.');
      if (!access.includes(principal.kind)) {
        throw new AuthError('forbidden', `This route is not available to a ${principal.kind} token.`, { status: 403 });
      }
      req.principal = principal;
      req.log = req.log.child({ principal: principal.kind });
    });
  },
  { name: 'parley-auth' },
);
