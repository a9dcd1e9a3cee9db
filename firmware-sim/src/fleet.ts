import type { Logger } from '@parley/logger';
import { isValidDeviceId } from '@parley/proto';
import type { BackoffOptions } from './backoff.js';
import type { CommandHandlerOptions } from './command-handler.js';
import { createCounters } from './counters.js';
import { SimDevice, type AckListener } from './device.js';
import { MODELS } from './models/index.js';
import { createRandom } from './prng.js';
import { Scheduler } from './scheduler.js';

/** One device of a fleet, as in a credentials file. */
export interface FleetDeviceSpec {
  id: string;
  secret: string;
  /** Model name: `fridge-x1`, `washer-w2` or `heatpump-h3`. */
  model: string;
  /** Firmware version; default: one of the model's, picked with the seed. */
  firmware?: string;
  /** This device's clock offset, ms; overrides the fleet's `clockSkewMs`. */
  clockOffsetMs?: number;
  /** This device's broker, when the fleet is spread over several; overrides the fleet's `brokerUrl`. */
  brokerUrl?: string;
}

/** Options of {@link startFleet}. */
export interface FleetOptions {
  /** e.g. `mqtt://127.0.0.1:1884`. */
  brokerUrl: string;
  devices: readonly FleetDeviceSpec[];
  /** Uplinks per second across the whole fleet (each device reports every `devices / rate` s). */
  messagesPerSecond: number;
  /** Samples per uplink. Default 10. */
  samplesPerMessage?: number;
  /** Stop by itself after this long (then {@link Fleet.done} resolves). Default: run until `stop()`. */
  durationMs?: number;
  /** Offset of every device's clock, ms (positive = ahead). Default 0. */
  clockSkewMs?: number;
  /** Drift of every device's clock, ppm. Default 0. */
  clockDriftPpm?: number;
  /** Seed of the metric simulations. Default 'parley'. */
  seed?: string | number;
  log: Logger;
  /** Called once per PUBACKed message; keep it cheap. */
  onAck?: AckListener;
  /** Unacknowledged QoS1 messages per device. Default 32. */
  maxInFlightPerDevice?: number;
  /** Offline buffer per device, messages. Default 10 000. */
  bufferCapacity?: number;
  backoff?: BackoffOptions;
  /** Spontaneous faults per device-day. Default 0.2. */
  faultsPerDay?: number;
  /** Spontaneous reboots per device-day. Default 0. */
  rebootsPerDay?: number;
  /** First connections are spread over this long, ms, so a large fleet does not SYN-flood the broker. Default min(5000, 5 × devices). */
  connectRampMs?: number;
  /** How long `stop()` waits for outstanding PUBACKs, ms. Default 10 000. */
  drainTimeoutMs?: number;
  commands?: CommandHandlerOptions;
  /**
   * Scheduler granularity, ms. Default 20: each device's messages of a tick leave in one socket write
   * (MQTT.js corks until the next tick), which matters more for CPU than 20 ms of timing jitter.
   */
  tickMs?: number;
}

/** A fleet-wide snapshot of counters. */
export interface FleetStats {
  devices: number;
  /** Devices connected now. */
  connected: number;
  /** Uplinks built. */
  produced: number;
  /** PUBLISH packets sent, re-sends included. */
  published: number;
  /** PUBLISH packets that re-sent a message after a reconnect. */
  resent: number;
  /** Messages PUBACKed (each once). */
  acked: number;
  /** Messages held in offline buffers (waiting or in flight). */
  buffered: number;
  /** Messages dropped from full offline buffers. */
  dropped: number;
  /** Successful reconnections. */
  reconnects: number;
  /** Connection attempts that failed. */
  connectFailures: number;
  /** Downlinks received. */
  downlinks: number;
}

/** A running fleet. */
export interface Fleet {
  readonly devices: readonly SimDevice[];
  /** Resolves once every device has connected at least once. */
  readonly ready: Promise<void>;
  /** Resolves with the final stats when the fleet has stopped (by `stop()` or `durationMs`). */
  readonly done: Promise<FleetStats>;
  stats(): FleetStats;
  /**
   * Stops producing, waits (bounded by `drainTimeoutMs`) for outstanding PUBACKs, disconnects, and
   * returns the final stats; `buffered` is what could not be delivered.
   */
  stop(): Promise<FleetStats>;
}

/** Checks fleet options once, listing every problem. */
export function validateFleetOptions(o: FleetOptions): string[] {
  const problems: string[] = [];
  const brokerUrlOk = (url: string) => /^(mqtts?|tcp|tls|wss?):\/\//.test(url);
  if (!brokerUrlOk(o.brokerUrl)) problems.push(`brokerUrl ${JSON.stringify(o.brokerUrl)} is not an mqtt:// (or mqtts://, ws://) URL`);
  if (o.devices.length === 0) problems.push('devices is empty');
  const seen = new Set<string>();
  for (const [i, d] of o.devices.entries()) {
    if (!isValidDeviceId(d.id)) problems.push(`devices[${i}].id ${JSON.stringify(d.id)} is not a valid device id`);
    else if (seen.has(d.id)) problems.push(`devices[${i}].id ${d.id} appears twice`);
    seen.add(d.id);
    if (typeof d.secret !== 'string' || d.secret === '') problems.push(`devices[${i}].secret is missing`);
    if (d.brokerUrl !== undefined && !brokerUrlOk(d.brokerUrl)) problems.push(`devices[${i}].brokerUrl ${JSON.stringify(d.brokerUrl)} is not an mqtt:// (or mqtts://, ws://) URL`);
    if (!MODELS.has(d.model)) problems.push(`devices[${i}].model ${JSON.stringify(d.model)} is unknown (known: ${[...MODELS.keys()].join(', ')})`);
  }
  if (!(o.messagesPerSecond > 0) || !Number.isFinite(o.messagesPerSecond)) problems.push('messagesPerSecond must be a positive number');
  const samples = o.samplesPerMessage ?? 10;
  if (!Number.isInteger(samples) || samples < 1 || samples > 1000) problems.push('samplesPerMessage must be an integer within 1..1000');
  if (o.durationMs !== undefined && !(o.durationMs > 0)) problems.push('durationMs must be positive');
  if (!Number.isFinite(o.clockSkewMs ?? 0)) problems.push('clockSkewMs must be a finite number');
  return problems;
}

/**
 * Starts a fleet of simulated appliances sharing one scheduler.
 *
 * Sized for one process to sustain 20 000+ QoS1 messages/s: one timer for all devices, a window of
 * in-flight messages per device (no per-message round-trip wait), shared counters, and the per-tick
 * batching that lets MQTT.js coalesce a device's packets into one socket write.
 *
 * @throws RangeError listing every invalid option.
 */
export function startFleet(options: FleetOptions): Fleet {
  const problems = validateFleetOptions(options);
  if (problems.length > 0) throw new RangeError(`invalid fleet options:\n  - ${problems.join('\n  - ')}`);
  const log = options.log.child({ component: 'fleet' });
  const counters = createCounters();
  const n = options.devices.length;
  const intervalMs = (n * 1000) / options.messagesPerSecond;
  const scheduler = new Scheduler({ minSleepMs: options.tickMs ?? 20, onError: (err) => log.error({ err }, 'device task failed') });
  const phase = createRandom(`${options.seed ?? 'parley'}:phase`);

  const devices = options.devices.map(
    (spec) =>
      new SimDevice({
        brokerUrl: spec.brokerUrl ?? options.brokerUrl,
        id: spec.id,
        secret: spec.secret,
        model: spec.model,
        firmware: spec.firmware,
        seed: options.seed,
        samplesPerMessage: options.samplesPerMessage,
        reportIntervalMs: intervalMs,
        clockSkew: { offsetMs: spec.clockOffsetMs ?? options.clockSkewMs ?? 0, driftPpm: options.clockDriftPpm ?? 0 },
        bufferCapacity: options.bufferCapacity,
        maxInFlight: options.maxInFlightPerDevice,
        backoff: options.backoff,
        faultsPerDay: options.faultsPerDay,
        rebootsPerDay: options.rebootsPerDay,
        commands: options.commands,
        log: options.log,
        counters,
        onAck: options.onAck,
      }),
  );

  // Random phases: devices started together would otherwise all report in the same millisecond.
  const start = Date.now();
  for (const device of devices) {
    scheduler.add(device, start + phase() * device.intervalMs);
    device.onIntervalChange = () => scheduler.reschedule(device, Date.now() + device.intervalMs);
  }
  scheduler.start();

  // Connect in batches over the ramp with a single timer.
  const rampMs = options.connectRampMs ?? Math.min(5000, 5 * n);
  const rampStepMs = 10;
  const perStep = rampMs <= 0 ? n : Math.max(1, Math.ceil((n * rampStepMs) / rampMs));
  let started = 0;
  const startBatch = () => {
    for (const end = Math.min(n, started + perStep); started < end; started++) devices[started]!.start();
  };
  startBatch();
  const ramp = started < n ? setInterval(() => {
    startBatch();
    if (started >= n) clearInterval(ramp);
  }, rampStepMs) : undefined;

  const stats = (): FleetStats => {
    let buffered = 0;
    for (const d of devices) buffered += d.buffered;
    return {
      devices: n,
      connected: counters.connected,
      produced: counters.produced,
      published: counters.published,
      resent: counters.resent,
      acked: counters.acked,
      buffered,
      dropped: counters.dropped,
      reconnects: counters.reconnects,
      connectFailures: counters.connectFailures,
      downlinks: counters.downlinks,
    };
  };

  let stopping: Promise<FleetStats> | undefined;
  let resolveDone!: (s: FleetStats) => void;
  const done = new Promise<FleetStats>((resolve) => (resolveDone = resolve));
  const stop = (): Promise<FleetStats> => {
    stopping ??= (async () => {
      scheduler.stop();
      clearTimeout(durationTimer);
      clearInterval(ramp);
      const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
      await Promise.all(devices.map((d) => d.stop(drainTimeoutMs)));
      const final = stats();
      log[final.buffered > 0 ? 'warn' : 'info']({ ...final }, 'fleet stopped');
      resolveDone(final);
      return final;
    })();
    return stopping;
  };
  const durationTimer = options.durationMs ? setTimeout(() => void stop(), options.durationMs) : undefined;

  const ready = new Promise<void>((resolve) => {
    const check = () => {
      if (counters.everConnected >= n || stopping) resolve();
      else setTimeout(check, 20);
    };
    check();
  });

  log.info({ devices: n, messagesPerSecond: options.messagesPerSecond, intervalMs }, 'fleet started');
  return { devices, ready, done, stats, stop };
}
