import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, gzip, inflate } from 'node:zlib';
import { AppError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { Engine } from './engine';
import { isReadOnly, parseRequest, RequestError } from './http-request';

const gzipAsync = promisify(gzip);
const DECODERS: Record<string, (b: Buffer) => Promise<Buffer>> = { gzip: promisify(gunzip), deflate: promisify(inflate), br: promisify(brotliDecompress) };

/** Options of {@link createStoreServer}. */
export interface StoreServerOptions {
  /** The chDB data directory this process owns. */
  dataDir: string;
  log: Logger;
  /** When set, requests must authenticate as `default` (or `user`) with this password. */
  password?: string | undefined;
  user?: string | undefined;
  /** Largest request body (an insert batch). Default 256 MiB. */
  maxBodyBytes?: number | undefined;
}

export interface StoreServer {
  /** Starts listening; port 0 picks a free one. Resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Stops accepting, lets running requests finish, closes the engine. Idempotent. */
  close(): Promise<void>;
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new RequestError(241, 'MEMORY_LIMIT_EXCEEDED', `request body larger than ${limit} bytes`, 413));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The credentials a ClickHouse client may send: Basic auth, X-ClickHouse-* headers or URL parameters. */
function credentials(req: IncomingMessage, url: URL): { user: string; password: string } {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    return { user: decoded.slice(0, at < 0 ? undefined : at), password: at < 0 ? '' : decoded.slice(at + 1) };
  }
  const user = (req.headers['x-clickhouse-user'] as string | undefined) ?? url.searchParams.get('user') ?? 'default';
  const password = (req.headers['x-clickhouse-key'] as string | undefined) ?? url.searchParams.get('password') ?? '';
  return { user, password };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const CONTENT_TYPES: Record<string, string> = { JSON: 'application/json', JSONEachRow: 'application/x-ndjson', JSONCompactEachRow: 'application/x-ndjson', CSV: 'text/csv' };

function outputFormat(sql: string, fallback: string): string {
  return /\bFORMAT\s+([A-Za-z]+)\s*;?\s*$/i.exec(sql)?.[1] ?? fallback;
}

/** ClickHouse answers some exception codes with a 4xx status; the client only needs "not 2xx". */
function statusFor(code: number): number {
  if (code === 516) return 401;
  if ([60, 81, 47, 46].includes(code)) return 404;
  if ([62, 27, 36, 53, 115, 456, 117].includes(code)) return 400;
  return 500;
}

/**
 * A development and test stand-in for a ClickHouse server: the subset of ClickHouse's HTTP
 * interface that `@clickhouse/client` uses (POST/GET `/` with the statement in the body or in
 * `query`, `param_*` parameters, settings as URL parameters, INSERT data in the body in
 * JSONEachRow/TabSeparated/CSV, `/ping`), each request executed by the embedded engine (chDB)
 * that this process owns. Errors come back as ClickHouse formats them (`Code: N. DB::Exception:
 * …`, `X-ClickHouse-Exception-Code`). It exists so several Parley processes can share one store
 * on a machine without a ClickHouse server; it is not one (no replication, no sessions, no
 * compression of native formats, one insert and one other query at a time).
 */
export function createStoreServer(options: StoreServerOptions): StoreServer {
  const log = options.log.child({ component: 'store-server' });
  const engine = Engine.open(options.dataDir, log);
  const maxBody = options.maxBodyBytes ?? 256 * 1024 * 1024;
  const user = options.user ?? 'default';

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://store');
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    res.setHeader('X-ClickHouse-Query-Id', queryId);
    res.setHeader('X-ClickHouse-Timezone', 'UTC');
    res.setHeader('X-ClickHouse-Server-Display-Name', 'parley-store-server');
    if (url.pathname === '/ping' || (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))) {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=UTF-8' }).end('Ok.\n');
      return;
    }
    if (url.pathname !== '/') throw new RequestError(0, 'UNKNOWN_HANDLER', `There is no handler ${url.pathname}`, 404);
    if (req.method !== 'GET' && req.method !== 'POST') throw new RequestError(0, 'UNKNOWN_HANDLER', `method ${req.method} not allowed`, 405);
    if (options.password !== undefined) {
      const c = credentials(req, url);
      if (c.user !== user || !sameSecret(c.password, options.password)) {
        throw new RequestError(516, 'AUTHENTICATION_FAILED', `${c.user}: Authentication failed: password is incorrect, or there is no user with such name`, 401);
      }
    }
    let body = await readBody(req, maxBody);
    const encoding = req.headers['content-encoding'];
    if (encoding && body.length > 0) {
      const decode = DECODERS[encoding];
      if (!decode) throw new RequestError(48, 'NOT_IMPLEMENTED', `Content-Encoding ${encoding} is not supported`);
      body = await decode(body);
    }
    const parsed = parseRequest(url, body, req.headers['content-type']);
    // [ClickHouse HTTP] GET requests are read-only.
    if (req.method === 'GET' && !isReadOnly(parsed.sql)) throw new RequestError(164, 'READONLY', 'Cannot execute a query that modifies data in a GET request', 400);
    const result = await engine.execute(parsed);
    const format = outputFormat(parsed.sql, result.format);
    let answer: Uint8Array = result.body;
    const headers: Record<string, string> = {
      'Content-Type': `${CONTENT_TYPES[format] ?? 'text/tab-separated-values'}; charset=UTF-8`,
      'X-ClickHouse-Format': format,
      'X-ClickHouse-Summary': JSON.stringify(result.summary),
    };
    if (parsed.compressResponse && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && answer.length > 0) {
      answer = await gzipAsync(answer);
      headers['Content-Encoding'] = 'gzip';
    }
    res.writeHead(200, headers).end(answer);
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const code = err instanceof RequestError ? err.clickhouseCode : Number((err as { clickhouseCode?: unknown }).clickhouseCode ?? 1001);
      const status = err instanceof RequestError ? err.status : statusFor(code);
      let message = err instanceof Error ? err.message : String(err);
      if (!/^Code: \d+\./.test(message)) message = `Code: ${code}. DB::Exception: ${message}. (STD_EXCEPTION)`;
      if (status >= 500) log.warn({ code, err: message.slice(0, 500) }, 'request failed');
      if (res.headersSent) return void res.destroy();
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': String(code) }).end(`${message}\n`);
    });
  });
  server.keepAliveTimeout = 60_000;

  let closing: Promise<void> | undefined;
  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) =>
          reject(err.code === 'EADDRINUSE' ? new AppError('port_in_use', `Store server port ${port} on ${host} is already in use`, { cause: err }) : err);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const addr = server.address();
          const bound = typeof addr === 'object' && addr ? addr.port : port;
          log.info({ port: bound, host, dataDir: options.dataDir }, 'store server listening');
          resolve(bound);
        });
      });
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
        });
        await engine.close();
      })();
      return closing;
    },
  };
}
