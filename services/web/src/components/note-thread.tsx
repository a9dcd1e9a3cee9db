import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Note, NoteVersion } from '../api/voice-types';
import { time } from '../format';
import { useAction, useLoad } from '../hooks';
import { NoteTelemetry } from './note-context';
import { NOTE_CATEGORY_LABELS, NoteForm } from './note-form';
import type { NoteItem } from './note-items';
import { Badge, ErrorNote, Loading } from './status';

/** What a side may do with the notes of a conversation it shows. */
export interface NoteControls {
  side: 'owner' | 'manufacturer';
  /** The signed-in account: the author edits and withdraws their own notes. */
  accountId: string;
  /** Owners: while the household owns the device (replies, edits); engineers always. */
  canWrite: boolean;
  /** Engineers: why they read and reply (logged in the owner's access log). */
  justification?: string | null;
  /** The API's answer after a change, to update the entry in place. */
  onChanged(note: Note): void;
}

function ReplyForm({ noteId, controls, onDone }: { noteId: string; controls: NoteControls; onDone(): void }) {
  const [text, setText] = useState('');
  const send = useAction();
  return (
    <form
      class="note-form"
      onSubmit={(e) => {
        e.preventDefault();
        void send.run(async () => {
          const note = await api<Note>('POST', `/v1/notes/${encodeURIComponent(noteId)}/replies`, { body: { text: text.trim() }, justification: controls.justification ?? null });
          controls.onChanged(note);
          onDone();
        });
      }}
    >
      <label for={`reply-${noteId}`}>Reply</label>
      <textarea id={`reply-${noteId}`} required maxLength={4000} rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <button type="submit" disabled={send.busy}>
        Send reply
      </button>
      <ErrorNote error={send.error} />
    </form>
  );
}

function History({ noteId, justification }: { noteId: string; justification: string | null }) {
  const history = useLoad((signal) => api<{ versions: NoteVersion[] }>('GET', `/v1/notes/${encodeURIComponent(noteId)}/history`, { justification, signal }), [noteId]);
  if (history.error) return <ErrorNote error={history.error} />;
  const versions = history.data?.versions;
  if (!versions) return <Loading what="Loading the history" />;
  return (
    <ol class="history" aria-label="Versions, oldest first">
      {versions.map((v) => (
        <li key={v.version}>
          <strong>Version {v.version}</strong> <span class="muted">{time(v.createdAt)}</span> {v.status === 'withdrawn' && <Badge value="withdrawn" />} ·{' '}
          {NOTE_CATEGORY_LABELS[v.category]} · about {time(v.at)}
          {v.until ? ` – ${time(v.until)}` : ''}: {v.text}
        </li>
      ))}
    </ol>
  );
}

type Open = 'reply' | 'edit' | 'withdraw' | 'history' | 'telemetry' | null;

function NoteActions({ item, controls }: { item: NoteItem; controls: NoteControls }) {
  const [open, setOpen] = useState<Open>(null);
  const withdraw = useAction();
  const b = item.body;
  const enc = encodeURIComponent(b.noteId);
  const mine = controls.side === 'owner' && controls.accountId === item.actor && b.status === 'open' && controls.canWrite;
  const toggle = (o: Open) => setOpen(open === o ? null : o);
  const button = (o: Exclude<Open, null>, label: string) => (
    <button type="button" class="link" aria-expanded={open === o} onClick={() => toggle(o)}>
      {label}
    </button>
  );
  return (
    <div class="note-actions">
      <div class="buttons">
        {controls.canWrite && button('reply', 'Reply')}
        {mine && button('edit', 'Edit')}
        {mine && button('withdraw', 'Withdraw')}
        {(b.version > 1 || b.status === 'withdrawn') && button('history', 'History')}
        {button('telemetry', 'Telemetry around it')}
      </div>
      {open === 'reply' && <ReplyForm noteId={b.noteId} controls={controls} onDone={() => setOpen(null)} />}
      {open === 'edit' && (
        <NoteForm
          id={`edit-${b.noteId}`}
          initial={{ at: b.at, until: b.until, category: b.category, text: b.text ?? '' }}
          submitLabel="Save new version"
          onCancel={() => setOpen(null)}
          onSubmit={async (content) => {
            controls.onChanged(await api<Note>('PUT', `/v1/notes/${enc}`, { body: content }));
            setOpen(null);
          }}
        />
      )}
      {open === 'withdraw' && (
        <div>
          Withdraw this note? Both sides then see it as withdrawn; its history keeps what it said.{' '}
          <button
            type="button"
            class="danger"
            disabled={withdraw.busy}
            onClick={() =>
              void withdraw.run(async () => {
                controls.onChanged(await api<Note>('DELETE', `/v1/notes/${enc}`));
                setOpen(null);
              })
            }
          >
            Withdraw note
          </button>
          <ErrorNote error={withdraw.error} />
        </div>
      )}
      {open === 'history' && <History noteId={b.noteId} justification={controls.justification ?? null} />}
      {open === 'telemetry' && <NoteTelemetry noteId={b.noteId} justification={controls.justification ?? null} />}
    </div>
  );
}

/** A note in the conversation: the owner's words at a moment, the thread of replies, and what the viewer may do. */
export function NoteThread({ item, controls }: { item: NoteItem; controls?: NoteControls | undefined }) {
  const b = item.body;
  return (
    <div class="note" data-note={b.noteId}>
      <p class="item-head">
        <span class="marker marker-notes" aria-hidden="true">
          ✎
        </span>
        <strong>Owner’s note</strong> <Badge value={NOTE_CATEGORY_LABELS[b.category] ?? b.category} tone="category" />{' '}
        {b.status === 'withdrawn' && <Badge value="withdrawn" />} {b.version > 1 && b.status === 'open' && <span class="muted">(edited) </span>}
        <span class="muted">by {controls?.accountId === item.actor ? 'you' : item.actor}</span>
      </p>
      {b.until && (
        <p class="muted">
          About {time(b.at)} – {time(b.until)}
        </p>
      )}
      <p class="note-text">{b.text ?? <em class="muted">Withdrawn by its author.</em>}</p>
      {b.replies.length > 0 && (
        <ol class="replies" aria-label="Replies">
          {b.replies.map((r) => (
            <li key={r.id} class={`reply reply-${r.authorKind}`}>
              <strong>{r.authorKind === 'manufacturer' ? 'Manufacturer' : 'Household'}</strong>: {r.text} <span class="muted">{time(r.createdAt)}</span>
            </li>
          ))}
        </ol>
      )}
      {controls && <NoteActions item={item} controls={controls} />}
    </div>
  );
}
