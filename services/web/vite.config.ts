import { defineConfig } from 'vite';

// The API serves dist/ (services/api/src/plugins/web.ts). `npm run dev -w @parley/web` proxies the
// API paths to a running platform (PARLEY_API_URL, default http://127.0.0.1:8080).
const api = process.env['PARLEY_API_URL'] ?? 'http://127.0.0.1:8080';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    proxy: Object.fromEntries(['/v1', '/openapi.json', '/healthz', '/readyz'].map((p) => [p, { target: api, changeOrigin: false }])),
  },
});
