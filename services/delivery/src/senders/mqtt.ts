import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from '@parley/logger';
import type { DeliveryTarget, QueuedItem } from '@parley/registry';
import { bareHost, resolveAllowed, type TargetPolicy } from '../targets';
import { asFailure, deliveryFailure, wireRecord, type Sender } from './sender';

/** A broker connection is closed after this long without a batch. */
const IDLE_MS = 60_000;

interface Connection {
  key: string;
  client: MqttClient;
  idle: NodeJS.Timeout;
}

/** Connection refusals that will not go away by retrying (bad credentials, not authorized). */
const PERMANENT_CONNACK = /Not authorized|Bad username or password|Connection refused: (Bad|Not)/i;

/**
 * MQTT topics on brokers the owners name: each record is one QoS 1 publish (JSON, the record as
 * sent to webhooks) on the destination's topic, in order on one connection; the batch counts as
 * accepted when the broker acknowledged every publish. Connections are kept per destination while
 * in use and closed after a minute idle or any error.
 */
export function mqttSender(options: { policy: TargetPolicy; timeoutMs: number; logger: Logger }): Sender {
  const connections = new Map<string, Connection>();

  function drop(id: string): void {
    const c = connections.get(id);
    if (!c) return;
    connections.delete(id);
    clearTimeout(c.idle);
    c.client.end(true);
  }

  async function connect(target: DeliveryTarget): Promise<MqttClient> {
    // The password is part of the key so a changed credential never reuses an old session.
    const key = `${target.url}\u0000${target.username ?? ''}\u0000${target.password ?? ''}`;
    const existing = connections.get(target.id);
    if (existing?.key === key && existing.client.connected) return existing.client;
    drop(target.id);
    const url = new URL(target.url);
    const host = bareHost(url);
    const secure = url.protocol === 'mqtts:';
    const address = await resolveAllowed(host, options.policy);
    const client = mqtt.connect({
      protocol: secure ? 'mqtts' : 'mqtt',
      host: address,
      port: Number(url.port) || (secure ? 8883 : 1883),
      ...(secure ? { servername: host, rejectUnauthorized: true } : {}),
      ...(target.username !== null ? { username: target.username } : {}),
      ...(target.password !== null ? { password: target.password } : {}),
      clientId: `parley-${target.id}-${randomBytes(4).toString('hex')}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: options.timeoutMs,
    });
    await new Promise<void>((resolve, reject) => {
      const fail = (err: Error) => {
        client.removeAllListeners('connect');
        client.end(true);
        reject(deliveryFailure(`MQTT connect: ${err.message}`, !PERMANENT_CONNACK.test(err.message), err));
      };
      client.once('connect', () => {
        client.removeListener('error', fail);
        client.removeListener('close', closed);
        resolve();
      });
      const closed = () => fail(new Error('connection closed before CONNACK'));
      client.once('error', fail);
      client.once('close', closed);
    });
    // After the connect, errors close the connection; the next batch connects again.
    client.on('error', (err) => options.logger.debug({ destination: target.id, err: err.message }, 'MQTT destination connection error'));
    client.on('close', () => {
      if (connections.get(target.id)?.client === client) drop(target.id);
    });
    connections.set(target.id, { key, client, idle: setTimeout(() => drop(target.id), IDLE_MS) });
    return client;
  }

  return {
    async send(target, items: readonly QueuedItem[]) {
      try {
        const client = await connect(target);
        const c = connections.get(target.id)!;
        c.idle.refresh();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(deliveryFailure(`MQTT broker did not acknowledge within ${options.timeoutMs} ms`, true)), options.timeoutMs);
        });
        try {
          // One connection sends in order; QoS 1 acknowledgements confirm every record.
          const publishes = items.map((item) => client.publishAsync(target.topic!, JSON.stringify(wireRecord(item)), { qos: 1 }));
          await Promise.race([Promise.all(publishes), timeout]);
        } finally {
          clearTimeout(timer);
        }
      } catch (err) {
        drop(target.id);
        throw asFailure(err);
      }
    },
    async close() {
      for (const id of [...connections.keys()]) drop(id);
    },
  };
}
