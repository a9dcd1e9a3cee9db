import type { CommandSender } from '@parley/api';
import type { Broker } from '@parley/broker';
import { SCHEMA_VERSION, encodeDownlink, type DownlinkBody } from '@parley/proto';
import type { Store } from '@parley/store';

/**
 * Sends approved commands on the device's down topic (QoS 1, through this process's broker) and
 * records each in the store's downlinks, so it is part of the conversation both sides read.
 */
export function commandSender(broker: Broker, store: Store): CommandSender {
  return {
    async send(c) {
      const issuedAtMs = Date.now();
      const bytes = encodeDownlink({ schemaVersion: SCHEMA_VERSION, commandId: c.id, issuedAtMs, expiresAtMs: c.expiresAtMs, body: c.body as unknown as DownlinkBody });
      await broker.publishDownlink(c.deviceId, bytes);
      const { kind: _kind, ...body } = c.body;
      await store.insertDownlinks([{ deviceId: c.deviceId, commandId: c.id, issuedAtMs, expiresAtMs: c.expiresAtMs, kind: c.kind, body: JSON.stringify(body), issuedBy: c.issuedBy }]);
    },
  };
}
