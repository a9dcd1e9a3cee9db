/**
 * The owner's voice: notes pinned to a moment of a device's timeline, and ideas for a model with
 * votes, comments and the manufacturer's status updates. All times are `Date`s.
 */

/** What a note is about; a fixed list so fleet views can count them. */
export const NOTE_CATEGORIES = ['noise', 'smell', 'leak', 'performance', 'usage-context', 'other'] as const;
export type NoteCategory = (typeof NOTE_CATEGORIES)[number];

export const IDEA_STATUSES = ['proposed', 'under-review', 'planned', 'shipped', 'declined'] as const;
export type IdeaStatus = (typeof IDEA_STATUSES)[number];

export type VoteValue = 'up' | 'down';

export interface NoteReply {
  id: string;
  authorId: string;
  authorKind: string;
  text: string;
  createdAt: Date;
}

/** A note as it stands (its current version); a withdrawn note keeps its text only in the history. */
export interface Note {
  id: string;
  deviceId: string;
  periodId: string;
  authorId: string;
  firmware: string;
  version: number;
  at: Date;
  until: Date | null;
  category: NoteCategory;
  /** null once withdrawn. */
  text: string | null;
  status: 'open' | 'withdrawn';
  createdAt: Date;
  updatedAt: Date;
  replies: NoteReply[];
}

export interface NoteVersion {
  version: number;
  at: Date;
  until: Date | null;
  category: NoteCategory;
  text: string;
  status: 'open' | 'withdrawn';
  authorId: string;
  createdAt: Date;
}

export interface NoteContent {
  at: Date;
  until?: Date | null;
  category: string;
  text: string;
}

/** Feedback notes per time bucket, category and firmware, with the distinct devices behind them. */
export interface FeedbackCountRow {
  time: string;
  category: NoteCategory;
  model: string;
  firmware: string;
  notes: number;
  devices: number;
}

export interface FeedbackCountQuery {
  fromMs: number;
  toMs: number;
  bucket: 'day' | 'week';
  model?: string;
  firmware?: string;
  tag?: string;
  /** Devices left out (opted out of fleet analytics); notes of opted-out periods are left out too. */
  excludeDevices: readonly string[];
  /** Groups with fewer distinct devices are suppressed (k-anonymity floor). */
  minDevices: number;
}

export interface Notes {
  /**
   * Adds a note to the open period `periodId` (which must be the device's current one); `at`
   * (and `until`) must lie inside the period and not in the future. Appears in the conversation.
   */
  create(n: NoteContent & { periodId: string; authorId: string }): Promise<Note>;
  get(id: string): Promise<Note | null>;
  /** A device's notes pinned inside [fromMs, toMs), by `at`, newest first. */
  ofDevice(deviceId: string, fromMs: number, toMs: number): Promise<Note[]>;
  /** A new version by the author (`note_not_yours` otherwise); the conversation shows the newest. */
  edit(id: string, authorId: string, content: NoteContent): Promise<Note>;
  /** Withdraws the note (a new version with status `withdrawn`); the history keeps the text. */
  withdraw(id: string, authorId: string): Promise<Note>;
  reply(r: { noteId: string; authorId: string; authorKind: string; text: string }): Promise<Note>;
  /** Every version, oldest first. */
  history(id: string): Promise<NoteVersion[]>;
  /** Fleet view: notes per bucket, category, model and firmware; groups under k suppressed. */
  counts(q: FeedbackCountQuery): Promise<{ rows: FeedbackCountRow[]; suppressedGroups: number }>;
}

/** Up and down votes; `null` figures when fewer than k households voted (suppressed). */
export interface Tally {
  up: number | null;
  down: number | null;
  suppressed: boolean;
}

export interface IdeaComment {
  id: string;
  authorKind: string;
  /** True for the caller's own household / account. */
  mine: boolean;
  text: string;
  createdAt: Date;
}

export interface IdeaUpdate {
  id: string;
  status: IdeaStatus;
  message: string;
  createdAt: Date;
}

export interface Idea {
  id: string;
  model: string;
  title: string;
  body: string;
  status: IdeaStatus;
  authorKind: 'manufacturer' | 'owner';
  createdAt: Date;
  updatedAt: Date;
  tally: Tally;
  updates: IdeaUpdate[];
}

/** Who is looking at an idea: decides `mine` on comments and which votes are the caller's. */
export interface IdeaViewer {
  accountId: string;
  ownerId?: string;
}

export interface IdeaDetail extends Idea {
  comments: IdeaComment[];
  /** The caller's household's votes (one per device it currently owns of the model). */
  myVotes: { deviceId: string; value: VoteValue }[];
}

export interface CohortGroup {
  cohort: string;
  up: number;
  down: number;
  households: number;
}

export interface CohortBreakdown {
  by: 'firmware' | 'tag';
  minHouseholds: number;
  tally: Tally;
  groups: CohortGroup[];
  /**
   * firmware: votes of groups under k, and of voters who opted out of fleet analytics, merged
   * (null when suppressed as well). tag: not used (null).
   */
  other: CohortGroup | null;
  suppressedGroups: number;
}

export interface Ideas {
  /** A proposal for a model: by the manufacturer, or by an owner from one of their open periods. */
  create(i: { model: string; title: string; body: string; authorId: string; authorKind: 'manufacturer' | 'owner'; periodId?: string }, minHouseholds: number): Promise<Idea>;
  get(id: string, viewer: IdeaViewer, minHouseholds: number): Promise<IdeaDetail | null>;
  /** Ideas of these models (all models when absent), newest first, at most 500. */
  list(q: { models?: string[]; status?: IdeaStatus }, minHouseholds: number): Promise<Idea[]>;
  /** Sets the vote of the open period `periodId` (which must own a device of the idea's model). */
  vote(v: { ideaId: string; periodId: string; accountId: string; value: VoteValue }): Promise<void>;
  /** Withdraws the period's vote; `vote_not_found` if it has none. */
  unvote(ideaId: string, periodId: string): Promise<void>;
  comment(c: { ideaId: string; authorId: string; authorKind: string; periodId?: string; text: string }): Promise<IdeaComment>;
  /**
   * The manufacturer sets a status with a message; the update appears in the conversation of every
   * device of the model that is owned now (all of them, so that it does not reveal who voted).
   */
  update(u: { ideaId: string; status: IdeaStatus; message: string; authorId: string }, minHouseholds: number): Promise<Idea>;
  /** Votes per cohort (firmware at voting time, or cohort tag), k-anonymous by household. */
  cohorts(ideaId: string, by: 'firmware' | 'tag', minHouseholds: number): Promise<CohortBreakdown>;
}
