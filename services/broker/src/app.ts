import type { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { Aedes, type Client } from 'aedes';
import { AppError } from '@parley/errors';
import type { TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import { downlinkTopic, isUplinkTopicOf } from '@parley/proto';
import { makeAuthenticate } from './authenticate';
import { makeAuthorizePublish } from './authorize-publish';
import { makeAuthorizeSubscribe } from './authorize-subscribe';
import { guardPacketSize } from './packet-size-guard';
import { openClusterState, type ClusterOptions } from './cluster';
import { RateLimiter } from '@parley/rate-limit';
import { DEFAULT_LIMITS, type BrokerLimits, type BrokerStats, type DeviceAuthenticator } from './types';

export interface BrokerOptions {
  log: TelemetryLog;
  devices: DeviceAuthenticator;
  logger: Logger;
  limits?: Partial<BrokerLimits>;
  /**
   * Cluster mode: share sessions, subscriptions and downlink routing with the other brokers using
   * the same Redis (and key prefix), so a device may connect to any of them. Omit for one broker.
   */
  cluster?: ClusterOptions | undefined;
}

export interface Broker {
  /** Starts accepting MQTT connections; port 0 picks a free port. Resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /**
   * Starts accepting MQTT over TLS (mqtts) as well, with the given certificate and key (PEM);
   * may be called besides {@link listen}. Resolves with the bound port.
   */
  /**
   * MQTT over TLS. With `clientCa`, clients may log in with a certificate that CA signed (CN = device
   * id) instead of a password; clients without a certificate still use their secret.
   */
  listenTls(port: number, host: string, tls: Pick<TlsOptions, 'cert' | 'key' | 'ca'> & { clientCa?: Buffer }): Promise<number>;
  /** Sends a downlink payload to a device (QoS 1; delivered if and when it is subscribed). */
  publishDownlink(deviceId: string, payload: Uint8Array): Promise<void>;
  stats(): BrokerStats;
  /** The ports bound so far by {@link listen} (`mqtt`) and {@link listenTls} (`mqtts`). */
  ports(): { mqtt?: number; mqtts?: number };
  /** Stops accepting, disconnects every client. Appends already under way still complete. */
  close(): Promise<void>;
}

/** Builds the MQTT broker without listening, so tests and the platform decide the port. */
export async function createBroker(options: BrokerOptions): Promise<Broker> {
  const logger = options.logger.child({ component: 'broker' });
  const limits: BrokerLimits = Object.freeze({ ...DEFAULT_LIMITS, ...options.limits });
  if (limits.maxPacketBytes < limits.maxPayloadBytes) {
    throw new AppError('invalid_limits', `maxPacketBytes (${limits.maxPacketBytes}) must be at least maxPayloadBytes (${limits.maxPayloadBytes})`);
  }
  const stats: BrokerStats = {
    connected: 0,
    accepted: 0,
    deadLettered: {},
    authFailures: 0,
    rateLimited: 0,
    aclDenials: 0,
    appendFailures: 0,
    oversizedPackets: 0,
    protocolErrors: 0,
  };
  const limiter = new RateLimiter(limits.connectsPerMinute, limits.connectBurst);
  const failures = new RateLimiter(limits.authFailuresPerMinute, Math.max(1, Math.ceil(limits.authFailuresPerMinute / 3)));

  const cluster = options.cluster ? await openClusterState(options.cluster, logger) : undefined;
  const aedes = await Aedes.createBroker({
    ...(cluster && { mq: cluster.mq, persistence: cluster.persistence }),
    authenticate: makeAuthenticate({ devices: options.devices, limiter, failures, stats, log: logger }),
    authorizePublish: makeAuthorizePublish({ log: options.log, limits, stats, logger }),
    authorizeSubscribe: makeAuthorizeSubscribe({ stats, log: logger }),
    // Devices never act as relays: nothing but their own downlink reaches them.
    authorizeForward: (client, packet) => (packet.topic === downlinkTopic(client.id) ? packet : null),
    heartbeatInterval: 60_000,
    // Slow-loris: a connection that has not sent CONNECT by then is closed ('connectionError').
    connectTimeout: limits.connectTimeoutMs,
    drainTimeout: 30_000,
    maxClientsIdLength: 128,
  }).catch(async (err: unknown) => {
    await cluster?.close();
    throw err;
  });
  // Device uplinks are not routed. Their one consumer is the log (appended in authorize-publish,
  // which also refused every other topic a device publishes to), and no MQTT client may subscribe
  // to them (authorize-subscribe), so Aedes's routing — two subscription-trie matches, retained
  // storage, and in the cluster mode a Redis PUBLISH — would only spend CPU on every message
  // (measured: ≈ 3 % of the broker thread at 10,000 msgs/s; in the cluster mode 10–18k msgs/s
  // through Redis against 30–44k kept local) and tie telemetry intake to Redis being up. The PUBACK
  // is written before `publish` is called, so nothing else changes.
  // (Aedes's handlers call `publish(packet, client, done)`; its declarations list only `(packet, done)`.)
  const internal = aedes as unknown as { publish: (packet: { topic: string }, client?: unknown, done?: (err?: Error) => void) => void };
  const route = internal.publish.bind(aedes);
  internal.publish = (packet, client, done) => {
    if (client && typeof client === 'object' && isUplinkTopicOf(packet.topic, (client as Client).id)) return done?.();
    route(packet, client, done);
  };
  // Persistence failures (Redis in the cluster mode) arrive here; unheard, they would end the process.
  // (Aedes emits 'error' but its type declarations do not list it.)
  (aedes as EventEmitter).on('error', (err: Error) => logger.error({ err }, 'broker persistence error'));
  // Counted as a set of live connections, not with a counter: a device that disconnects while its
  // session is still being restored gets 'clientDisconnect' before 'clientReady' (likely with
  // Redis, where that takes a few round trips), and a counter would then stay one too high.
  const ready = new Set<Client>();
  const gone = (client: Client) => {
    if (ready.delete(client)) stats.connected = ready.size;
  };
  aedes.on('clientReady', (client) => {
    if (client.closed) return;
    ready.add(client);
    stats.connected = ready.size;
    client.conn.once('close', () => gone(client));
    logger.debug({ deviceId: client.id }, 'device connected');
  });
  aedes.on('clientDisconnect', (client) => {
    gone(client);
    logger.debug({ deviceId: client.id }, 'device disconnected');
  });
  aedes.on('clientError', (client, err) => {
    logger.info({ deviceId: client.id, reason: err.message }, 'device connection closed on error');
  });
  aedes.on('connectionError', (client, err) => {
    // Malformed first packets (garbage, a bad protocol name) and connect timeouts land here.
    stats.protocolErrors++;
    const remote = client.conn && 'remoteAddress' in client.conn ? client.conn.remoteAddress : undefined;
    logger.warn({ clientId: client.id, remote, reason: err.message }, 'connection closed before session start');
  });

  const sockets = new Set<Socket>();
  const onConnection = (socket: Socket) => {
    // Nagle would hold small PUBACKs back and stall QoS1 publishers.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
    guardPacketSize(socket, limits.maxPacketBytes, (announced) => {
      stats.oversizedPackets++;
      logger.warn(
        { remote: socket.remoteAddress, announcedBytes: announced, limit: limits.maxPacketBytes },
        'connection closed: packet larger than the broker accepts',
      );
    });
  };
  const servers: Server[] = [];
  const bound: { mqtt?: number; mqtts?: number } = {};

  const listenOn = (server: Server, port: number, host: string, what: string): Promise<number> => {
    servers.push(server);
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE'
            ? new AppError('port_in_use', `${what} port ${port} on ${host} is already in use`, { cause: err, context: { port, host } })
            : err,
        );
      };
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        const addr = server.address();
        const bound = typeof addr === 'object' && addr ? addr.port : port;
        logger.info({ port: bound, host }, `${what} broker listening`);
        resolve(bound);
      });
    });
  };

  return {
    listen: async (port, host) => (bound.mqtt = await listenOn(createServer(onConnection), port, host, 'MQTT')),
    listenTls(port, host, tls) {
      const server = createTlsServer(
        {
          cert: tls.cert,
          key: tls.key,
          minVersion: 'TLSv1.2',
          // Ask for a client certificate but do not drop the connection without one: verification
          // is judged in authenticate, so password logins keep working on the same port.
          ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : tls.ca ? { ca: tls.ca } : {}),
        },
        onConnection,
      );
      // A failed handshake (plaintext on the TLS port, an untrusted client) never reaches Aedes.
      server.on('tlsClientError', (err, socket) => logger.info({ remote: socket.remoteAddress, reason: err.message }, 'TLS handshake failed'));
      return listenOn(server, port, host, 'MQTTS').then((p) => (bound.mqtts = p));
    },
    publishDownlink(deviceId, payload) {
      return new Promise((resolve, reject) => {
        aedes.publish(
          { cmd: 'publish', topic: downlinkTopic(deviceId), payload: Buffer.from(payload), qos: 1, retain: false, dup: false },
          (err) => (err ? reject(err) : resolve()),
        );
      });
    },
    stats: () => ({ ...stats, deadLettered: { ...stats.deadLettered } }),
    ports: () => ({ ...bound }),
    async close() {
      await Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))).concat(
          Promise.resolve().then(() => {
            for (const s of sockets) s.destroy();
          }),
        ),
      );
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await cluster?.close();
      logger.info('MQTT broker closed');
    },
  };
}
