import type { AuthenticateHandler, Client } from 'aedes';
import { isValidDeviceId } from '@parley/proto';
import type { Logger } from '@parley/logger';
import type { RateLimiter } from './rate-limit';
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
  limiter: RateLimiter;
  stats: BrokerStats;
  log: Logger;
}): AuthenticateHandler {
  const { devices, limiter, stats, log } = deps;
  return (client: Client, username: string | undefined, password: Buffer | undefined, callback) => {
    const remote = client.conn && 'remoteAddress' in client.conn ? client.conn.remoteAddress : undefined;
    const deny = (code: number, reason: string) => {
      log.warn({ deviceId: username, clientId: client.id, remote, reason, returnCode: code }, 'connection refused');
      callback(refuse(code, reason) as never, false);
    };
    if (!username || !password) {
      stats.authFailures++;
      return deny(CONNACK.BAD_CREDENTIALS, 'missing credentials: username must be the device id, password its secret');
    }
    if (!isValidDeviceId(username)) {
      stats.authFailures++;
      return deny(CONNACK.BAD_CREDENTIALS, 'username is not a valid device id');
    }
    if (client.id !== username) {
      stats.authFailures++;
      return deny(CONNACK.IDENTIFIER_REJECTED, 'client id must equal the device id');
    }
    if (!limiter.take(username)) {
      stats.rateLimited++;
      return deny(CONNACK.SERVER_UNAVAILABLE, 'connection rate limit exceeded for this device; back off and retry');
    }
    devices.authenticateDevice(username, password.toString('utf8')).then(
      (device) => {
        if (!device) {
          stats.authFailures++;
          return deny(CONNACK.BAD_CREDENTIALS, 'unknown device or wrong secret');
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
