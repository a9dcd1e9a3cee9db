import type { TLSSocket } from 'node:tls';
import type { AuthenticateHandler, Client } from 'aedes';
import { isValidDeviceId } from '@parley/proto';
import type { Logger } from '@parley/logger';
import type { RateLimiter } from '@parley/rate-limit';
import type { BrokerStats, DeviceAuthenticator } from './types';

/** CONNACK return codes of MQTT 3.1.1 [MQTT-3.2.2.3]. */
export const CONNACK = {
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_CREDENTIALS: 4,
  NOT_AUTHORIZED: 5,
} as const;

function refuse(returnCode: number, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

/**
 * A device connects with username = its device id, password = its secret, and client id = its
 * device id. Requiring client id == device id stops one device from taking over another's session
 * (a broker drops the older connection of a duplicate client id).
 */
export function makeAuthenticate(deps: {
  devices: DeviceAuthenticator;
  /** Connection attempts per device id. */
  limiter: RateLimiter;
  /** Failed authentications per client address (guessing secrets). */
  failures: RateLimiter;
  stats: BrokerStats;
  log: Logger;
}): AuthenticateHandler {
  const { devices, limiter, failures, stats, log } = deps;
  return (client: Client, username: string | undefined, password: Buffer | undefined, callback) => {
    const remote = client.conn && 'remoteAddress' in client.conn ? client.conn.remoteAddress : undefined;
    const address = remote ?? 'unknown';
    const deny = (code: number, reason: string) => {
      log.warn({ deviceId: username, clientId: client.id, remote, reason, returnCode: code }, 'connection refused');
      callback(refuse(code, reason) as never, false);
    };
    const failed = (code: number, reason: string) => {
      stats.authFailures++;
      failures.take(address);
      deny(code, reason);
    };
    // A client certificate the CA signed is the credential: its CN must be the device id and the
    // client id, and the device must exist and be active. No password is needed (or checked).
    const certificateLogin = (cert: { cn: string; authorized: boolean; error?: string }) => {
      if (!cert.authorized) return failed(CONNACK.BAD_CREDENTIALS, `client certificate not trusted (${cert.error ?? 'unverified'})`);
      if (!isValidDeviceId(cert.cn) || client.id !== cert.cn || (username !== undefined && username !== cert.cn)) {
        return failed(CONNACK.IDENTIFIER_REJECTED, 'client certificate CN, client id and username must all be the device id');
      }
      if (!limiter.take(cert.cn)) {
        stats.rateLimited++;
        return deny(CONNACK.SERVER_UNAVAILABLE, 'connection rate limit exceeded for this device; back off and retry');
      }
      devices.getDevice(cert.cn).then(
        (device) => (device && device.status === 'active' ? callback(null, true) : failed(CONNACK.BAD_CREDENTIALS, 'certificate for an unknown or disabled device')),
        (err: unknown) => {
          log.error({ err, deviceId: cert.cn }, 'registry lookup failed during connect');
          callback(refuse(CONNACK.SERVER_UNAVAILABLE, 'registry unavailable') as never, false);
        },
      );
    };
    // Checked first and without taking a token: only failures spend this budget, and an address
    // that spent it is refused before any secret is hashed.
    if (failures.retryAfterMs(address) > 0) {
      stats.rateLimited++;
      return deny(CONNACK.SERVER_UNAVAILABLE, 'too many failed authentications from this address; back off and retry');
    }
    const cert = clientCertificate(client);
    if (cert) return certificateLogin(cert);
    if (!username || !password) {
      return failed(CONNACK.BAD_CREDENTIALS, 'missing credentials: username must be the device id, password its secret');
    }
    if (!isValidDeviceId(username)) {
      return failed(CONNACK.BAD_CREDENTIALS, 'username is not a valid device id');
    }
    if (client.id !== username) {
      return failed(CONNACK.IDENTIFIER_REJECTED, 'client id must equal the device id');
    }
    // Every attempt for a device id spends its budget, right or wrong: guessing one device's
    // secret from many addresses is held to this rate too.
    if (!limiter.take(username)) {
      stats.rateLimited++;
      return deny(CONNACK.SERVER_UNAVAILABLE, 'connection rate limit exceeded for this device; back off and retry');
    }
    devices.authenticateDevice(username, password.toString('utf8')).then(
      (device) => {
        if (!device) {
          return failed(CONNACK.BAD_CREDENTIALS, 'unknown device or wrong secret');
        }
        callback(null, true);
      },
      (err: unknown) => {
        log.error({ err, deviceId: username }, 'registry lookup failed during connect');
        callback(refuse(CONNACK.SERVER_UNAVAILABLE, 'registry unavailable') as never, false);
      },
    );
  };
}

/**
 * The client certificate of a TLS connection that presented one (the mqtts listener asks for it
 * when a client CA is configured), with whether the CA verified it; undefined otherwise.
 */
function clientCertificate(client: Client): { cn: string; authorized: boolean; error?: string } | undefined {
  const socket = client.conn as Partial<TLSSocket> | undefined;
  if (!socket || typeof socket.getPeerCertificate !== 'function') return undefined;
  const peer = socket.getPeerCertificate();
  if (!peer || Object.keys(peer).length === 0) return undefined;
  const cn = Array.isArray(peer.subject?.CN) ? peer.subject.CN[0] : peer.subject?.CN;
  const error = socket.authorizationError === undefined || socket.authorizationError === null ? undefined : String(socket.authorizationError);
  return { cn: cn ?? '', authorized: socket.authorized === true, ...(error ? { error } : {}) };
}
