import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';
import { AppError } from '@parley/errors';
import type { TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import { downlinkTopic } from '@parley/proto';
import { makeAuthenticate } from './authenticate';
import { makeAuthorizePublish } from './authorize-publish';
import { makeAuthorizeSubscribe } from './authorize-subscribe';
import { RateLimiter } from './rate-limit';
import { DEFAULT_LIMITS, type BrokerLimits, type BrokerStats, type DeviceAuthenticator } from './types';

export interface BrokerOptions {
  log: TelemetryLog;
  devices: DeviceAuthenticator;
  logger: Logger;
  limits?: Partial<BrokerLimits>;
}

export interface Broker {
  /** Starts accepting MQTT connections; port 0 picks a free port. Resolves with the bound port. */
  listen(port: number, host: string): Promise<number>;
  /** Sends a downlink payload to a device (QoS 1; delivered if and when it is subscribed). */
  publishDownlink(deviceId: string, payload: Uint8Array): Promise<void>;
  stats(): BrokerStats;
  /** Stops accepting, disconnects every client. Appends already under way still complete. */
  close(): Promise<void>;
}

/** Builds the MQTT broker without listening, so tests and the platform decide the port. */
export async function createBroker(options: BrokerOptions): Promise<Broker> {
  const logger = options.logger.child({ component: 'broker' });
  const limits: BrokerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const stats: BrokerStats = { connected: 0, accepted: 0, deadLettered: {}, authFailures: 0, rateLimited: 0, aclDenials: 0, appendFailures: 0 };
  const limiter = new RateLimiter(limits.connectsPerMinute, limits.connectBurst);

  const aedes = await Aedes.createBroker({
    authenticate: makeAuthenticate({ devices: options.devices, limiter, stats, log: logger }),
    authorizePublish: makeAuthorizePublish({ log: options.log, limits, stats, logger }),
    authorizeSubscribe: makeAuthorizeSubscribe({ stats, log: logger }),
    // Devices never act as relays: nothing but their own downlink reaches them.
    authorizeForward: (client, packet) => (packet.topic === downlinkTopic(client.id) ? packet : null),
    heartbeatInterval: 60_000,
    connectTimeout: 10_000,
    drainTimeout: 30_000,
    maxClientsIdLength: 128,
  });
  aedes.on('clientReady', (client) => {
    stats.connected++;
    logger.debug({ deviceId: client.id }, 'device connected');
  });
  aedes.on('clientDisconnect', (client) => {
    stats.connected = Math.max(0, stats.connected - 1);
    logger.debug({ deviceId: client.id }, 'device disconnected');
  });
  aedes.on('clientError', (client, err) => {
    logger.info({ deviceId: client.id, reason: err.message }, 'device connection closed on error');
  });
  aedes.on('connectionError', (client, err) => {
    logger.info({ clientId: client.id, reason: err.message }, 'connection failed before session start');
  });

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    // Nagle would hold small PUBACKs back and stall QoS1 publishers.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => {
          reject(
            err.code === 'EADDRINUSE'
              ? new AppError('port_in_use', `MQTT port ${port} on ${host} is already in use`, { cause: err, context: { port, host } })
              : err,
          );
        };
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          const addr = server.address();
          const bound = typeof addr === 'object' && addr ? addr.port : port;
          logger.info({ port: bound, host }, 'MQTT broker listening');
          resolve(bound);
        });
      });
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
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      logger.info('MQTT broker closed');
    },
  };
}
