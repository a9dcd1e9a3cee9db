import type { Registry } from '@parley/registry';
import type { Store } from '@parley/store';
import type { LiveFeed } from './live-feed';

export interface HealthReport {
  ok: boolean;
  components: Record<string, { ok: boolean; detail?: string }>;
}

/** Delivers an approved command to its device (the MQTT broker's down topic) and records the downlink. */
export interface CommandSender {
  send(command: { id: string; deviceId: string; kind: string; body: Record<string, unknown>; expiresAtMs: number; issuedBy: string }): Promise<void>;
}

/** Product rules the API enforces (from config). */
export interface ApiPolicy {
  /** Fleet aggregates never show a group of fewer devices than this. */
  kAnonymity: number;
  /** Command classes delivered without waiting for the owner (always shown to them). */
  emergencyCommandClasses: readonly string[];
  /** Destinations may use http://, mqtt:// and private/loopback addresses (tests, the local demo). Default false. */
  deliveryAllowInsecureTargets?: boolean;
}

export interface ApiDeps {
  store: Store;
  registry: Registry;
  /** Readiness of the platform's parts (store, log, broker). */
  health: () => Promise<HealthReport>;
  /** Absent when this process cannot reach devices (then approved commands wait, `approved`). */
  commands?: CommandSender;
  /** Newly stored uplinks, for live tails; absent = live tail unavailable in this process. */
  live?: LiveFeed;
  policy: ApiPolicy;
}
