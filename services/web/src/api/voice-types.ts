// Response shapes of the owner's voice: notes pinned to the timeline, ideas with votes, feedback counts.
import type { MetricBucket } from './types';

/** The API's fixed lists (services/registry voice-types.ts); the API rejects anything else. */
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
  createdAt: string;
}

/** A note as it stands (its current version); `text` is null once withdrawn. */
export interface Note {
  id: string;
  deviceId: string;
  periodId: string;
  authorId: string;
  firmware: string;
  version: number;
  at: string;
  until: string | null;
  category: NoteCategory;
  text: string | null;
  status: 'open' | 'withdrawn';
  createdAt: string;
  updatedAt: string;
  replies: NoteReply[];
}

export interface NoteVersion {
  version: number;
  at: string;
  until: string | null;
  category: NoteCategory;
  text: string;
  status: 'open' | 'withdrawn';
  authorId: string;
  createdAt: string;
}

/** The telemetry around a note: which metrics were reported, and one of them in buckets. */
export interface NoteContext {
  note: Note;
  from: string;
  to: string;
  metrics: { metric: string; count: number }[];
  series: { metric: string; bucketSeconds: number; buckets: MetricBucket[] } | null;
}

/** What a note is and what it says: the body of the create and edit requests. */
export interface NoteContent {
  at: string;
  until: string | null;
  category: NoteCategory;
  text: string;
}

/** The body of a `note` entry in the conversation (the note's current version and its replies). */
export interface NoteEntryBody {
  noteId: string;
  version: number;
  status: 'open' | 'withdrawn';
  category: NoteCategory;
  text: string | null;
  at: string;
  until: string | null;
  replies: NoteReply[];
}

/** Up and down votes; null figures while fewer than k households voted. */
export interface Tally {
  up: number | null;
  down: number | null;
  suppressed: boolean;
}

export interface IdeaUpdate {
  id: string;
  status: IdeaStatus;
  message: string;
  createdAt: string;
}

export interface Idea {
  id: string;
  model: string;
  title: string;
  body: string;
  status: IdeaStatus;
  authorKind: 'manufacturer' | 'owner';
  createdAt: string;
  updatedAt: string;
  tally: Tally;
  updates: IdeaUpdate[];
}

export interface IdeaComment {
  id: string;
  authorKind: string;
  mine: boolean;
  text: string;
  createdAt: string;
}

export interface IdeaDetail extends Idea {
  comments: IdeaComment[];
  /** The caller's household's votes, one per device of the model it owns. */
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
  other: CohortGroup | null;
  suppressedGroups: number;
}

export interface FleetFeedback {
  from: string;
  to: string;
  bucket: 'day' | 'week';
  minDevices: number;
  excludedDevices: number;
  suppressedGroups: number;
  groups: { time: string; category: NoteCategory; model: string; firmware: string; notes: number; devices: number }[];
}
