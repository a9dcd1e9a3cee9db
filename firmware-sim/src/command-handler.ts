import type { CommandStatus, Downlink } from '@parley/proto';
import { SCHEMA_VERSION, SHA256_PATTERN } from '@parley/proto';
import type { Logger } from '@parley/logger';
import type { ApplianceModel, ApplianceSim } from './models/index.js';

/** What the command handler needs from its device. */
export interface CommandHost {
  readonly model: ApplianceModel;
  readonly sim: ApplianceSim;
  /** Firmware running now (it changes with a firmware update). */
  firmware(): string;
  /** Device clock now (expiry is judged by the device's own, possibly skewed, clock — as on real hardware). */
  deviceNow(): number;
  /** Queues a CommandResult for the next uplink, which is sent right away. */
  report(commandId: string, status: CommandStatus, detail: string): void;
  /** Runs `fn` after `ms`, unless the device stops first. */
  later(ms: number, fn: () => void): void;
  /** Checks (and if `apply`, applies) a setting the device itself owns; undefined if the key is not one. */
  deviceSetting(key: string, value: string, apply: boolean): string | undefined | 'not-mine';
  /** Restarts the device (new boot id, seq from 1), optionally onto another firmware; `afterBoot` runs in the new boot. */
  reboot(reason: string, firmware?: string, afterBoot?: () => void): void;
}

/** What became of a downlink. */
export type DownlinkOutcome = 'handled' | 'expired' | 'duplicate' | 'invalid';

/** Options for {@link CommandHandler}. */
export interface CommandHandlerOptions {
  /** Simulated download + flash time of a firmware offer, ms. Default 5000. */
  firmwareInstallMs?: number;
  /** Time from a `reboot` command to the reboot, ms. Default 1000. */
  rebootDelayMs?: number;
}

/** Command ids remembered to drop redeliveries (QoS1 is at-least-once). */
const REMEMBERED_COMMANDS = 256;

/**
 * Turns downlinks into actions and CommandResults: `accepted` as soon as the device commits to a
 * command, then `succeeded`/`failed` when done; `rejected` for unknown commands, bad parameters and
 * unsafe requests. Expired commands are ignored without an answer (the platform already gave up).
 */
export class CommandHandler {
  private readonly seen = new Set<string>();
  private readonly firmwareInstallMs: number;
  private readonly rebootDelayMs: number;

  constructor(private readonly host: CommandHost, private readonly log: Logger, options: CommandHandlerOptions = {}) {
    this.firmwareInstallMs = options.firmwareInstallMs ?? 5000;
    this.rebootDelayMs = options.rebootDelayMs ?? 1000;
  }

  /** Handles one decoded downlink. */
  handle(downlink: Downlink): DownlinkOutcome {
    const { commandId } = downlink;
    if (!commandId) {
      this.log.warn('downlink without command id ignored');
      return 'invalid';
    }
    if (this.seen.has(commandId)) {
      this.log.debug({ commandId }, 'duplicate downlink ignored');
      return 'duplicate';
    }
    this.remember(commandId);
    const now = this.host.deviceNow();
    if (downlink.expiresAtMs > 0 && downlink.expiresAtMs <= now) {
      this.log.info({ commandId, expiresAtMs: downlink.expiresAtMs, deviceTimeMs: now }, 'expired downlink ignored');
      return 'expired';
    }
    if (downlink.schemaVersion > SCHEMA_VERSION) {
      this.host.report(commandId, 'rejected', `unsupported schema_version ${downlink.schemaVersion}`);
      return 'handled';
    }
    const body = downlink.body;
    switch (body.kind) {
      case 'command':
        this.command(commandId, body.name, body.params);
        break;
      case 'config':
        this.config(commandId, body.settings);
        break;
      case 'firmware_offer':
        this.firmwareOffer(commandId, body.version, body.url, body.sha256);
        break;
      default:
        this.host.report(commandId, 'rejected', 'unsupported downlink body');
    }
    return 'handled';
  }

  private command(id: string, name: string, params: Record<string, string>): void {
    const host = this.host;
    if (name === 'ping') {
      host.report(id, 'accepted', '');
      host.report(id, 'succeeded', 'pong');
      return;
    }
    if (name === 'reboot') {
      host.report(id, 'accepted', `rebooting in ${this.rebootDelayMs} ms`);
      host.later(this.rebootDelayMs, () => host.reboot('remote', undefined, () => host.report(id, 'succeeded', 'rebooted')));
      return;
    }
    const outcome = host.sim.command(name, params);
    switch (outcome.kind) {
      case 'unknown':
        host.report(id, 'rejected', `unknown command ${name}`);
        return;
      case 'rejected':
        host.report(id, 'rejected', outcome.detail);
        return;
      case 'run':
        host.report(id, 'accepted', '');
        host.later(outcome.durationMs, () => host.report(id, outcome.status, outcome.detail));
    }
  }

  private config(id: string, settings: Record<string, string>): void {
    const entries = Object.entries(settings);
    if (entries.length === 0) {
      this.host.report(id, 'rejected', 'no settings');
      return;
    }
    // All-or-nothing: check every key before applying any.
    const errors: string[] = [];
    for (const [key, value] of entries) {
      const error = this.setting(key, value, false);
      if (error) errors.push(error);
    }
    if (errors.length > 0) {
      this.host.report(id, 'rejected', errors.join('; '));
      return;
    }
    for (const [key, value] of entries) this.setting(key, value, true);
    this.host.report(id, 'accepted', '');
    this.host.report(id, 'succeeded', `applied ${entries.map(([k]) => k).join(', ')}`);
  }

  private setting(key: string, value: string, apply: boolean): string | undefined {
    const mine = this.host.deviceSetting(key, value, apply);
    return mine === 'not-mine' ? this.host.sim.applySetting(key, value, apply) : mine;
  }

  private firmwareOffer(id: string, version: string, url: string, sha256: string): void {
    const host = this.host;
    if (!url) return host.report(id, 'rejected', 'firmware offer without url');
    if (!SHA256_PATTERN.test(sha256)) return host.report(id, 'rejected', 'sha256 must be 64 lowercase hex digits');
    if (version === host.firmware()) {
      host.report(id, 'accepted', '');
      return host.report(id, 'succeeded', `${version} already installed`);
    }
    if (!host.model.firmwares.includes(version)) {
      return host.report(id, 'rejected', `${version} is not a firmware for ${host.model.name}`);
    }
    host.report(id, 'accepted', `installing ${version}`);
    host.later(this.firmwareInstallMs, () =>
      host.reboot('firmware_update', version, () => host.report(id, 'succeeded', `installed ${version}`)),
    );
  }

  private remember(commandId: string): void {
    this.seen.add(commandId);
    if (this.seen.size > REMEMBERED_COMMANDS) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
