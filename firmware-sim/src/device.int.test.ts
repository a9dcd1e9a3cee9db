import { silentLogger } from '@parley/logger';
import { decodeUplink, encodeDownlink, type CommandResult, type Downlink } from '@parley/proto';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from './fleet.js';
import { startTestBroker, type TestBroker } from './testing/aedes-broker.js';

const DEVICES = [
  { id: 'it-fridge-1', secret: 's1', model: 'fridge-x1' },
  { id: 'it-washer-1', secret: 's2', model: 'washer-w2' },
  { id: 'it-heatpump-1', secret: 's3', model: 'heatpump-h3' },
];
const SUBSCRIBER = 'it-subscriber';

/** What the test subscriber saw, per device: (boot id, seq) in arrival order, and command results. */
class Observer {
  readonly arrivals = new Map<string, Array<{ bootId: string; seq: number }>>();
  readonly results: CommandResult[] = [];
  readonly client: MqttClient;
  readonly subscribed: Promise<void>;

  constructor(url: string) {
    // The subscriber reconnects on its own (fixed period is fine for a test client) and resubscribes.
    this.client = mqtt.connect(url, { clientId: SUBSCRIBER, protocolVersion: 4, clean: true, reconnectPeriod: 100 });
    this.client.on('error', () => {});
    this.client.on('message', (topic, payload) => {
      const u = decodeUplink(payload);
      expect(topic).toBe(`devices/${u.deviceId}/up`);
      const list = this.arrivals.get(u.deviceId) ?? [];
      list.push({ bootId: u.bootId, seq: u.seq });
      this.arrivals.set(u.deviceId, list);
      this.results.push(...u.commandResults);
    });
    this.subscribed = new Promise((resolve, reject) => {
      this.client.once('connect', () => this.client.subscribe('devices/+/up', { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    });
  }

  /** Distinct seqs of the device's first boot, in order of first arrival (re-sends are duplicates). */
  seqs(deviceId: string, bootId: string): number[] {
    const seen = new Set<number>();
    const out: number[] = [];
    for (const a of this.arrivals.get(deviceId) ?? []) {
      if (a.bootId !== bootId || seen.has(a.seq)) continue;
      seen.add(a.seq);
      out.push(a.seq);
    }
    return out;
  }

  maxSeq(deviceId: string, bootId: string): number {
    return Math.max(0, ...this.seqs(deviceId, bootId));
  }
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('simulated devices against a real Aedes broker', () => {
  let broker: TestBroker | undefined;
  let fleet: Fleet | undefined;
  let observer: Observer | undefined;

  afterEach(async () => {
    await fleet?.stop();
    observer?.client.end(true);
    await broker?.kill();
  });

  it('delivers every message produced during a broker outage after reconnect, in order, without gaps; answers commands', async () => {
    broker = await startTestBroker(0);
    const port = broker.port;
    observer = new Observer(broker.url);
    await observer.subscribed;

    fleet = startFleet({
      brokerUrl: broker.url,
      devices: DEVICES,
      messagesPerSecond: 60,
      samplesPerMessage: 10,
      seed: 'int-test',
      log: silentLogger(),
      backoff: { initialMs: 50, maxMs: 400 },
      connectRampMs: 0,
      drainTimeoutMs: 5000,
      commands: { rebootDelayMs: 50 },
    });
    await fleet.ready;
    const boots = new Map(fleet.devices.map((d) => [d.id, d.bootId]));

    // 1. Online: messages arrive with increasing seq.
    await waitFor('10 messages per device', () => DEVICES.every((d) => observer!.maxSeq(d.id, boots.get(d.id)!) >= 10));
    for (const d of DEVICES) {
      const seqs = observer.seqs(d.id, boots.get(d.id)!);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }

    // 2. Broker crash. Devices first, then (after the subscriber read what was routed) everyone else.
    await broker.kill({ first: (id) => id !== SUBSCRIBER });
    broker = undefined;
    await waitFor('devices to notice', () => fleet!.stats().connected === 0, 5000);
    const deliveredBefore = new Map(DEVICES.map((d) => [d.id, observer!.maxSeq(d.id, boots.get(d.id)!)]));

    // Devices keep producing while offline.
    await new Promise((r) => setTimeout(r, 1500));
    const producedOffline = new Map(fleet.devices.map((d) => [d.id, d.seq]));
    for (const d of DEVICES) expect(producedOffline.get(d.id)! - deliveredBefore.get(d.id)!).toBeGreaterThanOrEqual(20);
    expect(fleet.stats().buffered).toBeGreaterThanOrEqual(60);
    expect(fleet.stats().connectFailures).toBeGreaterThan(0);

    // 3. Restart on the same port. Devices are let in only once the subscriber has resubscribed,
    //    or messages replayed before that would be routed to nobody and look lost.
    let gateOpen = false;
    broker = await startTestBroker(port, {
      authenticate: (client, _user, _pass, done) => {
        if (client.id === SUBSCRIBER || gateOpen) return done(null, true);
        done(Object.assign(new Error('not yet'), { returnCode: 3 as const }), false);
      },
    });
    broker.broker.on('subscribe', (_subs, client) => {
      if (client.id === SUBSCRIBER) gateOpen = true;
    });

    await waitFor('replay of everything produced offline', () =>
      DEVICES.every((d) => observer!.maxSeq(d.id, boots.get(d.id)!) >= producedOffline.get(d.id)!),
    );
    for (const d of DEVICES) {
      const seqs = observer.seqs(d.id, boots.get(d.id)!);
      // In order of first arrival, from 1, no gap: nothing produced offline was lost or reordered.
      expect(seqs.slice(0, producedOffline.get(d.id)!)).toEqual(Array.from({ length: producedOffline.get(d.id)! }, (_, i) => i + 1));
    }
    const afterReplay = fleet.stats();
    expect(afterReplay.reconnects).toBeGreaterThanOrEqual(3);
    expect(afterReplay.dropped).toBe(0);

    // 4. Downlinks: a model command, a generic one and an unknown one each get their CommandResults.
    const send = (deviceId: string, commandId: string, name: string) => {
      const downlink: Downlink = {
        schemaVersion: 1,
        commandId,
        issuedAtMs: Date.now(),
        expiresAtMs: Date.now() + 60_000,
        body: { kind: 'command', name, params: {} },
      };
      observer!.client.publish(`devices/${deviceId}/down`, Buffer.from(encodeDownlink(downlink)), { qos: 1 });
    };
    send('it-fridge-1', 'cmd-defrost-1', 'defrost');
    send('it-washer-1', 'cmd-ping-1', 'ping');
    send('it-heatpump-1', 'cmd-bogus-1', 'make_coffee');
    const statuses = (id: string) => observer!.results.filter((r) => r.commandId === id).map((r) => r.status);
    await waitFor('command results', () =>
      statuses('cmd-defrost-1').includes('succeeded') && statuses('cmd-ping-1').includes('succeeded') && statuses('cmd-bogus-1').length > 0,
    );
    expect(statuses('cmd-defrost-1')).toEqual(['accepted', 'succeeded']);
    expect(statuses('cmd-ping-1')).toEqual(['accepted', 'succeeded']);
    expect(statuses('cmd-bogus-1')).toEqual(['rejected']);

    // 5. Stop drains: nothing left undelivered.
    const final = await fleet.stop();
    expect(final.buffered).toBe(0);
    expect(final.acked).toBe(final.produced);
  });
});
