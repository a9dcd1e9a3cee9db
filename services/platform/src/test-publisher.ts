/**
 * A test device that behaves like real firmware under faults (tests only): publishes numbered QoS 1
 * uplinks with a bounded window in flight, counts one acknowledged only on its PUBACK, keeps every
 * unacknowledged one and re-sends it byte-identical after reconnecting — to the next broker in its
 * list when one is gone.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { testUplinkBytes } from '@parley/testkit';

export interface PublisherStats {
  /** Messages whose PUBACK arrived, as `bootId/seq`. */
  readonly acked: ReadonlySet<string>;
  /** Publishes that failed (connection closed or timed out) and were queued again. */
  readonly failures: number;
  /** Connections the broker closed or refused. */
  readonly disconnects: number;
  /** Time of the last PUBACK (ms since epoch). */
  readonly lastAckAt: number;
}

export class TestPublisher implements PublisherStats {
  readonly acked = new Set<string>();
  failures = 0;
  disconnects = 0;
  lastAckAt = 0;
  private nextSeq = 1;
  private readonly retry: number[] = [];
  private client: MqttClient | null = null;
  private running = true;
  private brokerIndex = 0;
  private readonly loop: Promise<void>;
  private readonly bootTime = Date.now();

  constructor(
    private readonly device: { id: string; secret: string },
    private readonly brokers: readonly string[],
    private readonly options: { window?: number; bootId?: string; publishTimeoutMs?: number; max?: number } = {},
  ) {
    this.loop = this.run();
  }

  get bootId(): string {
    return this.options.bootId ?? 'cluster-boot';
  }

  /** Messages handed out so far (acked or not). */
  get sent(): number {
    return this.nextSeq - 1;
  }

  /** True when every message handed out so far is acknowledged. */
  get settled(): boolean {
    return this.retry.length === 0 && this.acked.size === this.sent;
  }

  /** Stops handing out new messages; `drain` keeps re-sending the unacknowledged ones. */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    this.options.max = this.sent;
    if (!options.drain) this.running = false;
    await this.loop;
    this.client?.end(true);
  }

  /** Moves to the next broker in the list (the current one is being killed). */
  failover(): void {
    this.brokerIndex++;
    this.client?.end(true);
  }

  private async connect(): Promise<MqttClient> {
    for (;;) {
      const url = this.brokers[this.brokerIndex % this.brokers.length]!;
      const client = mqtt.connect(url, {
        clientId: this.device.id,
        username: this.device.id,
        password: this.device.secret,
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 3000,
      });
      const ok = await new Promise<boolean>((resolve) => {
        client.once('connect', () => resolve(true));
        client.once('error', () => resolve(false));
        client.once('close', () => resolve(false));
      });
      if (ok) {
        client.on('error', () => undefined);
        client.once('close', () => {
          this.disconnects++;
          // Fails the publishes still waiting for a PUBACK on this connection, so they are re-sent.
          client.end(true);
        });
        return client;
      }
      this.disconnects++;
      client.end(true);
      if (!this.running) throw new Error('stopped');
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  private publishOne(client: MqttClient, seq: number): Promise<boolean> {
    const payload = Buffer.from(testUplinkBytes(this.device.id, seq, { bootId: this.bootId, deviceTimeMs: this.bootTime + seq, firmware: '1.4.2' }));
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.options.publishTimeoutMs ?? 20_000);
      client.publish(`devices/${this.device.id}/up`, payload, { qos: 1 }, (err) => {
        clearTimeout(timer);
        resolve(!err);
      });
    });
  }

  private take(): number | null {
    const again = this.retry.shift();
    if (again !== undefined) return again;
    if (this.options.max !== undefined && this.nextSeq > this.options.max) return null;
    return this.nextSeq++;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let client: MqttClient;
      try {
        client = this.client = await this.connect();
      } catch {
        return;
      }
      // A window of publishers on this connection until it closes.
      const workers = Array.from({ length: this.options.window ?? 8 }, async () => {
        while (this.running && client.connected) {
          const seq = this.take();
          if (seq === null) {
            if (this.retry.length === 0 && this.acked.size >= this.sent) return;
            await new Promise((r) => setTimeout(r, 50));
            continue;
          }
          const ok = await this.publishOne(client, seq);
          if (ok) {
            this.acked.add(`${this.bootId}/${seq}`);
            this.lastAckAt = Date.now();
          } else {
            this.failures++;
            this.retry.push(seq);
            // No PUBACK in time: give up on this connection, as firmware does, and re-send after reconnecting.
            client.end(true);
          }
        }
      });
      await Promise.all(workers);
      client.end(true);
      if (this.options.max !== undefined && this.settled) return;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
