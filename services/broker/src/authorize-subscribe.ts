import type { AuthorizeSubscribeHandler } from 'aedes';
import { downlinkTopic } from '@parley/proto';
import type { Logger } from '@parley/logger';
import type { BrokerStats } from './types';

/**
 * A device may subscribe to its own downlink topic only. Anything else (another device's topic,
 * wildcards like `#`, `$SYS/…`) is refused with a SUBACK failure (0x80) for that filter, without
 * dropping the connection, so a misconfigured device still receives its commands.
 */
export function makeAuthorizeSubscribe(deps: { stats: BrokerStats; log: Logger }): AuthorizeSubscribeHandler {
  return (client, sub, callback) => {
    if (client && sub.topic === downlinkTopic(client.id)) return callback(null, sub);
    deps.stats.aclDenials++;
    deps.log.warn({ deviceId: client?.id, topic: sub.topic }, 'subscription refused: a device may only subscribe to its own downlink topic');
    callback(null, null);
  };
}
