/**
 * The owner's side of the registry: who may hold a token, who owns which device when, what they
 * granted, who read what, and the relationship's own timeline entries. All times are `Date`s.
 */

export type AccountKind = 'manufacturer' | 'owner' | 'grantee';
export type ManufacturerRole = 'viewer' | 'operator' | 'admin';
export type OwnerRole = 'owner' | 'co-owner' | 'viewer';

/** Someone who can hold tokens. `ownerId` is the household of an owner-kind account. */
export interface Account {
  id: string;
  kind: AccountKind;
  role: string;
  ownerId: string | null;
  displayName: string | null;
  createdAt: Date;
}

/** A bearer token as listed: never the secret or its hash. */
export interface TokenInfo {
  id: string;
  accountId: string;
  label: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** A newly created token: `token` is shown this once. */
export interface IssuedToken extends TokenInfo {
  token: string;
}

export interface NewAccount {
  kind: AccountKind;
  role: string;
  /** For owner-kind accounts joining an existing household; omit to create a new household. */
  ownerId?: string;
  displayName?: string;
  createdBy: string;
}

export interface TokenOptions {
  label?: string;
  /** Lifetime in seconds; omit for a token without expiry. */
  ttlSeconds?: number;
}

export interface Accounts {
  /** Creates an account (a new household for an owner without `ownerId`) with its first token. */
  create(account: NewAccount, token?: TokenOptions): Promise<{ account: Account; token: IssuedToken }>;
  get(id: string): Promise<Account | null>;
  /** The account a presented token belongs to, if the token is valid (known, unexpired, unrevoked). */
  authenticate(token: string): Promise<{ account: Account; tokenId: string } | null>;
  createToken(accountId: string, options?: TokenOptions): Promise<IssuedToken>;
  listTokens(accountId: string): Promise<TokenInfo[]>;
  /** Revokes one of the account's tokens; `token_not_found` if it is not theirs. Idempotent. */
  revokeToken(accountId: string, tokenId: string): Promise<TokenInfo>;
  /** Members of a household. */
  household(ownerId: string): Promise<Account[]>;
  /** Disables an account (its tokens stop working); used for household members and erasure. */
  disable(accountId: string): Promise<void>;
}

/** A stretch of time during which one household owned a device. */
export interface OwnershipPeriod {
  id: string;
  deviceId: string;
  ownerId: string;
  startedAt: Date;
  endedAt: Date | null;
  endReason: 'transfer' | 'release' | 'erased' | null;
  fleetAnalytics: boolean;
}

export interface ClaimRequest {
  deviceId: string;
  ownerId: string;
  /** The account doing it (for the timeline). */
  actorId: string;
  /** The code from the box, or a transfer code from the previous owner: exactly one. */
  claimCode?: string;
  transferCode?: string;
}

export interface Ownership {
  /** Starts a new period for `ownerId`; see the claim rules in the README. */
  claim(request: ClaimRequest): Promise<OwnershipPeriod>;
  /** A new one-time claim code for an unowned device (manufacturer); the old one stops working. */
  reissueClaimCode(deviceId: string, actorId: string): Promise<string>;
  /** Creates a one-time transfer code for the open period (valid `ttlSeconds`, default 7 days). */
  startTransfer(periodId: string, actorId: string, ttlSeconds?: number): Promise<{ code: string; expiresAt: Date }>;
  /** Ends the open period with `reason` (release or erasure); grants of the period end with it. */
  end(periodId: string, reason: 'release' | 'erased', actorId: string): Promise<OwnershipPeriod>;
  /** The device's open period, if it is owned. */
  current(deviceId: string): Promise<OwnershipPeriod | null>;
  get(periodId: string): Promise<OwnershipPeriod | null>;
  /** All periods of a device, oldest first. */
  history(deviceId: string): Promise<OwnershipPeriod[]>;
  /** The household's periods (of one device, or of all), newest first. */
  ofOwner(ownerId: string, deviceId?: string): Promise<OwnershipPeriod[]>;
  setFleetAnalytics(periodId: string, allowed: boolean, actorId: string): Promise<OwnershipPeriod>;
  /** Devices whose open period opted out of fleet analytics. */
  fleetOptOuts(): Promise<string[]>;
}

/** What a grant lets its grantee read: samples of `metrics`, events with `events` codes. */
export interface Grant {
  id: string;
  deviceId: string;
  periodId: string;
  granteeId: string;
  metrics: string[];
  events: string[];
  dataFrom: Date | null;
  dataTo: Date | null;
  expiresAt: Date;
  purpose: string;
  createdBy: string;
  createdAt: Date;
  revokedAt: Date | null;
  receiptId: string;
  /** active, or why not: revoked, expired, ended (the ownership period ended). */
  status: 'active' | 'revoked' | 'expired' | 'ended';
}

export interface NewGrant {
  periodId: string;
  granteeId: string;
  metrics: string[];
  events: string[];
  dataFrom?: Date;
  dataTo?: Date;
  expiresAt: Date;
  purpose: string;
  createdBy: string;
}

/** A consent or deletion receipt as stored (`body` is the JSON both sides fetch). */
export interface Receipt {
  id: string;
  kind: 'consent' | 'deletion';
  deviceId: string;
  periodId: string | null;
  granteeId: string | null;
  body: Record<string, unknown>;
  createdAt: Date;
}

export interface Grants {
  create(grant: NewGrant): Promise<{ grant: Grant; receipt: Receipt }>;
  get(id: string): Promise<Grant | null>;
  /** Grants of one ownership period, newest first. */
  ofPeriod(periodId: string): Promise<Grant[]>;
  /** The grantee's grants, newest first. */
  ofGrantee(granteeId: string): Promise<Grant[]>;
  /** The grantee's active grants on one device, newest first. */
  activeFor(granteeId: string, deviceId: string): Promise<Grant[]>;
  revoke(id: string, actorId: string): Promise<Grant>;
  receipt(id: string): Promise<Receipt | null>;
  /** Stores a receipt of another kind (deletion). */
  addReceipt(receipt: Omit<Receipt, 'createdAt'>): Promise<Receipt>;
}

export interface AccessEntry {
  deviceId: string;
  periodId: string | null;
  accountId: string;
  kind: string;
  role: string;
  route: string;
  purpose: string;
  grantId: string | null;
}

export interface AccessRecord extends AccessEntry {
  id: string;
  at: Date;
  /** Deliveries to a destination: how many records this row stands for (null for reads). */
  records: number | null;
}

export interface AccessLog {
  record(entry: AccessEntry): Promise<void>;
  /** Entries for a device, newest first; `periodIds` limits them to reads of those periods' data. */
  list(q: { deviceId: string; periodIds?: string[]; limit: number; before?: string }): Promise<{ entries: AccessRecord[]; nextCursor: string | null }>;
}

/** An entry the relationship adds to a device's conversation. */
export interface TimelineEntry {
  id: string;
  deviceId: string;
  at: Date;
  kind: string;
  actor: string;
  subjectId: string | null;
  body: Record<string, unknown>;
}

export interface TimelineQuery {
  deviceId: string;
  fromMs: number;
  toMs: number;
  order: 'asc' | 'desc';
  limit: number;
  /**
   * Only entries after this (time in whole ms, id) position in `order`; `id` is a decimal integer
   * (`-1`/`0` to include or exclude the whole millisecond).
   */
  after?: { t: number; id: string };
}

export interface Timeline {
  list(q: TimelineQuery): Promise<TimelineEntry[]>;
}

export type InferenceStatus = 'open' | 'disputed' | 'upheld' | 'corrected' | 'withdrawn';

export interface Evidence {
  kind: 'uplink' | 'metric' | 'event' | 'url';
  /** uplink: its conversation id; metric/event: name or code; url: a link. */
  ref: string;
  from?: string;
  to?: string;
  note?: string;
}

export interface InferenceNote {
  id: string;
  kind: 'dispute' | 'annotation' | 'response';
  body: string;
  authorId: string;
  authorKind: string;
  createdAt: Date;
}

export interface Inference {
  id: string;
  deviceId: string;
  code: string;
  title: string;
  detail: string;
  evidence: Evidence[];
  status: InferenceStatus;
  authorId: string;
  createdAt: Date;
  updatedAt: Date;
  notes: InferenceNote[];
}

export interface Inferences {
  create(i: { deviceId: string; code: string; title: string; detail: string; evidence: Evidence[]; authorId: string }): Promise<Inference>;
  get(id: string): Promise<Inference | null>;
  /** A device's inferences created in [fromMs, toMs), newest first. */
  ofDevice(deviceId: string, fromMs: number, toMs: number): Promise<Inference[]>;
  /**
   * Adds a note. A dispute sets the status to `disputed`; a manufacturer response may set a new
   * status (`upheld`, `corrected`, `withdrawn`).
   */
  addNote(n: { inferenceId: string; kind: InferenceNote['kind']; body: string; authorId: string; authorKind: string; status?: InferenceStatus }): Promise<Inference>;
}

export type CommandState = 'pending' | 'approved' | 'declined' | 'sent' | 'acked' | 'failed' | 'expired';
export type CommandKind = 'command' | 'config' | 'firmware_offer';

export interface Command {
  id: string;
  deviceId: string;
  periodId: string | null;
  class: string;
  kind: CommandKind;
  body: Record<string, unknown>;
  reason: string;
  emergency: boolean;
  state: CommandState;
  approval: 'owner' | 'policy' | 'emergency' | 'unowned' | null;
  proposedBy: string;
  proposedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  sentAt: Date | null;
  resultAt: Date | null;
  resultDetail: string | null;
  expiresAt: Date;
}

export interface NewCommand {
  deviceId: string;
  class: string;
  kind: CommandKind;
  body: Record<string, unknown>;
  reason: string;
  emergency: boolean;
  proposedBy: string;
  expiresAt: Date;
}

export interface Commands {
  /**
   * Records a proposal. It is `approved` at once when the device is unowned, the class is an
   * emergency class, or the open period has a standing policy for the class; else `pending`.
   */
  propose(c: NewCommand): Promise<Command>;
  get(id: string): Promise<Command | null>;
  ofDevice(deviceId: string, fromMs: number, toMs: number): Promise<Command[]>;
  decide(id: string, decision: 'approve' | 'decline', actorId: string): Promise<Command>;
  markSent(id: string): Promise<Command>;
  /** The device reported a result for a command; unknown ids are ignored (returns null). */
  recordResult(deviceId: string, id: string, status: string, detail: string, atMs: number): Promise<Command | null>;
  policies(periodId: string): Promise<string[]>;
  setPolicy(periodId: string, commandClass: string, autoApprove: boolean, actorId: string): Promise<string[]>;
}

export interface Erasure {
  /** Ends the period now with reason `erased` if it is still open (no-op otherwise); returns it. */
  end(periodId: string, actorId: string): Promise<OwnershipPeriod>;
  /** Deletes what the registry holds about an ended period; returns rows deleted per kind. */
  erase(periodId: string): Promise<{ period: OwnershipPeriod; counts: Record<string, number> }>;
}
