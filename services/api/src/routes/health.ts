import type { FastifyPluginAsync } from 'fastify';
import type { ApiDeps } from '../deps';

const report = {
  type: 'object',
  properties: {
    ok: { type: 'boolean' },
    components: { type: 'object', additionalProperties: { type: 'object', properties: { ok: { type: 'boolean' }, detail: { type: 'string' } } } },
  },
} as const;

export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get('/healthz', { schema: { summary: 'Liveness: the process answers', tags: ['health'], response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, async () => ({
    ok: true,
  }));
  app.get(
    '/readyz',
    { schema: { summary: 'Readiness: store, log and broker are usable', tags: ['health'], response: { 200: report, 503: report } } },
    async (_req, reply) => {
      const r = await deps.health();
      reply.status(r.ok ? 200 : 503);
      return r;
    },
  );
};
