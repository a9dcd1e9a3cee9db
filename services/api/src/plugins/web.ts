import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';

export interface WebOptions {
  /** The built UI (services/web/dist); default: resolved from this file's place in the repo. */
  root?: string;
}

/** Paths of the API (or its JSON 404), never of the UI. */
const isApiPath = (path: string) => path === '/v1' || path.startsWith('/v1/');
// The page itself is revalidated on every load (assets are content-hashed and cached for a year);
// the security headers (CSP and the rest) come from plugins/security-headers.ts.
const HTML_HEADERS = { 'cache-control': 'no-cache' };

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Parley: web UI not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5">
<h1>Web UI not built</h1><p>The API is running, but the owner portal and manufacturer console have not been built yet. Run</p>
<pre>npm run build:web</pre><p>and reload this page. (<code>npm start</code> and <code>npm test</code> build it by themselves.) The API is documented at <a href="/openapi.json">/openapi.json</a>.</p></body></html>`;

/**
 * Serves the owner portal and manufacturer console (Vite's static build) at `/`: hashed assets
 * with long-lived caching, and `index.html` for every other GET path without a file extension so
 * that the single-page app's own URLs can be reloaded. API paths (`/v1/…`) and the API's other
 * routes are never shadowed: Fastify matches their static routes first, and unknown `/v1/…` paths
 * get the API's JSON 404. The routes are hidden from the OpenAPI document.
 */
export const webPlugin: FastifyPluginAsync<WebOptions> = async (app, opts) => {
  const root = opts.root ?? fileURLToPath(new URL('../../../web/dist/', import.meta.url));
  // serve: false — only reply.sendFile; the one route below decides what a path means.
  await app.register(fastifyStatic, { root, serve: false, preCompressed: true, etag: true, lastModified: true, dotfiles: 'deny' });

  const sendIndex = (reply: FastifyReply) => {
    if (!existsSync(`${root}/index.html`)) return reply.status(503).headers(HTML_HEADERS).type('text/html; charset=utf-8').send(NOT_BUILT);
    return reply.headers(HTML_HEADERS).sendFile('index.html', { cacheControl: false });
  };

  app.get('/*', { schema: { hide: true }, logLevel: 'warn' }, async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (isApiPath(path)) return reply.callNotFound();
    if (path.startsWith('/assets/')) return reply.sendFile(path.slice(1), { maxAge: 365 * 24 * 3600 * 1000, immutable: true });
    const last = path.slice(path.lastIndexOf('/') + 1);
    if (last.includes('.')) return reply.sendFile(path.slice(1), { maxAge: 3600 * 1000 });
    return sendIndex(reply);
  });
};
