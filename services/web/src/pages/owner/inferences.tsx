import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Evidence, Inference } from '../../api/types';
import { Link } from '../../router';
import { Badge, Empty, ErrorNote } from '../../components/status';
import { useAction } from '../../hooks';
import { time } from '../../format';

/** Where a piece of evidence can be looked at in this UI (or outside, for URLs). */
export function EvidenceLink({ evidence, base }: { evidence: Evidence; base: string }) {
  if (evidence.kind === 'metric') {
    const q = new URLSearchParams({ metric: evidence.ref });
    if (typeof evidence['from'] === 'string') q.set('from', evidence['from']);
    if (typeof evidence['to'] === 'string') q.set('to', evidence['to']);
    return <Link href={`${base}/insights?${q}`}>metric {evidence.ref}</Link>;
  }
  if (evidence.kind === 'url' && /^https?:\/\//.test(evidence.ref)) {
    return (
      <a href={evidence.ref} rel="noopener noreferrer" target="_blank">
        {evidence.ref}
      </a>
    );
  }
  return (
    <Link href={`${base}?q=${encodeURIComponent(evidence.ref)}`}>
      {evidence.kind} {evidence.ref}
    </Link>
  );
}

function NoteForm({ inference, onSaved, side }: { inference: Inference; onSaved(i: Inference): void; side: 'owner' | 'manufacturer' }) {
  const [kind, setKind] = useState(side === 'owner' ? 'dispute' : 'response');
  const [body, setBody] = useState('');
  const [status, setStatus] = useState('');
  const save = useAction();
  const id = `note-${inference.id}`;
  return (
    <form
      class="note-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run(async () => {
          const res = await api<Inference>('POST', `/v1/inferences/${inference.id}/notes`, { body: { kind, body, ...(status ? { status } : {}) } });
          setBody('');
          onSaved(res);
        });
      }}
    >
      {side === 'owner' ? (
        <fieldset class="inline">
          <legend>Your answer</legend>
          <label class="check">
            <input type="radio" name={`${id}-kind`} checked={kind === 'dispute'} onChange={() => setKind('dispute')} /> Dispute it
          </label>
          <label class="check">
            <input type="radio" name={`${id}-kind`} checked={kind === 'annotation'} onChange={() => setKind('annotation')} /> Add a note
          </label>
        </fieldset>
      ) : (
        <>
          <label for={`${id}-status`}>Set status (optional)</label>
          <select id={`${id}-status`} value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">keep</option>
            <option value="upheld">upheld</option>
            <option value="corrected">corrected</option>
            <option value="withdrawn">withdrawn</option>
          </select>
        </>
      )}
      <label for={`${id}-body`}>{side === 'owner' ? (kind === 'dispute' ? 'Why is it wrong?' : 'Note') : 'Response'}</label>
      <textarea id={`${id}-body`} required maxLength={4000} rows={2} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
      <button type="submit" disabled={save.busy}>
        {side === 'owner' ? (kind === 'dispute' ? 'Send dispute' : 'Save note') : 'Send response'}
      </button>
      <ErrorNote error={save.error} />
    </form>
  );
}

/** What the manufacturer believes about the device, with evidence, notes and the answer form. */
export function InferenceList({ inferences, base, canAnswer, side, onChanged }: { inferences: Inference[]; base: string; canAnswer: boolean; side: 'owner' | 'manufacturer'; onChanged(): void }) {
  if (inferences.length === 0) return <Empty>No inferences about this device.</Empty>;
  return (
    <ul class="inferences" data-testid="inferences">
      {inferences.map((inf) => (
        <li key={inf.id} class="card">
          <h3>
            {inf.title} <Badge value={inf.status} />
          </h3>
          <p>{inf.detail}</p>
          <p class="muted">
            <code>{inf.code}</code> · by {inf.authorId} · {time(inf.createdAt)}
          </p>
          {inf.evidence.length > 0 && (
            <p>
              Evidence:{' '}
              {inf.evidence.map((ev, i) => (
                <span key={i}>
                  {i > 0 && ', '}
                  <EvidenceLink evidence={ev} base={base} />
                </span>
              ))}
            </p>
          )}
          {inf.notes.length > 0 && (
            <ol class="notes" aria-label="Notes">
              {inf.notes.map((n) => (
                <li key={n.id}>
                  <Badge value={n.kind} /> {n.body} <span class="muted">— {n.authorKind}, {time(n.createdAt)}</span>
                </li>
              ))}
            </ol>
          )}
          {canAnswer && (
            <details>
              <summary>{side === 'owner' ? 'Dispute or annotate' : 'Respond'}</summary>
              <NoteForm inference={inf} side={side} onSaved={onChanged} />
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}
