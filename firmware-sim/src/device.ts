import { randomUUID } from 'node:crypto';
import type { Logger } from '@parley/logger';
import { decodeDownlink, downlinkTopic, uplinkTopic, type CommandResult, type DeviceEvent, type Downlink, type Uplink } from '@parley/proto';
import type { BackoffOptions } from './backoff.js';
import { DeviceClock, type ClockSkew } from './clock.js';
import { CommandHandler, type CommandHandlerOptions, type CommandHost, type DownlinkOutcome } from './command-handler.js';
import { createCounters, type DeviceCounters } from './counters.js';
import { getModel, type ApplianceModel, type ApplianceSim } from './models/index.js';
import { createRandom, pick, type Random } from './prng.js';
import type { PeriodicTask } from './scheduler.js';
import { uplinkTemplate, UplinkBuilder } from './uplink-builder.js';
import { encodeUplinkFast } from './uplink-encoder.js';
import { UplinkLink, type AckListener, type OutboundMessage } from './uplink-link.js';

export type { AckListener, OutboundMessage } from './uplink-link.js';

/** Options of one simulated appliance. */
export interface SimDeviceOptions {
  brokerUrl: string;
  id: string;
  secret: string;
  /** A model or its name (`fridge-x1`, `washer-w2`, `heatpump-h3`). */
  model: ApplianceModel | string;
  /** Firmware version; default: one of the model's, picked with the seed. */
  firmware?: string;
  /** Seed of the metric simulation; the device mixes in its id. Default 'parley'. */
  seed?: string | number;
  /** Samples per uplink. Default 10. */
  samplesPerMessage?: number;
  /** Report interval, ms, until a config `report_interval_s` overrides it. Default 10 000. */
  reportIntervalMs?: number;
  clockSkew?: ClockSkew;
  /** Most messages kept while offline; the oldest is dropped beyond. Default 10 000. */
  bufferCapacity?: number;
  /** QoS1 messages sent but not yet PUBACKed, per device. Default 32. */
  maxInFlight?: number;
  backoff?: BackoffOptions;
  /** A connection that lasted this long resets the backoff; shorter ones count as flapping. Default 10 000. */
  stableAfterMs?: number;
  keepaliveS?: number;
  connectTimeoutMs?: number;
  /** Spontaneous reboots per day (power cuts, watchdog). Default 0. */
  rebootsPerDay?: number;
  /** Time a reboot keeps the device off the network, ms. Default 1000. */
  bootDelayMs?: number;
  /** Passed to the model. */
  faultsPerDay?: number;
  degradation?: number;
  degradationPerDay?: number;
  commands?: CommandHandlerOptions;
  log: Logger;
  /** Shared fleet counters; a device on its own gets its own. */
  counters?: DeviceCounters;
  onAck?: AckListener;
}

const NO_EVENTS: DeviceEvent[] = [];
const NO_RESULTS: CommandResult[] = [];
const DAY_MS = 86_400_000;

/**
 * One simulated appliance on MQTT: an appliance model, its clock, boots and sequence numbers,
 * command handling, and an {@link UplinkLink} (offline buffer, in-flight window, reconnects).
 *
 * The device does not schedule itself: a fleet's {@link Scheduler} calls {@link run} (or anyone
 * calls {@link produce}).
 */
export class SimDevice implements PeriodicTask {
  readonly id: string;
  readonly model: ApplianceModel;
  /** Called when a config change altered {@link intervalMs}. */
  onIntervalChange: (() => void) | undefined;
  private firmwareVersion: string;
  private boot: string;
  private seqNo = 0;
  private template: Uplink;
  private readonly sim: ApplianceSim;
  private readonly builder: UplinkBuilder;
  private readonly clock: DeviceClock;
  private readonly link: UplinkLink;
  private readonly commands: CommandHandler;
  private readonly counters: DeviceCounters;
  private readonly log: Logger;
  private readonly deviceRand: Random;
  private readonly defaultIntervalMs: number;
  private intervalOverrideMs: number | undefined;
  private state: 'new' | 'running' | 'stopping' | 'closed' = 'new';
  private readonly timers = new Set<NodeJS.Timeout>();
  private events: DeviceEvent[] = [];
  private results: CommandResult[] = [];
  private flushScheduled = false;
  private lastProducedAt = Number.NaN;
  private lastDeviceTimeMs = 0;

  constructor(private readonly options: SimDeviceOptions) {
    this.id = options.id;
    this.model = typeof options.model === 'string' ? getModel(options.model) : options.model;
    const seed = `${options.seed ?? 'parley'}:${options.id}`;
    this.deviceRand = createRandom(`${seed}:device`);
    this.firmwareVersion = options.firmware ?? pick(this.deviceRand, this.model.firmwares);
    this.counters = options.counters ?? createCounters();
    this.log = options.log.child({ component: 'sim', deviceId: options.id });
    this.defaultIntervalMs = options.reportIntervalMs ?? 10_000;
    this.clock = new DeviceClock(options.clockSkew);
    this.link = new UplinkLink({
      brokerUrl: options.brokerUrl,
      id: options.id,
      secret: options.secret,
      upTopic: uplinkTopic(options.id),
      downTopic: downlinkTopic(options.id),
      bufferCapacity: options.bufferCapacity,
      maxInFlight: options.maxInFlight,
      backoff: options.backoff,
      jitter: createRandom(`${seed}:backoff`),
      stableAfterMs: options.stableAfterMs,
      keepaliveS: options.keepaliveS,
      connectTimeoutMs: options.connectTimeoutMs,
      counters: this.counters,
      log: this.log,
      onAck: options.onAck,
      onDownlink: (payload) => this.onDownlink(payload),
    });
    this.sim = this.model.create({
      rand: createRandom(`${seed}:model`),
      firmware: this.firmwareVersion,
      faultsPerDay: options.faultsPerDay,
      degradation: options.degradation,
      degradationPerDay: options.degradationPerDay,
    });
    this.builder = new UplinkBuilder(this.model, this.sim, options.samplesPerMessage ?? 10);
    this.commands = new CommandHandler(this.commandHost(), this.log, options.commands);
    // Boot ids are random, not seeded: two runs with one seed must not reuse (device, boot, seq)
    // keys, or the platform would take the second run's messages for duplicates.
    this.boot = randomUUID();
    this.template = uplinkTemplate(this.id, this.boot, this.firmwareVersion);
    this.bootEvent('power_on', '');
  }

  /** Current boot id. */
  get bootId(): string {
    return this.boot;
  }
  /** Seq of the last message built in this boot (0 before the first). */
  get seq(): number {
    return this.seqNo;
  }
  get firmware(): string {
    return this.firmwareVersion;
  }
  get connected(): boolean {
    return this.link.connected;
  }
  /** Messages held until PUBACK (waiting or in flight). */
  get buffered(): number {
    return this.link.buffered;
  }
  /** Messages this device dropped from its full buffer. */
  get dropped(): number {
    return this.link.dropped;
  }
  /** The buffered messages, oldest first (for tests and diagnostics; allocates). */
  bufferedMessages(): OutboundMessage[] {
    return this.link.bufferedMessages();
  }
  /** Report interval now in force, ms. */
  get intervalMs(): number {
    return this.intervalOverrideMs ?? this.defaultIntervalMs;
  }

  /** Starts connecting (and reconnecting until {@link stop}). Messages can be produced before. */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'running';
    this.link.start();
  }

  /** {@link PeriodicTask} entry point: builds one regular uplink. */
  run(nowMs: number): void {
    this.produce(nowMs);
  }

  /**
   * Builds one uplink at real time `realNowMs` (samples, pending events and command results),
   * buffers it and sends what the in-flight window allows. Returns its seq, or 0 once stopping.
   */
  produce(realNowMs = Date.now(), withSamples = true): number {
    if (this.state === 'stopping' || this.state === 'closed') return 0;
    this.maybeReboot(realNowMs);
    // Device clocks are monotonic: a flush at "now" may precede a scheduled run whose due time was
    // a few ms earlier, and that message must not appear to go back in time.
    const now = Math.max(this.clock.at(realNowMs), this.lastDeviceTimeMs);
    this.lastDeviceTimeMs = now;
    const u = this.template;
    u.seq = ++this.seqNo;
    u.deviceTimeMs = now;
    u.samples = withSamples ? this.builder.samples(now, this.intervalMs) : [];
    this.sim.drainEvents(this.events);
    u.events = this.events.length > 0 ? this.events : NO_EVENTS;
    u.commandResults = this.results.length > 0 ? this.results : NO_RESULTS;
    const payload = encodeUplinkFast(u);
    if (this.events.length > 0) this.events = [];
    if (this.results.length > 0) this.results = [];
    this.counters.produced++;
    this.link.send({ payload, bootId: this.boot, seq: u.seq, producedAtMs: realNowMs });
    return u.seq;
  }

  /** Handles a decoded downlink (public so tests can drive commands without a broker). */
  handleDownlink(downlink: Downlink): DownlinkOutcome {
    return this.commands.handle(downlink);
  }

  /** Injects a model scenario (e.g. 'door_open'); see `ApplianceSim.trigger`. */
  trigger(scenario: string, durationMs?: number): boolean {
    return this.sim.trigger(scenario, durationMs);
  }

  /**
   * Simulates a restart: new boot id, seq restarts at 1, a `boot` event, and the network connection
   * drops for `bootDelayMs`. The buffer survives (it models flash), so unacknowledged messages of the
   * old boot are still delivered with their old boot id and seq.
   */
  reboot(reason = 'remote', firmware?: string, afterBoot?: () => void): void {
    const previous = this.boot;
    if (firmware) this.firmwareVersion = firmware;
    this.boot = randomUUID();
    this.seqNo = 0;
    this.template = uplinkTemplate(this.id, this.boot, this.firmwareVersion);
    this.bootEvent(reason, previous);
    afterBoot?.();
    this.log.info({ reason, bootId: this.boot, firmware: this.firmwareVersion }, 'rebooted');
    this.link.restart(this.options.bootDelayMs ?? 1000);
    this.flushSoon();
  }

  /**
   * Stops producing, waits up to `drainTimeoutMs` for every buffered message to be PUBACKed (the
   * device keeps reconnecting meanwhile), then disconnects. Returns how many messages were left.
   */
  async stop(drainTimeoutMs = 5000): Promise<number> {
    if (this.state === 'closed') return this.link.buffered;
    this.state = 'stopping';
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const left = await this.link.stop(drainTimeoutMs);
    this.state = 'closed';
    if (left > 0) this.log.warn({ buffered: left }, 'stopped with undelivered messages');
    return left;
  }

  private onDownlink(payload: Buffer): void {
    this.counters.downlinks++;
    let downlink: Downlink;
    try {
      downlink = decodeDownlink(payload);
    } catch (error) {
      // Nothing to answer (no command id), but the conversation should show it happened.
      this.log.warn({ err: (error as Error).message, bytes: payload.length }, 'undecodable downlink');
      this.events.push({
        code: 'downlink_invalid',
        severity: 'warning',
        timeMs: this.clock.at(Date.now()),
        message: 'received a downlink that could not be decoded',
        attributes: { bytes: String(payload.length) },
      });
      this.flushSoon();
      return;
    }
    this.commands.handle(downlink);
  }

  private maybeReboot(realNowMs: number): void {
    const perDay = this.options.rebootsPerDay ?? 0;
    const last = this.lastProducedAt;
    this.lastProducedAt = realNowMs;
    if (perDay <= 0 || Number.isNaN(last)) return;
    if (this.deviceRand() < 1 - Math.exp((-perDay * (realNowMs - last)) / DAY_MS)) this.reboot('watchdog');
  }

  private bootEvent(reason: string, previousBootId: string): void {
    this.events.push({
      code: 'boot',
      severity: 'info',
      timeMs: this.clock.at(Date.now()),
      message: `booted (${reason})`,
      attributes: { reason, firmware: this.firmwareVersion, previous_boot_id: previousBootId },
    });
  }

  /** Sends pending command results and events in their own uplink, without waiting for the next report. */
  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (this.results.length > 0 || this.events.length > 0) this.produce(Date.now(), false);
    });
  }

  private commandHost(): CommandHost {
    return {
      model: this.model,
      sim: this.sim,
      firmware: () => this.firmwareVersion,
      deviceNow: () => this.clock.at(Date.now()),
      report: (commandId, status, detail) => {
        this.results.push({ commandId, status, timeMs: this.clock.at(Date.now()), detail });
        this.flushSoon();
      },
      later: (ms, fn) => {
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          fn();
        }, ms);
        this.timers.add(timer);
      },
      deviceSetting: (key, value, apply) => this.deviceSetting(key, value, apply),
      reboot: (reason, firmware, afterBoot) => this.reboot(reason, firmware, afterBoot),
    };
  }

  private deviceSetting(key: string, value: string, apply: boolean): string | undefined | 'not-mine' {
    const n = Number(value);
    switch (key) {
      case 'report_interval_s':
        if (!Number.isInteger(n) || n < 1 || n > 86_400) return 'report_interval_s must be an integer within 1..86400';
        if (apply) {
          this.intervalOverrideMs = n * 1000;
          this.onIntervalChange?.();
        }
        return undefined;
      case 'samples_per_message':
        if (!Number.isInteger(n) || n < 1 || n > 1000) return 'samples_per_message must be an integer within 1..1000';
        if (apply) this.builder.setSamplesPerMessage(n);
        return undefined;
      default:
        return 'not-mine';
    }
  }
}
