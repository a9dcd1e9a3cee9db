import { useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { Grant } from '../../api/types';
import { ConversationView } from '../../components/conversation-view';
import { Badge, Empty, ErrorNote, Loading } from '../../components/status';
import { useLoad } from '../../hooks';
import { time } from '../../format';

/** A grantee's view: what owners shared with it, and each active grant's data, exactly as scoped. */
export function SharedWithMe() {
  const grants = useLoad(() => api<{ grants: Grant[] }>('GET', '/v1/grants'), []);
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <h1>Shared with me</h1>
      <p>Owners granted you read access to these devices: only the listed metrics and events, only for the stated purpose, until the grant ends.</p>
      <ErrorNote error={grants.error} />
      {!grants.data ? (
        <Loading />
      ) : grants.data.grants.length === 0 ? (
        <Empty>Nobody has shared a device with you yet.</Empty>
      ) : (
        <ul class="grants" data-testid="shared-grants">
          {grants.data.grants.map((g) => (
            <li key={g.id} class="card">
              <h2>
                {g.deviceId} <Badge value={g.status} />
              </h2>
              <p>
                Purpose: <strong>{g.purpose}</strong>. Metrics: {g.metrics.join(', ') || 'none'}; events: {g.events.join(', ') || 'none'}. Until {time(g.expiresAt)}.
              </p>
              {g.status === 'active' &&
                (open === g.id ? (
                  <ConversationView deviceId={g.deviceId} live={true} />
                ) : (
                  <button type="button" class="secondary" onClick={() => setOpen(g.id)}>
                    Show the shared data
                  </button>
                ))}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
