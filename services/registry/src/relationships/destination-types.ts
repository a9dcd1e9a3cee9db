/**
 * Owner-directed push: where an owner sends their device's stream (an HTTPS webhook or a topic on an
 * MQTT broker they name), and the per-destination outbox the delivery role fills from the log and
 * drains. The owner-facing types never carry the signing secret or the broker password.
 */
import type { Receipt } from './types';

export type DestinationKind = 'webhook' | 'mqtt';

/** How deliveries to one destination are going. */
export interface DeliveryStats {
  /** Records queued and not yet accepted by the destination. */
  pending: number;
  /** Records in the dead-letter list (inspect and replay them). */
  dead: number;
  /** Platform receive time of the oldest pending record: how far behind the destination is. */
  oldestPendingAt: Date | null;
  /** Records the destination accepted. */
  delivered: number;
  /** Attempts that failed (each attempt sends a batch). */
  failedAttempts: number;
  /** Records moved to the dead-letter list, ever (a replay does not lower it). */
  deadLettered: number;
  /** Records not queued because the destination's queue was full (still in your export). */
  skipped: number;
  lastDeliveredAt: Date | null;
  /** Why the last attempt failed (status or network error; never a secret). */
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Nothing is sent before this (backoff after a failure). */
  retryAt: Date | null;
}

/** A destination as its owner sees it. */
export interface Destination {
  id: string;
  deviceId: string;
  periodId: string;
  kind: DestinationKind;
  name: string;
  purpose: string;
  /** webhook: the URL; mqtt: the broker URL. */
  url: string;
  /** mqtt: the topic every record is published to. */
  topic: string | null;
  username: string | null;
  hasPassword: boolean;
  metrics: string[];
  events: string[];
  createdBy: string;
  createdAt: Date;
  endedAt: Date | null;
  endReason: 'deleted' | 'period_ended' | null;
  receiptId: string;
  /** active, or why not: deleted by the owner, or ended with the ownership period. */
  status: 'active' | 'deleted' | 'ended';
  delivery: DeliveryStats;
}

export interface NewDestination {
  periodId: string;
  kind: DestinationKind;
  name: string;
  purpose?: string;
  url: string;
  topic?: string;
  username?: string;
  password?: string;
  metrics: string[];
  events: string[];
  createdBy: string;
}

export interface CreatedDestination {
  destination: Destination;
  receipt: Receipt;
  /** webhook: the HMAC-SHA256 signing secret, shown this once; null for mqtt. */
  secret: string | null;
}

/** A record waiting for (or dead-lettered at) one destination. */
export interface OutboxItem {
  destinationId: string;
  /** The log position `p{partition}:{offset}`; one queue entry per destination and position. */
  source: string;
  receivedAt: Date;
  /** What is sent: a conversation item narrowed to the destination's scope. */
  message: Record<string, unknown>;
}

export interface QueuedItem extends OutboxItem {
  /** Queue position (decimal); sending order is ascending. */
  id: string;
  state: 'pending' | 'dead';
  attempts: number;
  lastError: string | null;
  deadAt: Date | null;
}

/** A page of dead letters, newest first. */
export interface DeadLetterPage {
  items: QueuedItem[];
  nextCursor: string | null;
}

export interface Destinations {
  /** Creates a destination in the open period, with its consent receipt and a timeline entry. */
  create(d: NewDestination): Promise<CreatedDestination>;
  get(id: string): Promise<Destination | null>;
  /** Destinations of one ownership period, newest first. */
  ofPeriod(periodId: string): Promise<Destination[]>;
  /** The owner deletes it: nothing more is queued or sent; its queue and dead letters go. Idempotent. */
  remove(id: string, actorId: string): Promise<Destination>;
  deadLetters(q: { destinationId: string; limit: number; before?: string }): Promise<DeadLetterPage>;
  /** Puts dead letters (these ids, or all) back in the queue ahead of newer records; returns how many. */
  replay(destinationId: string, ids?: string[]): Promise<number>;
}

/** What the delivery role needs to send to a destination, credentials included. Never leaves it. */
export interface DeliveryTarget {
  id: string;
  deviceId: string;
  periodId: string;
  kind: DestinationKind;
  name: string;
  url: string;
  topic: string | null;
  username: string | null;
  password: string | null;
  secret: string | null;
  metrics: string[];
  events: string[];
  /** Server-time window [fromMs, toMs) of the data it may receive; toMs null = still open. */
  fromMs: number;
  toMs: number | null;
}

/** The delivery role's side of the outbox. */
export interface Outbox {
  /** Destinations of these devices that may receive data the platform received at or after `sinceMs`. */
  targets(deviceIds: string[], sinceMs: number): Promise<DeliveryTarget[]>;
  /**
   * Queues records (positions already queued are skipped). A destination with `maxPending` records
   * waiting takes no more: those are counted as `skipped`. Returns how many were queued.
   */
  enqueue(items: OutboxItem[], maxPending: number): Promise<number>;
  /**
   * Leases up to `limit` destinations that have pending records and are not backing off, to
   * `workerId` for `leaseMs`: one worker at a time per destination.
   */
  claim(workerId: string, leaseMs: number, limit: number): Promise<DeliveryTarget[]>;
  /** The oldest pending records of a destination, in sending order. */
  head(destinationId: string, limit: number): Promise<QueuedItem[]>;
  /** The destination accepted these records: they leave the queue and are logged as one access. */
  delivered(target: DeliveryTarget, ids: string[]): Promise<void>;
  /**
   * An attempt failed. Records that reached `maxAttempts` (all of them when `permanent`) become
   * dead letters; the destination backs off until `retryAt`. Returns how many went dead.
   */
  failed(destinationId: string, ids: string[], f: { error: string; permanent: boolean; maxAttempts: number; retryAt: Date }): Promise<number>;
  /** Gives the lease back. */
  release(destinationId: string, workerId: string): Promise<void>;
  /** Pending and dead records over all destinations (for metrics). */
  totals(): Promise<{ pending: number; dead: number }>;
}
