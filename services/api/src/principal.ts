/**
 * Who is asking. Today only the manufacturer (one token from config); owners, household members
 * and grantees join this union in the owner issue, and every route already declares who may call it.
 */
export type Principal = { kind: 'manufacturer'; id: string };

export type PrincipalKind = Principal['kind'];

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Principal kinds allowed to call the route; absent = public (health, docs). */
    access?: readonly PrincipalKind[];
  }
}
