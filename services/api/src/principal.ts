import type { ManufacturerRole, OwnerRole } from '@parley/registry';

/**
 * Who is asking, resolved once per request by the auth plugin from the bearer token:
 * - `manufacturer`: an engineer (viewer < operator < admin); the configured bootstrap token is an admin.
 * - `owner`: a member of a household (viewer < co-owner < owner); `ownerId` is the household.
 * - `grantee`: a third party that sees only what an owner granted it.
 */
export type Principal =
  | { kind: 'manufacturer'; accountId: string; role: ManufacturerRole }
  | { kind: 'owner'; accountId: string; ownerId: string; role: OwnerRole }
  | { kind: 'grantee'; accountId: string; role: 'grantee' };

export type PrincipalKind = Principal['kind'];

/**
 * What a route admits: a kind (any role of it) or `kind:role` (that role or a higher one),
 * e.g. `['owner:co-owner', 'manufacturer']`.
 */
export type AccessRule = PrincipalKind | 'manufacturer:operator' | 'manufacturer:admin' | 'owner:co-owner' | 'owner:owner';

const RANK: Record<string, number> = { viewer: 0, operator: 1, admin: 2, 'co-owner': 1, owner: 2, grantee: 0 };

/** True when `principal` satisfies one of `rules`. */
export function admits(rules: readonly AccessRule[], principal: Principal): boolean {
  return rules.some((rule) => {
    const [kind, role] = rule.split(':') as [PrincipalKind, string | undefined];
    if (kind !== principal.kind) return false;
    return role === undefined || RANK[principal.role]! >= RANK[role]!;
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route; absent = public (health, docs, sign-up). */
    access?: readonly AccessRule[];
  }
}

/** The request's principal on a route that declared `access` (the auth plugin guarantees it). */
export function principalOf(req: { principal: Principal | null }): Principal {
  if (!req.principal) throw new Error('principalOf on a public route');
  return req.principal;
}
