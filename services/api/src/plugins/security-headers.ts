import fp from 'fastify-plugin';

/**
 * Response headers every answer carries. API responses hold private device data, so nothing is
 * cached by shared caches and nothing may frame or sniff it; the CSP also fits the web UI served
 * from the same origin (its own scripts and styles only).
 */
export const securityHeaders = fp(
  async (app) => {
    app.addHook('onSend', async (req, reply) => {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'no-referrer');
      reply.header('cross-origin-resource-policy', 'same-origin');
      reply.header(
        'content-security-policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
      if (req.url.startsWith('/v1/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    });
  },
  { name: 'parley-security-headers' },
);
