// Keeping a loaded conversation in step with note changes, without reloading it: a note's entry
// sits at its pinned moment (often in the past, far below the first page), and the live tail
// only follows new entries, so edits, replies and new notes are merged in from the API's answer.
import type { ConversationItem, RelationshipItem } from '../api/types';
import type { Note, NoteEntryBody } from '../api/voice-types';

export type NoteItem = RelationshipItem & { type: 'note'; body: NoteEntryBody & Record<string, unknown> };

export function isNoteItem(item: ConversationItem): item is NoteItem {
  return item.kind === 'relationship' && item.type === 'note';
}

/** The conversation entry's body for a note, as the registry writes it. */
export function noteEntryBody(n: Note): NoteEntryBody {
  return { noteId: n.id, version: n.version, status: n.status, category: n.category, text: n.text, at: n.at, until: n.until, replies: n.replies };
}

/** Same entry: same id, or the same note (a locally added note's entry has an id of our own). */
export function sameEntry(a: ConversationItem, b: ConversationItem): boolean {
  return a.id === b.id || (isNoteItem(a) && isNoteItem(b) && a.subjectId === b.subjectId);
}

/** `more` without the entries `items` already has. */
export function withoutKnown(more: ConversationItem[], items: ConversationItem[]): ConversationItem[] {
  return more.filter((m) => !items.some((i) => sameEntry(i, m)));
}

/**
 * `items` (newest first) with `note`'s entry updated or added at its moment. A new note is only
 * added when `complete` says the loaded items reach back that far; otherwise paging finds it.
 */
export function upsertNote(items: ConversationItem[], note: Note, complete: (time: string) => boolean): ConversationItem[] {
  const existing = items.find((i) => isNoteItem(i) && i.subjectId === note.id);
  if (!existing && !complete(note.at)) return items;
  const entry: NoteItem = {
    kind: 'relationship',
    id: existing?.id ?? `note:${note.id}`,
    time: note.at,
    type: 'note',
    actor: note.authorId,
    subjectId: note.id,
    body: { ...noteEntryBody(note) },
  };
  const rest = existing ? items.filter((i) => i !== existing) : items;
  const at = rest.findIndex((i) => i.time < entry.time);
  return at < 0 ? [...rest, entry] : [...rest.slice(0, at), entry, ...rest.slice(at)];
}
