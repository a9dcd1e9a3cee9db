import { describe, expect, it } from 'vitest';
import type { ConversationItem } from '../api/types';
import type { Note } from '../api/voice-types';
import { upsertNote, withoutKnown } from './note-items';

const uplink = (id: string, time: string): ConversationItem => ({ kind: 'uplink', id, time, receivedAt: time, bootId: 'b', seq: 1, firmware: '1.0', samples: [], events: [], commandResults: [] });
const note = (over: Partial<Note> = {}): Note => ({
  id: 'note_1',
  deviceId: 'd',
  periodId: 'p',
  authorId: 'acc',
  firmware: '1.0',
  version: 1,
  at: '2026-01-01T10:00:30.000Z',
  until: null,
  category: 'noise',
  text: 'rattle',
  status: 'open',
  createdAt: '2026-01-01T10:05:00.000Z',
  updatedAt: '2026-01-01T10:05:00.000Z',
  replies: [],
  ...over,
});
const items = [uplink('u3', '2026-01-01T10:01:00.000Z'), uplink('u2', '2026-01-01T10:00:00.000Z'), uplink('u1', '2026-01-01T09:59:00.000Z')];
const all = () => true;

describe('upsertNote', () => {
  it('adds a new note at its pinned moment, newest first', () => {
    expect(upsertNote(items, note(), all).map((i) => i.id)).toEqual(['u3', 'note:note_1', 'u2', 'u1']);
  });

  it('leaves a new note older than the loaded pages to paging', () => {
    expect(upsertNote(items, note({ at: '2026-01-01T09:00:00.000Z' }), () => false)).toBe(items);
  });

  it('updates the entry of a known note in place, keeping its id, and moves it with its moment', () => {
    const added = upsertNote(items, note(), all);
    const edited = upsertNote(added, note({ version: 2, text: 'louder', at: '2026-01-01T09:59:30.000Z', replies: [{ id: 'r', authorId: 'm', authorKind: 'manufacturer', text: 'bolts?', createdAt: '2026-01-01T10:06:00.000Z' }] }), () => false);
    expect(edited.map((i) => i.id)).toEqual(['u3', 'u2', 'note:note_1', 'u1']);
    expect(edited[2]).toMatchObject({ time: '2026-01-01T09:59:30.000Z', body: { version: 2, text: 'louder', replies: [{ text: 'bolts?' }] } });
  });
});

describe('withoutKnown', () => {
  it("drops the API's entry of a note that was added locally", () => {
    const local = upsertNote(items, note(), all);
    const fromApi: ConversationItem = { kind: 'relationship', id: '42', time: '2026-01-01T10:00:30.000Z', type: 'note', actor: 'acc', subjectId: 'note_1', body: {} };
    expect(withoutKnown([fromApi, uplink('u0', '2026-01-01T09:58:00.000Z')], local).map((i) => i.id)).toEqual(['u0']);
  });
});
