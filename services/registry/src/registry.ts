import type { Destinations, Outbox } from './relationships/destination-types';
import type { AccessLog, Accounts, Commands, Erasure, Grants, Inferences, Ownership, Timeline } from './relationships/types';
import type { Ideas, Notes } from './relationships/voice-types';

/** Whether a device may connect: `disabled` devices fail authentication but keep their record. */
export type DeviceStatus = 'active' | 'disabled';

/** A device as the registry shows it. Never carries the secret, its hash or its salt. */
export interface DeviceRecord {
  id: string;
  model: string;
  /** The firmware version the device last reported (the provisioned one until its first report). */
  firmware: string;
  status: DeviceStatus;
  /** Cohort tags (`region:eu-west`, `cohort:beta`) fleet analytics filter by. */
  tags: string[];
  createdAt: Date;
}

/** What to provision: `count` devices of one model and firmware. */
export interface ProvisionRequest {
  /** Model name, `/^[a-z0-9][a-z0-9-]{1,47}$/`, e.g. `fridge-x1`. */
  model: string;
  /** Firmware version installed at the factory, semver-ish (`1.4.2`, `2.0.0-rc.1`). */
  firmware: string;
  /** 1 to 100,000. */
  count: number;
  /** First part of each id instead of the model (`${idPrefix}-${random}`); letters, digits, `_.:-`, ≤ 64. */
  idPrefix?: string;
  /** Cohort tags for every provisioned device. */
  tags?: string[];
}

/** A newly provisioned (active) device with its secret. The secret is returned this once and never stored. */
export interface ProvisionedDevice extends DeviceRecord {
  /** 32 random bytes, base64url. Give it to the device; the registry keeps only a salted hash. */
  secret: string;
  /** One-time code for the owner to claim the device (print it on the box); stored only as a hash. */
  claimCode: string;
}

/** A page request for {@link Registry.listDevices}. */
export interface ListDevicesQuery {
  /** Only devices of this model. */
  model?: string;
  /** Page size, 1 to 1000. */
  limit: number;
  /** `nextCursor` of the previous page; omit for the first page. */
  cursor?: string;
}

/** One page of devices in id order. */
export interface DevicePage {
  devices: DeviceRecord[];
  /** Pass to the next call for the following page; `null` on the last page. */
  nextCursor: string | null;
}

/**
 * The device registry: which devices exist, their credentials and state. Callers depend on this
 * interface; `createRegistry` implements it over any {@link Sql} (PGlite embedded, PostgreSQL later),
 * and `describeRegistry` (`@parley/registry/contract`) is the suite every implementation passes.
 *
 * Errors: bad input is a `ValidationError` (`invalid_model`, `invalid_firmware`, `invalid_count`,
 * `invalid_id_prefix`, `invalid_limit`, `invalid_cursor`); a missing device on a write is a
 * `NotFoundError` (`device_not_found`); a database failure is a `DependencyError`
 * (`registry_unavailable`).
 */
export interface Registry {
  /** Accounts (engineers, households, grantees) and their bearer tokens. */
  readonly accounts: Accounts;
  /** Claiming, transfer, release: who owned which device when. */
  readonly ownership: Ownership;
  /** Owners' scoped grants to third parties, with consent receipts. */
  readonly grants: Grants;
  /** Every read of a device's data. */
  readonly accessLog: AccessLog;
  /** The relationship's own conversation entries (claims, inferences, disputes, commands). */
  readonly timeline: Timeline;
  /** Manufacturer inferences and the owner's disputes and notes. */
  readonly inferences: Inferences;
  /** Commands that wait for the owner's consent. */
  readonly commands: Commands;
  /** Erasing an ownership period's records. */
  readonly erasure: Erasure;
  /** Where owners push their device's stream (webhooks, MQTT topics), with consent receipts. */
  readonly destinations: Destinations;
  /** The per-destination delivery queue the delivery role fills and drains. */
  readonly outbox: Outbox;
  /** Owners' notes pinned to moments of a device's timeline, with versions and replies. */
  readonly notes: Notes;
  /** Proposals for a model, with votes per ownership period, comments and status updates. */
  readonly ideas: Ideas;
  /**
   * Creates `count` devices in one transaction (all or none) with fresh ids and secrets.
   * The returned secrets are the only copy: store or hand them out now.
   */
  provisionDevices(request: ProvisionRequest): Promise<ProvisionedDevice[]>;
  /**
   * The device if `secret` is its current secret and it is active; otherwise `null`, alike for an
   * unknown id, a wrong secret and a disabled device (and alike in cost, so timing tells nothing).
   * Accepts the secret as a string or as its UTF-8 bytes (an MQTT password Buffer).
   */
  authenticateDevice(deviceId: string, secret: string | Uint8Array): Promise<DeviceRecord | null>;
  /** The device, or `null` if there is none with this id. */
  getDevice(id: string): Promise<DeviceRecord | null>;
  /** Devices in id order, optionally of one model, a page at a time (keyset pagination). */
  listDevices(query: ListDevicesQuery): Promise<DevicePage>;
  /** How many devices exist, optionally of one model. */
  countDevices(query?: { model?: string }): Promise<number>;
  /** Records the firmware version the device last reported (called by the data path, hence no result). */
  setFirmware(id: string, version: string): Promise<void>;
  /** Replaces the device's cohort tags. */
  setTags(id: string, tags: string[]): Promise<DeviceRecord>;
  /** Stops the device from authenticating (existing connections are the broker's business). Idempotent. */
  disableDevice(id: string): Promise<DeviceRecord>;
  /** Lets a disabled device authenticate again. Idempotent. */
  enableDevice(id: string): Promise<DeviceRecord>;
  /** Replaces the device's secret; the old one stops working at once. Returns the new secret (shown once). */
  rotateSecret(id: string): Promise<string>;
  /** Closes the database (and releases its data dir). Idempotent. */
  close(): Promise<void>;
}
