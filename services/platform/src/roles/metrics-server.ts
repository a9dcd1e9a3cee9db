import { createServer, type Server } from 'node:http';
import type { Logger } from '@parley/logger';
import type { Registry } from 'prom-client';
import { localUrl } from '../config';
import { portError } from './port-error';

/**
 * `/metrics` for a process without the API role (a broker or ingester process of the cluster
 * mode), on its own port. Plain HTTP and no token, like most Prometheus exporters: bind it to an
 * interface only the scraper reaches (default 127.0.0.1).
 */
export async function startMetricsServer(registry: Registry, port: number, host: string, logger: Logger): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics here.\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => {
        logger.error({ err }, 'metrics collection failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(portError(err, 'PARLEY_METRICS_PORT')));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : port;
  logger.info({ component: 'metrics', port: bound }, 'metrics listening');
  return { url: `${localUrl('http', host, bound)}/metrics`, close: () => new Promise((r) => server.close(() => r())) };
}
