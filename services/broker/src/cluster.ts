/// <reference path="./redis-modules.d.ts" />
import type { EventEmitter } from 'node:events';
import aedesPersistenceRedis from 'aedes-persistence-redis';
import mqemitterRedis from 'mqemitter-redis';
import { AppError, DependencyError, describeError } from '@parley/errors';
import type { Logger } from '@parley/logger';

/** Options of the cluster mode: several brokers behind a TCP load balancer, sharing state in Redis. */
export interface ClusterOptions {
  /** `redis://[user:password@]host[:port][/db]`, or `rediss://` for TLS. */
  redisUrl: string;
  /**
   * Prefix of every Redis key and pub/sub channel the brokers use. Brokers serving one fleet must
   * share it; different fleets (or test runs) on one Redis must not. Default `parley:`.
   */
  keyPrefix?: string | undefined;
  /** How long startup waits for Redis before failing; default 5000 ms. */
  connectTimeoutMs?: number | undefined;
}

/** The Redis-backed parts handed to Aedes, and how to let go of them. */
export interface ClusterState {
  /** The message router between brokers (Aedes `mq`). */
  mq: unknown;
  /** Subscriptions, offline QoS 1/2 messages, retained messages and wills (Aedes `persistence`). */
  persistence: unknown;
  /** Closes both and disconnects from Redis; call after `aedes.close()`. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_KEY_PREFIX = 'parley:';
const KEY_PREFIX_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Longest a clean close waits for Redis to acknowledge QUIT before dropping the connections. */
const QUIT_TIMEOUT_MS = 2000;

/** The slice of an ioredis connection used here (ioredis is the libraries' dependency, not ours). */
interface RedisConnection {
  readonly status: string;
  duplicate(override?: Record<string, unknown>): RedisConnection;
  on(event: string, listener: (...args: never[]) => void): unknown;
  off(event: string, listener: (...args: never[]) => void): unknown;
  disconnect(): void;
}

type Message = Record<string, unknown> & { topic: string };
type Listener = (message: Message, done: () => void) => void;

/** `mqemitter-redis`'s `MQEmitterRedisPrefix` (exported, but missing from its type declarations). */
interface PrefixedRedisEmitter {
  on(topic: string, listener: Listener, done?: () => void): unknown;
  removeListener(topic: string, listener: Listener, done?: () => void): unknown;
  /** Publishes through Redis: every broker's listeners receive it (the sender's too). */
  emit(message: Message, done?: (err?: Error) => void): void;
  close(done: () => void): void;
  readonly pubConn: RedisConnection;
  readonly subConn: RedisConnection;
  /** Emits `error` for either connection; an unheard `error` would crash the process. */
  readonly state: EventEmitter;
}

const { MQEmitterRedisPrefix } = mqemitterRedis as unknown as {
  MQEmitterRedisPrefix: new (prefix: string, options: { connectionString: string }) => PrefixedRedisEmitter;
};

/** `url` without its password, for messages and logs; refuses anything but `redis:`/`rediss:` URLs. */
export function describeRedisUrl(url: string): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (parsed?.protocol !== 'redis:' && parsed?.protocol !== 'rediss:') {
    // Do not echo the value: a mistyped URL may still carry a password.
    throw new AppError('broker_redis_url_invalid', 'The broker Redis URL is not a Redis URL; expected redis://[user:password@]host[:port][/db] or rediss://….');
  }
  parsed.password = '';
  return parsed.toString();
}

/** Resolves once `conn` is ready; rejects on its first error or after `timeoutMs`. */
function whenReady(conn: RedisConnection, timeoutMs: number): Promise<void> {
  if (conn.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const finish = (err?: Error) => {
      clearTimeout(timer);
      conn.off('ready', onReady);
      conn.off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = () => finish();
    const onError = (err: Error) => finish(err);
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    conn.on('ready', onReady);
    conn.on('error', onError);
  });
}

/**
 * Aedes's `mq` over Redis: downlinks and Aedes's own `$SYS/…` traffic (session takeover,
 * subscription sync, heartbeats) reach every broker. Device uplinks never get here (see
 * `createBroker`). Closing gives up on a Redis that does not answer.
 */
function routingEmitter(redis: PrefixedRedisEmitter) {
  const emitter = {
    on(topic: string, listener: Listener, done?: () => void) {
      redis.on(topic, listener, done);
      return emitter;
    },
    removeListener(topic: string, listener: Listener, done?: () => void) {
      redis.removeListener(topic, listener, done);
    },
    emit(message: Message, done?: (err?: Error) => void) {
      redis.emit(message, done);
    },
    close(done: () => void) {
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        done();
      };
      // QUIT waits for Redis; when it is down, drop the connections instead of hanging shutdown.
      const timer = setTimeout(() => {
        redis.pubConn.disconnect();
        redis.subConn.disconnect();
        finish();
      }, QUIT_TIMEOUT_MS);
      redis.close(finish);
    },
  };
  return emitter;
}

/**
 * Connects the Redis-backed message router (`mqemitter-redis`) and persistence
 * (`aedes-persistence-redis`) for Aedes, so that brokers on several machines act as one: a
 * downlink published through any of them reaches the device wherever it is connected, and a
 * device's persistent session (subscriptions, QoS 1 messages queued while it was offline) follows
 * it to whichever broker it reconnects to. Fails with `broker_redis_unavailable` when Redis does
 * not answer at startup; afterwards, ioredis reconnects by itself and errors are logged.
 */
export async function openClusterState(options: ClusterOptions, logger: Logger): Promise<ClusterState> {
  const target = describeRedisUrl(options.redisUrl);
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (!KEY_PREFIX_PATTERN.test(prefix)) {
    // Also a Redis pub/sub pattern prefix: glob characters (* ? [ ]) would match other fleets' channels.
    throw new AppError('broker_redis_prefix_invalid', `The broker's Redis key prefix must be 1–64 of A–Z a–z 0–9 _ . : - (got ${JSON.stringify(prefix.slice(0, 80))}).`);
  }
  const log = logger.child({ redis: target, keyPrefix: prefix });

  const redis = new MQEmitterRedisPrefix(prefix, { connectionString: options.redisUrl });
  // Keys (not channels) are prefixed by ioredis itself, on a connection of the persistence's own.
  const db = redis.pubConn.duplicate({ keyPrefix: prefix });
  const persistence = aedesPersistenceRedis({ conn: db });
  let lost = false;
  const onError = (err: Error) => {
    lost = true;
    log.warn({ err: describeError(err) }, 'Redis connection failed; brokers do not see each other until it is back (reconnecting)');
  };
  const onReady = () => {
    if (lost) log.info('Redis connection restored');
    lost = false;
  };
  const connections = [redis.pubConn, redis.subConn, db];
  redis.state.on('error', onError); // both emitter connections report here
  db.on('error', onError);
  for (const conn of connections) conn.on('ready', onReady);

  const timeoutMs = options.connectTimeoutMs ?? 5000;
  try {
    await Promise.all(connections.map((conn) => whenReady(conn, timeoutMs)));
  } catch (err) {
    // Nothing was set up yet: dropping the connections (which stops their reconnecting) is all.
    for (const conn of connections) conn.disconnect();
    throw new DependencyError(
      'broker_redis_unavailable',
      `Cannot connect to Redis at ${target} (${describeError(err)}), which the brokers of the cluster mode share. ` +
        'Start Redis (or fix the URL), or leave the Redis URL unset to run a single broker.',
      { cause: err, context: { redis: target } },
    );
  }

  const emitter = routingEmitter(redis);
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Aedes closes its mq itself; this covers a broker that failed before Aedes took it over.
      await new Promise<void>((resolve) => emitter.close(resolve));
      // Fails when Aedes never called setup (the broker failed to start); the disconnect below still runs.
      await persistence.destroy().catch(() => {});
      db.disconnect();
    })();
    return closing;
  };
  log.info('broker shares sessions and routing through Redis');
  return { mq: emitter, persistence, close };
}
