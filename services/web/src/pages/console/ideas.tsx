import { useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import { IDEA_STATUSES, type CohortBreakdown, type Idea, type IdeaDetail, type IdeaStatus } from '../../api/voice-types';
import { ModelSelect } from '../../components/choosers';
import { IdeaComments, IdeaForm, IdeaSummary, TallyText } from '../../components/ideas';
import { FleetJustification, useFleetJustification } from '../../components/justification';
import { Empty, ErrorNote, Loading, TableWrap } from '../../components/status';
import { useAction, useLoad } from '../../hooks';
import { useSession } from '../../session';
import { knownVersions } from './fleet-data';

function Outcome({ idea, onPosted }: { idea: Idea; onPosted(): void }) {
  const [status, setStatus] = useState<IdeaStatus>(idea.status);
  const [message, setMessage] = useState('');
  const post = useAction();
  const id = `outcome-${idea.id}`;
  return (
    <form
      class="note-form"
      onSubmit={(e) => {
        e.preventDefault();
        void post.run(async () => {
          await api<Idea>('POST', `/v1/ideas/${encodeURIComponent(idea.id)}/updates`, { body: { status, message: message.trim() } });
          setMessage('');
          onPosted();
        });
      }}
    >
      <div class="row">
        <div>
          <label for={`${id}-status`}>Status</label>
          <select id={`${id}-status`} value={status} onChange={(e) => setStatus(e.currentTarget.value as IdeaStatus)}>
            {IDEA_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for={`${id}-message`}>Message to owners</label>
          <input id={`${id}-message`} required maxLength={1000} value={message} onInput={(e) => setMessage(e.currentTarget.value)} placeholder="Shipped in firmware 3.2" />
        </div>
      </div>
      <p class="hint">It appears in the conversation of every owned device of the {idea.model}, not only the voters’.</p>
      <button type="submit" disabled={post.busy}>
        Post update
      </button>
      <ErrorNote error={post.error} />
    </form>
  );
}

/** Votes per firmware (at voting time) or cohort tag, as the API returns them: groups under k are only counted. */
function Cohorts({ ideaId, why }: { ideaId: string; why: string }) {
  const [by, setBy] = useState<'firmware' | 'tag'>('firmware');
  const c = useLoad((signal) => api<CohortBreakdown>('GET', `/v1/ideas/${encodeURIComponent(ideaId)}/cohorts${qs({ by })}`, { justification: why, signal }), [ideaId, by, why]);
  const rows = c.data ? [...c.data.groups, ...(c.data.other ? [{ ...c.data.other, cohort: c.data.by === 'firmware' ? 'other (small groups, opted out)' : c.data.other.cohort }] : [])] : [];
  return (
    <div class="cohorts">
      <label for={`by-${ideaId}`}>Votes by</label>
      <select id={`by-${ideaId}`} value={by} onChange={(e) => setBy(e.currentTarget.value as 'firmware' | 'tag')}>
        <option value="firmware">firmware when voting</option>
        <option value="tag">cohort tag</option>
      </select>
      <ErrorNote error={c.error} />
      {!c.data ? (
        <Loading what="Loading the cohorts" />
      ) : (
        <>
          <p>
            All votes: <TallyText tally={c.data.tally} />
          </p>
          {rows.length === 0 ? (
            <Empty>No cohort with at least {c.data.minHouseholds} households.</Empty>
          ) : (
            <TableWrap label="Votes by cohort">
              <table data-testid="cohorts">
                <thead>
                  <tr>
                    <th scope="col">{by === 'firmware' ? 'Firmware' : 'Tag'}</th>
                    <th scope="col">For</th>
                    <th scope="col">Against</th>
                    <th scope="col">Households</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((g) => (
                    <tr key={g.cohort}>
                      <th scope="row">{g.cohort}</th>
                      <td>{g.up}</td>
                      <td>{g.down}</td>
                      <td>{g.households}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableWrap>
          )}
          {c.data.suppressedGroups > 0 && <p class="hint">{c.data.suppressedGroups} cohort(s) with fewer than {c.data.minHouseholds} households are not shown (k-anonymity).</p>}
        </>
      )}
    </div>
  );
}

function ConsoleIdea({ summary, why, canWrite, onChanged }: { summary: Idea; why: string; canWrite: boolean; onChanged(): void }) {
  const loaded = useLoad((signal) => api<IdeaDetail>('GET', `/v1/ideas/${encodeURIComponent(summary.id)}`, { signal }), [summary.id, summary.updatedAt]);
  const [commented, setCommented] = useState<IdeaDetail>();
  const idea = commented ?? loaded.data;
  // Each cohort read is a logged fleet read: only when asked for.
  const [cohortsOpen, setCohortsOpen] = useState(false);
  return (
    <li class="card idea" data-idea={summary.id}>
      <IdeaSummary idea={summary} />
      <details onToggle={(e) => setCohortsOpen(e.currentTarget.open)}>
        <summary>Votes by cohort</summary>
        {cohortsOpen && <Cohorts ideaId={summary.id} why={why} />}
      </details>
      {canWrite && (
        <details>
          <summary>Change the status or post an outcome</summary>
          <Outcome idea={summary} onPosted={onChanged} />
        </details>
      )}
      <details>
        <summary>Comments{idea ? ` (${idea.comments.length})` : ''}</summary>
        <ErrorNote error={loaded.error} />
        {idea ? <IdeaComments idea={idea} canComment={canWrite} onChanged={setCommented} /> : <Loading />}
      </details>
    </li>
  );
}

/** Ideas for a model: publish one, read its votes by cohort, post outcomes, discuss. */
export function IdeasPage() {
  const { me } = useSession();
  const canWrite = me.role !== 'viewer';
  const [why, setWhy] = useFleetJustification();
  const known = useLoad((s) => knownVersions(s), []);
  const [model, setModel] = useState('');
  const [newModel, setNewModel] = useState('');
  const ideas = useLoad((signal) => api<{ ideas: Idea[] }>('GET', `/v1/ideas${qs({ model })}`, { signal }), [model]);
  return (
    <>
      <h1>Ideas</h1>
      <div class="row controls">
        <FleetJustification value={why} onChange={setWhy} />
        <ModelSelect id="ideas-model" models={known.data?.models} value={model} onChange={setModel} />
      </div>
      {canWrite && (
        <IdeaForm
          heading="Publish an idea"
          submitLabel="Publish"
          onSubmit={async (i) => {
            await api<Idea>('POST', '/v1/ideas', { body: { ...i, model: newModel || model } });
            ideas.reload();
          }}
        >
          <label for="idea-model">For model</label>
          <select id="idea-model" required value={newModel || model} onChange={(e) => setNewModel(e.currentTarget.value)}>
            <option value="">choose a model</option>
            {known.data?.models.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </IdeaForm>
      )}
      <section aria-labelledby="ideas-list-h">
        <h2 id="ideas-list-h">{model ? `Ideas for the ${model}` : 'All ideas'}</h2>
        <ErrorNote error={ideas.error} />
        {!ideas.data ? (
          <Loading what="Loading ideas" />
        ) : ideas.data.ideas.length === 0 ? (
          <Empty>No ideas yet.</Empty>
        ) : (
          <ul class="ideas" data-testid="ideas">
            {ideas.data.ideas.map((i) => (
              <ConsoleIdea key={i.id} summary={i} why={why} canWrite={canWrite} onChanged={ideas.reload} />
            ))}
          </ul>
        )}
      </section>
    </>
  );
}
