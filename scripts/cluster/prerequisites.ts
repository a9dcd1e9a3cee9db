/**
 * What `npm run start:cluster` needs besides Kafka (which @parley/kafka-runner checks: Java, Maven):
 * PostgreSQL with a `parley` database (created when missing) and Redis. Each check fails with
 * what to do.
 */
import { connect } from 'node:net';
import pg from 'pg';
import { describeError } from '@parley/errors';
import { describePostgresUrl } from '@parley/registry';

const PG_HINT =
  'Start PostgreSQL (here: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`; trust auth for user postgres), ' +
  'or point at another server: PARLEY_DATABASE_URL for `npm run start:cluster`, PARLEY_POSTGRES_ADMIN_URL (a role that may create databases) for `npm run soak -- --mode cluster`.';
const REDIS_HINT =
  'Start Redis (here: `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`), or set PARLEY_REDIS_URL.';

/** Creates database `name` on the server of `adminUrl` unless it exists; returns its URL. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`No PostgreSQL at ${describePostgresUrl(adminUrl)} (${describeError(err) || String((err as { code?: unknown }).code)}). ${PG_HINT}`, { cause: err });
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops database `name` on the server of `adminUrl` (if it exists), closing whatever is still connected to it. */
export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Checks that a database URL given by the user answers. */
export async function checkDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(`PostgreSQL at ${describePostgresUrl(url)} does not answer (${describeError(err) || String((err as { code?: unknown }).code)}). ${PG_HINT}`, { cause: err });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Sends PING over RESP; rejects with how to start Redis unless it answers PONG. */
export function checkRedis(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) });
    const fail = (why: string) => {
      socket.destroy();
      const shown = new URL(url);
      shown.password = '';
      reject(new Error(`No Redis at ${shown.toString()} (${why}). ${REDIS_HINT}`));
    };
    socket.setTimeout(3000, () => fail('no answer within 3 s'));
    socket.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? err.message));
    socket.on('connect', () => {
      const auth = new URL(url);
      const password = decodeURIComponent(auth.password);
      const user = decodeURIComponent(auth.username);
      const cmd = password ? (user ? ['AUTH', user, password] : ['AUTH', password]) : ['PING'];
      socket.write(`*${cmd.length}\r\n${cmd.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    socket.on('data', (chunk) => {
      const reply = chunk.toString();
      socket.end();
      if (reply.startsWith('+')) resolve();
      else fail(`replied ${reply.trim().slice(0, 80)}`);
    });
  });
}
