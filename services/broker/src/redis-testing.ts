/**
 * Redis for tests: checks that one answers and removes a test's keys, over a bare RESP connection
 * (so the tests need no Redis client of their own). Tests only; when Redis is not running they
 * fail with how to start it, never skip.
 */
import { connect } from 'node:net';

/** The Redis the cluster tests share; each test file uses a key prefix of its own. */
export const TEST_REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const START_HINT =
  'The broker cluster tests need Redis. Start the local one with ' +
  '`redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log`, ' +
  'or point PARLEY_TEST_REDIS_URL at another server.';

function encode(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Sends one command and returns the first line of the reply without its type byte (enough for
 * simple strings and integers; error replies reject).
 */
export function redisCommand(url: string, args: readonly string[], timeoutMs = 3000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) });
    let reply = '';
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error(`no reply within ${timeoutMs} ms`)));
    socket.on('error', fail);
    socket.on('connect', () => socket.write(encode(args)));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const end = reply.indexOf('\r\n');
      if (end < 0) return;
      socket.end();
      const line = reply.slice(1, end);
      if (reply[0] === '-') reject(new Error(`Redis replied: ${line}`));
      else resolve(line);
    });
  });
}

/** Throws, saying how to start Redis, unless `url` answers PING. */
export async function requireRedis(url = TEST_REDIS_URL): Promise<void> {
  try {
    await redisCommand(url, ['PING']);
  } catch (err) {
    throw new Error(`No Redis at ${url} (${(err as Error).message || String((err as { code?: unknown }).code)}). ${START_HINT}`, { cause: err });
  }
}

/** Deletes every key starting with `prefix` (no glob characters in it); returns how many. */
export async function deleteKeys(prefix: string, url = TEST_REDIS_URL): Promise<number> {
  const script = "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) n = n + 1 end return n";
  return Number(await redisCommand(url, ['EVAL', script, '0', `${prefix}*`]));
}

/** A PSUBSCRIBE connection that records everything Redis sends it (as latin1 text, to search in). */
export interface ChannelWatch {
  seen(): string;
  close(): void;
}

/** Subscribes to `pattern` and resolves once Redis confirmed the subscription. */
export function watchChannels(pattern: string, url = TEST_REDIS_URL): Promise<ChannelWatch> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) });
    let text = '';
    let confirmed = false;
    socket.on('error', (err) => (confirmed ? undefined : reject(err)));
    socket.on('connect', () => socket.write(encode(['PSUBSCRIBE', pattern])));
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (!confirmed && text.includes('psubscribe')) {
        confirmed = true;
        resolve({ seen: () => text, close: () => socket.destroy() });
      }
    });
  });
}
