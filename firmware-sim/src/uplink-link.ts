import { Socket } from 'node:net';
import type { Logger } from '@parley/logger';
import mqtt, { type MqttClient } from 'mqtt';
import { backoffDelay, resolveBackoff, type BackoffOptions } from './backoff.js';
import type { DeviceCounters } from './counters.js';
import { OfflineBuffer, type BufferedMessage } from './offline-buffer.js';
import type { Random } from './prng.js';

/** An encoded uplink waiting in, or sent from, the offline buffer. */
export interface OutboundMessage {
  readonly payload: Buffer;
  readonly bootId: string;
  readonly seq: number;
  /** Real (not device) time it was built, ms — for end-to-end latency measurements. */
  readonly producedAtMs: number;
}

/** Called once per message when its PUBACK arrives. Must be cheap: it runs on the hot path. */
export type AckListener = (deviceId: string, message: OutboundMessage) => void;

/** Options of an {@link UplinkLink}. */
export interface UplinkLinkOptions {
  brokerUrl: string;
  /** Device id: MQTT client id and username. */
  id: string;
  secret: string;
  upTopic: string;
  downTopic: string;
  /** Most messages kept while offline; the oldest is dropped beyond. Default 10 000. */
  bufferCapacity?: number;
  /** QoS1 messages sent but not yet PUBACKed. Default 32. */
  maxInFlight?: number;
  backoff?: BackoffOptions;
  /** Random source for backoff jitter. */
  jitter: Random;
  /** A connection that lasted this long resets the backoff; shorter ones count as flapping. Default 10 000. */
  stableAfterMs?: number;
  keepaliveS?: number;
  connectTimeoutMs?: number;
  counters: DeviceCounters;
  log: Logger;
  onAck?: AckListener;
  /** Receives every message on the downlink topic. */
  onDownlink: (payload: Buffer) => void;
}

interface Connection {
  readonly client: MqttClient;
  alive: boolean;
  connected: boolean;
  connectedAt: number;
}

const PUBLISH_OPTIONS = { qos: 1 } as const;
/**
 * MQTT.js calls its `debug` logger several times per packet; even disabled, that cost 5 % of CPU at
 * 20 000 msgs/s. Silence it unless someone is actually debugging MQTT.js.
 */
const MQTT_LOG = /mqttjs/.test(process.env.DEBUG ?? '') ? undefined : () => {};

/**
 * Closes an MQTT.js client: a clean DISCONNECT when connected (so the broker does not treat it as an
 * abnormal loss), forced after `timeoutMs` if the broker does not let go.
 */
function endClient(client: MqttClient, graceful: boolean, timeoutMs = 1000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      client.end(true);
      resolve();
    }, timeoutMs);
    client.end(!graceful, {}, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * A device's store-and-forward path to the broker.
 *
 * Every uplink goes through an {@link OfflineBuffer} and leaves it only on PUBACK; up to
 * `maxInFlight` are unacknowledged at once, so throughput is not bound by the round trip. The link
 * owns reconnection (exponential backoff with jitter; MQTT.js's fixed `reconnectPeriod` is off) and
 * uses a fresh MQTT.js client per connection with `clean: true`: the buffer, not a broker session,
 * makes uplinks reliable, and a fresh client cannot re-send old packets behind the buffer's back.
 * After a reconnect the buffer replays from its oldest unacknowledged message, unchanged, in order.
 * Downlinks sent while the device was offline are the platform's to re-send (they carry ids and
 * expiry); a persistent session would instead replay stale commands after long outages.
 */
export class UplinkLink {
  private readonly buffer: OfflineBuffer<OutboundMessage>;
  private readonly backoff: Required<BackoffOptions>;
  private readonly maxInFlight: number;
  private readonly log: Logger;
  private readonly counters: DeviceCounters;
  private inFlight = 0;
  private conn: Connection | undefined;
  private attempt = 0;
  private everConnected = false;
  private refusalLogged = false;
  private state: 'new' | 'running' | 'closed' = 'new';
  private reconnectTimer: NodeJS.Timeout | undefined;
  private drainWaiters: Array<() => void> = [];

  constructor(private readonly options: UplinkLinkOptions) {
    this.buffer = new OfflineBuffer(options.bufferCapacity ?? 10_000);
    this.backoff = resolveBackoff(options.backoff);
    this.maxInFlight = options.maxInFlight ?? 32;
    this.log = options.log;
    this.counters = options.counters;
  }

  get connected(): boolean {
    return this.conn?.connected ?? false;
  }
  /** Messages held until PUBACK (waiting or in flight). */
  get buffered(): number {
    return this.buffer.size;
  }
  /** Messages dropped from the full buffer. */
  get dropped(): number {
    return this.buffer.dropped;
  }
  /** The buffered messages, oldest first (for tests and diagnostics; allocates). */
  bufferedMessages(): OutboundMessage[] {
    return this.buffer.toArray().map((m) => m.value);
  }

  /** Starts connecting, and reconnecting until {@link stop}. */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    this.connect();
  }

  /** Buffers a message and sends what the in-flight window allows. */
  send(message: OutboundMessage): void {
    const droppedBefore = this.buffer.dropped;
    this.buffer.push(message);
    if (this.buffer.dropped !== droppedBefore) this.counters.dropped++;
    this.pump();
  }

  /** Drops the connection and reconnects after `delayMs` without backoff (a reboot). */
  restart(delayMs: number): void {
    if (this.state !== 'running') return;
    this.dropConnection();
    this.clearReconnect();
    this.reconnectTimer = setTimeout(() => this.connect(), delayMs);
  }

  /**
   * Waits up to `drainTimeoutMs` for every buffered message to be PUBACKed (reconnecting meanwhile if
   * need be), then disconnects. Returns how many messages were left.
   */
  async stop(drainTimeoutMs: number): Promise<number> {
    if (this.state === 'closed') return this.buffer.size;
    if (this.state === 'running' && this.buffer.size > 0 && drainTimeoutMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.drainWaiters.push(resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.state = 'closed';
    this.clearReconnect();
    const conn = this.conn;
    if (conn) {
      conn.alive = false;
      if (conn.connected) this.counters.connected--;
      this.conn = undefined;
      await endClient(conn.client, conn.connected);
    }
    this.buffer.rewind();
    this.inFlight = 0;
    return this.buffer.size;
  }

  private connect(): void {
    this.reconnectTimer = undefined;
    if (this.state !== 'running') return;
    const o = this.options;
    const client = mqtt.connect(o.brokerUrl, {
      clientId: o.id,
      username: o.id,
      password: o.secret,
      protocolVersion: 4, // Aedes speaks MQTT 3.1.1
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: o.connectTimeoutMs ?? 10_000,
      keepalive: o.keepaliveS ?? 30,
      resubscribe: false,
      log: MQTT_LOG,
      // By default MQTT.js re-arms its keepalive timer on every packet sent: a timer per message at
      // 20 000 msgs/s. Without it a PINGREQ goes out every keepalive period even while busy.
      reschedulePings: false,
    });
    const conn: Connection = { client, alive: true, connected: false, connectedAt: 0 };
    this.conn = conn;
    // PUBACKs and command results must not wait for Nagle's algorithm.
    if (client.stream instanceof Socket) client.stream.setNoDelay(true);
    client.on('connect', () => this.onConnect(conn));
    client.on('message', (topic, payload) => {
      if (conn.alive && topic === o.downTopic) o.onDownlink(payload);
    });
    client.on('close', () => this.onClose(conn));
    client.on('error', (error) => this.onError(conn, error));
  }

  private onConnect(conn: Connection): void {
    if (!conn.alive) return;
    conn.connected = true;
    conn.connectedAt = Date.now();
    this.refusalLogged = false;
    this.counters.connected++;
    if (this.everConnected) this.counters.reconnects++;
    else this.counters.everConnected++;
    this.everConnected = true;
    this.log.debug({ attempt: this.attempt }, 'connected');
    conn.client.subscribe(this.options.downTopic, { qos: 1 }, (error, granted) => {
      if (error || granted?.[0]?.qos === 128) this.log.warn({ err: error?.message }, 'downlink subscription refused');
    });
    this.pump();
  }

  private onClose(conn: Connection): void {
    if (!conn.alive) return;
    const wasConnected = conn.connected;
    this.dropConnection();
    if (wasConnected) {
      if (Date.now() - conn.connectedAt >= (this.options.stableAfterMs ?? 10_000)) this.attempt = 0;
      this.log.info({ buffered: this.buffer.size }, 'connection lost');
    } else {
      this.counters.connectFailures++;
    }
    this.scheduleReconnect();
  }

  private onError(conn: Connection, error: Error & { code?: unknown }): void {
    if (!conn.alive) return;
    if (typeof error.code === 'number' && !this.refusalLogged) {
      // Once per outage: a fleet retrying against a broker that refuses it must not flood the log.
      this.refusalLogged = true;
      this.log.warn({ code: error.code }, `broker refused connection: ${error.message}`);
    } else this.log.debug({ err: error.message, code: error.code }, 'connection error');
    // Before CONNACK MQTT.js may leave the socket open after an error; treat it as closed now.
    if (!conn.connected) this.onClose(conn);
  }

  /** Sends buffered messages while the in-flight window has room. */
  private pump(): void {
    const conn = this.conn;
    if (!conn || !conn.connected) return;
    const topic = this.options.upTopic;
    while (this.inFlight < this.maxInFlight) {
      const message = this.buffer.next();
      if (!message) return;
      this.inFlight++;
      this.counters.published++;
      if (message.sends > 1) this.counters.resent++;
      conn.client.publish(topic, message.value.payload, PUBLISH_OPTIONS, (error) => this.onPuback(conn, message, error));
    }
  }

  private onPuback(conn: Connection, message: BufferedMessage<OutboundMessage>, error: Error | undefined): void {
    // Callbacks of a dead connection (MQTT.js fails them on close) are ignored: the buffer was
    // rewound and those messages go again on the next connection.
    if (!conn.alive) return;
    this.inFlight--;
    if (error) {
      this.log.warn({ err: error.message }, 'publish failed; reconnecting to resend in order');
      this.dropConnection();
      this.scheduleReconnect();
      return;
    }
    if (this.buffer.ack(message)) {
      this.counters.acked++;
      this.options.onAck?.(this.options.id, message.value);
    }
    if (this.buffer.size === 0 && this.drainWaiters.length > 0) {
      for (const resolve of this.drainWaiters) resolve();
      this.drainWaiters = [];
    }
    this.pump();
  }

  /** Forgets the current connection: in-flight messages become pending again, in order. */
  private dropConnection(): void {
    const conn = this.conn;
    if (!conn) return;
    conn.alive = false;
    if (conn.connected) this.counters.connected--;
    this.conn = undefined;
    this.inFlight = 0;
    this.buffer.rewind();
    conn.client.end(true);
  }

  private scheduleReconnect(): void {
    if (this.state !== 'running') return;
    this.clearReconnect();
    const delay = backoffDelay(this.attempt, this.backoff, this.options.jitter);
    this.attempt++;
    this.log.debug({ delay, attempt: this.attempt }, 'reconnect scheduled');
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private clearReconnect(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
  }
}
