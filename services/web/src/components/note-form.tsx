import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { NOTE_CATEGORIES, type Note, type NoteCategory, type NoteContent } from '../api/voice-types';
import { fromLocalInput, localInput } from '../format';
import { useAction } from '../hooks';
import { Dialog } from './confirm-dialog';
import { ErrorNote } from './status';

export const NOTE_CATEGORY_LABELS: Record<NoteCategory, string> = {
  noise: 'Noise',
  smell: 'Smell',
  leak: 'Leak',
  performance: 'Performance',
  'usage-context': 'How I used it',
  other: 'Other',
};

/**
 * A time field that keeps the exact instant it was given (an entry's time has milliseconds; a
 * `datetime-local` input has seconds) until the user changes it.
 */
function useInstant(initial: string | null): [string, string | null, (text: string) => void] {
  const [exact, setExact] = useState(initial);
  const [text, setText] = useState(localInput(initial));
  const change = (t: string) => {
    setText(t);
    setExact(null);
  };
  return [text, text === localInput(exact) ? exact : fromLocalInput(text), change];
}

/** What a note says and which moment (or span) it is about; for a new note and for an edit. */
export function NoteForm({ id, initial, submitLabel, onSubmit, onCancel }: { id: string; initial: NoteContent; submitLabel: string; onSubmit(c: NoteContent): Promise<void>; onCancel(): void }) {
  const [atText, at, setAt] = useInstant(initial.at);
  const [untilText, until, setUntil] = useInstant(initial.until);
  const [category, setCategory] = useState<NoteCategory>(initial.category);
  const [text, setText] = useState(initial.text);
  const save = useAction();
  return (
    <form
      class="note-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (at) void save.run(() => onSubmit({ at, until: untilText ? until : null, category, text: text.trim() }));
      }}
    >
      <div class="row">
        <div>
          <label for={`${id}-at`}>When</label>
          <input id={`${id}-at`} type="datetime-local" step={1} required value={atText} onInput={(e) => setAt(e.currentTarget.value)} />
        </div>
        <div>
          <label for={`${id}-until`}>Until (optional, for a span)</label>
          <input id={`${id}-until`} type="datetime-local" step={1} min={atText} value={untilText} onInput={(e) => setUntil(e.currentTarget.value)} />
        </div>
        <div>
          <label for={`${id}-category`}>Category</label>
          <select id={`${id}-category`} value={category} onChange={(e) => setCategory(e.currentTarget.value as NoteCategory)}>
            {NOTE_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {NOTE_CATEGORY_LABELS[c]}
              </option>
            ))}
          </select>
        </div>
      </div>
      <label for={`${id}-text`}>What happened</label>
      <textarea id={`${id}-text`} required maxLength={4000} rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="Loud rattle during this spin" />
      <div class="buttons">
        <button type="submit" disabled={save.busy || !at}>
          {submitLabel}
        </button>
        <button type="button" class="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
      <ErrorNote error={save.error} />
    </form>
  );
}

/** "Add a note" as a dialog: open while `at` is set (the moment to start from). */
export function AddNoteDialog({ deviceId, at, onClose, onAdded }: { deviceId: string; at: string | null; onClose(): void; onAdded(n: Note): void }) {
  return (
    <Dialog title="Add a note" open={at !== null} onClose={onClose}>
      <p class="hint">It joins the conversation at that moment; the manufacturer’s engineers see it and can reply. You can edit or withdraw it later.</p>
      {at !== null && (
        <NoteForm
          key={at}
          id="new-note"
          initial={{ at, until: null, category: 'noise', text: '' }}
          submitLabel="Add note"
          onCancel={onClose}
          onSubmit={async (content) => {
            onAdded(await api<Note>('POST', `/v1/devices/${encodeURIComponent(deviceId)}/notes`, { body: content }));
            onClose();
          }}
        />
      )}
    </Dialog>
  );
}
