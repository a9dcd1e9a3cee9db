import { useState } from 'preact/hooks';
import { api, qs } from '../../api/client';
import type { Idea, IdeaDetail, VoteValue } from '../../api/voice-types';
import { IdeaComments, IdeaForm, IdeaSummary } from '../../components/ideas';
import { Empty, ErrorNote, Loading } from '../../components/status';
import { useAction, useLoad } from '../../hooks';

const CLOSED = new Set(['shipped', 'declined']);

function Vote({ idea, deviceId, canAct, onChanged }: { idea: IdeaDetail; deviceId: string; canAct: boolean; onChanged(i: IdeaDetail): void }) {
  const act = useAction();
  const mine = idea.myVotes.find((v) => v.deviceId === deviceId)?.value;
  const path = `/v1/ideas/${encodeURIComponent(idea.id)}/votes/${encodeURIComponent(deviceId)}`;
  const vote = (value: VoteValue | null) => void act.run(async () => onChanged(await api<IdeaDetail>(value ? 'PUT' : 'DELETE', path, value ? { body: { value } } : {})));
  const closed = CLOSED.has(idea.status);
  return (
    <div class="vote">
      <p data-testid="my-vote">
        {mine ? `Your vote for this device: ${mine === 'up' ? 'for' : 'against'}.` : 'You have not voted for this device.'}
        {closed && ' Voting has closed.'}
      </p>
      {canAct && !closed && (
        <div class="buttons" role="group" aria-label={`Vote on ${idea.title}`}>
          <button type="button" class={mine === 'up' ? '' : 'secondary'} aria-pressed={mine === 'up'} disabled={act.busy} onClick={() => vote('up')}>
            Vote for
          </button>
          <button type="button" class={mine === 'down' ? '' : 'secondary'} aria-pressed={mine === 'down'} disabled={act.busy} onClick={() => vote('down')}>
            Vote against
          </button>
          {mine && (
            <button type="button" class="link" disabled={act.busy} onClick={() => vote(null)}>
              Withdraw my vote
            </button>
          )}
        </div>
      )}
      <ErrorNote error={act.error} />
    </div>
  );
}

/** One idea: the list's summary at once, then the household's vote and the discussion. */
function IdeaCard({ summary, deviceId, canAct }: { summary: Idea; deviceId: string; canAct: boolean }) {
  const loaded = useLoad((signal) => api<IdeaDetail>('GET', `/v1/ideas/${encodeURIComponent(summary.id)}`, { signal }), [summary.id, summary.updatedAt]);
  const [changed, setChanged] = useState<IdeaDetail>();
  const idea = changed ?? loaded.data;
  return (
    <li class="card idea" data-idea={summary.id}>
      <IdeaSummary idea={idea ?? summary} />
      <ErrorNote error={loaded.error} />
      {idea && (
        <>
          <Vote idea={idea} deviceId={deviceId} canAct={canAct} onChanged={setChanged} />
          <details>
            <summary>Comments ({idea.comments.length})</summary>
            <IdeaComments idea={idea} deviceId={deviceId} canComment={canAct} onChanged={setChanged} />
          </details>
        </>
      )}
    </li>
  );
}

/**
 * The manufacturer's ideas for this device's model and the ones owners proposed: one vote per
 * ownership of the device, comments, and a form to propose one.
 */
export function IdeasTab({ deviceId, model, canAct }: { deviceId: string; model: string; canAct: boolean }) {
  const ideas = useLoad((signal) => api<{ ideas: Idea[] }>('GET', `/v1/ideas${qs({ model })}`, { signal }), [model]);
  return (
    <section aria-labelledby="ideas-h">
      <h2 id="ideas-h">Ideas for the {model}</h2>
      <p class="hint">
        Vote counts are shown once enough households have voted that no one’s vote can be singled out. The manufacturer sees votes by firmware under the same rule; its
        outcomes appear in your conversation.
      </p>
      <ErrorNote error={ideas.error} />
      {!ideas.data ? (
        <Loading what="Loading ideas" />
      ) : ideas.data.ideas.length === 0 ? (
        <Empty>No ideas for this model yet.</Empty>
      ) : (
        <ul class="ideas" data-testid="ideas">
          {ideas.data.ideas.map((i) => (
            <IdeaCard key={i.id} summary={i} deviceId={deviceId} canAct={canAct} />
          ))}
        </ul>
      )}
      {canAct && (
        <IdeaForm
          heading="Propose an idea"
          submitLabel="Propose"
          onSubmit={async (i) => {
            await api<Idea>('POST', '/v1/ideas', { body: { ...i, deviceId } });
            ideas.reload();
          }}
        />
      )}
    </section>
  );
}
