import { decodeDownlink, downlinkTopic, encodeUplink, uplinkTopic, type Uplink } from '@parley/proto';
import { connectDevice, publishAndWait, testUplink, type DeviceConnection } from '@parley/testkit';

export interface SimDevice {
  readonly id: string;
  /** Publishes one uplink (QoS 1, resolves on PUBACK). */
  send(extra?: Partial<Uplink>): Promise<void>;
  /** Sends a fridge-like uplink every `ms` until stopped. */
  tick(ms: number): void;
  close(): Promise<void>;
}

/**
 * A simulated appliance for the browser tests: reports temperatures and power, and answers every
 * command it receives with a `succeeded` result, as real firmware would.
 */
export async function simDevice(mqttUrl: string, creds: { id: string; secret: string }, firmware: string): Promise<SimDevice> {
  const conn: DeviceConnection = await connectDevice(mqttUrl, creds);
  let seq = 0;
  let timer: NodeJS.Timeout | undefined;
  const send = (extra: Partial<Uplink> = {}) => {
    const now = Date.now();
    const u = testUplink(creds.id, ++seq, {
      firmware,
      deviceTimeMs: now,
      samples: [
        { metric: 'cabinet.temp_c', value: 4 + Math.sin(seq / 3) * 0.6, timeMs: now },
        { metric: 'power_w', value: 80 + (seq % 7) * 9, timeMs: now },
      ],
      ...extra,
    });
    return publishAndWait(conn.client, uplinkTopic(creds.id), encodeUplink(u));
  };
  conn.client.on('message', (_topic, payload) => {
    const down = decodeDownlink(payload);
    void send({ samples: [], commandResults: [{ commandId: down.commandId, status: 'succeeded', timeMs: Date.now(), detail: 'defrost started' }] });
  });
  await new Promise<void>((resolve, reject) => conn.client.subscribe(downlinkTopic(creds.id), { qos: 1 }, (err) => (err ? reject(err) : resolve())));
  return {
    id: creds.id,
    send,
    tick(ms) {
      const loop = () => {
        timer = setTimeout(() => void send().then(loop, () => undefined), ms);
      };
      loop();
    },
    async close() {
      clearTimeout(timer);
      await conn.close();
    },
  };
}
