import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export interface DeviceConnection {
  client: MqttClient;
  /** CONNACK return code when the broker refused, else 0. */
  returnCode: number;
  close(): Promise<void>;
}

/**
 * Connects like a device does (client id = username = device id, password = secret), without
 * reconnecting, and reports the CONNACK code instead of throwing, so tests can assert refusals.
 */
export function connectDevice(url: string, creds: { id: string; secret: string; clientId?: string }, extra: IClientOptions = {}): Promise<DeviceConnection> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, {
      clientId: creds.clientId ?? creds.id,
      username: creds.id,
      password: creds.secret,
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 5000,
      ...extra,
    });
    const close = () => new Promise<void>((r) => client.end(true, {}, () => r()));
    client.once('connect', () => resolve({ client, returnCode: 0, close }));
    client.once('error', (err: Error & { code?: number }) => {
      if (typeof err.code === 'number') resolve({ client, returnCode: err.code, close });
      else reject(err);
    });
  });
}

/** Publishes QoS1 and resolves when the PUBACK arrives (rejects if the connection drops first). */
export function publishAndWait(client: MqttClient, topic: string, payload: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    client.publish(topic, Buffer.from(payload), { qos: 1 }, (err) => (err ? reject(err) : resolve()));
  });
}
