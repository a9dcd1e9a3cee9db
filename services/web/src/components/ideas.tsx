import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { Idea, IdeaDetail, Tally } from '../api/voice-types';
import { time } from '../format';
import { useAction } from '../hooks';
import { Badge, Empty, ErrorNote } from './status';

/** Vote counts, or why they are hidden (fewer than k households voted). */
export function TallyText({ tally }: { tally: Tally }) {
  if (tally.suppressed) return <span class="tally muted">Too few households voted to show counts</span>;
  if (!tally.up && !tally.down) return <span class="tally muted">No votes yet</span>;
  return (
    <span class="tally">
      <strong>{tally.up}</strong> for · <strong>{tally.down}</strong> against
    </span>
  );
}

/** An idea's title, status, text, tally and the manufacturer's status updates. */
export function IdeaSummary({ idea }: { idea: Idea }) {
  return (
    <>
      <h3>
        {idea.title} <Badge value={idea.status} />
      </h3>
      <p class="idea-body">{idea.body}</p>
      <p class="muted">
        For {idea.model} · proposed by {idea.authorKind === 'owner' ? 'an owner' : 'the manufacturer'} on {time(idea.createdAt)} · <TallyText tally={idea.tally} />
      </p>
      {idea.updates.length > 0 && (
        <ol class="notes" aria-label="Status updates">
          {idea.updates.map((u) => (
            <li key={u.id}>
              <Badge value={u.status} /> {u.message} <span class="muted">— {time(u.createdAt)}</span>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

/** The discussion of an idea, and a comment form when `canComment` (owners comment from a device). */
export function IdeaComments({ idea, deviceId, canComment, onChanged }: { idea: IdeaDetail; deviceId?: string; canComment: boolean; onChanged(i: IdeaDetail): void }) {
  const [text, setText] = useState('');
  const send = useAction();
  const id = `comment-${idea.id}`;
  return (
    <div class="comments">
      {idea.comments.length === 0 ? (
        <Empty>No comments yet.</Empty>
      ) : (
        <ol class="notes" aria-label="Comments">
          {idea.comments.map((c) => (
            <li key={c.id}>
              {c.text} <span class="muted">— {c.mine ? 'you' : c.authorKind === 'manufacturer' ? 'the manufacturer' : 'an owner'}, {time(c.createdAt)}</span>
            </li>
          ))}
        </ol>
      )}
      {canComment && (
        <form
          class="note-form"
          onSubmit={(e) => {
            e.preventDefault();
            void send.run(async () => {
              onChanged(await api<IdeaDetail>('POST', `/v1/ideas/${encodeURIComponent(idea.id)}/comments`, { body: { text: text.trim(), ...(deviceId ? { deviceId } : {}) } }));
              setText('');
            });
          }}
        >
          <label for={id}>Comment</label>
          <textarea id={id} required maxLength={4000} rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          <button type="submit" disabled={send.busy}>
            Post comment
          </button>
          <ErrorNote error={send.error} />
        </form>
      )}
    </div>
  );
}

/** Title and text of a new idea; `children` adds fields before them (the console's model). */
export function IdeaForm({ heading, submitLabel, onSubmit, children }: { heading: string; submitLabel: string; onSubmit(i: { title: string; body: string }): Promise<void>; children?: ComponentChildren }) {
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const save = useAction();
  return (
    <form
      class="card idea-form"
      aria-labelledby="idea-form-h"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run(async () => {
          await onSubmit({ title: title.trim(), body: body.trim() });
          setTitle('');
          setBody('');
        });
      }}
    >
      <h3 id="idea-form-h">{heading}</h3>
      {children}
      <label for="idea-title">Title</label>
      <input id="idea-title" required minLength={3} maxLength={200} value={title} onInput={(e) => setTitle(e.currentTarget.value)} placeholder="Quieter night cycle" />
      <label for="idea-body">What it is</label>
      <textarea id="idea-body" required maxLength={4000} rows={3} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
      <button type="submit" disabled={save.busy}>
        {submitLabel}
      </button>
      <ErrorNote error={save.error} />
    </form>
  );
}
