import { useCallback, useState } from 'preact/hooks';
import { api } from '../../api/client';
import type { MyDevice, RelationshipItem, UplinkItem } from '../../api/types';
import { Link, useLocation } from '../../router';
import { ConversationView } from '../../components/conversation-view';
import { ErrorNote, Loading } from '../../components/status';
import { useLoad } from '../../hooks';
import { time } from '../../format';
import { InsightsTab } from './insights-tab';
import { SharingTab } from './sharing-tab';
import { AccessTab } from './access-tab';
import { CommandsTab } from './commands-tab';
import { DataTab } from './data-tab';
import { IdeasTab } from './ideas-tab';
import { useSession } from '../../session';
import { PeriodSelect } from '../../components/choosers';

const TABS: [string, string][] = [
  ['conversation', 'Conversation'],
  ['insights', 'Charts and insights'],
  ['sharing', 'Sharing'],
  ['access', 'Access log'],
  ['commands', 'Commands'],
  ['ideas', 'Ideas'],
  ['data', 'Export and erase'],
];

/** One of the owner's devices, with its tabs. */
export function OwnerDevice({ id, tab }: { id: string; tab: string }) {
  const { search } = useLocation();
  const { me } = useSession();
  const mine = useLoad(() => api<{ devices: MyDevice[] }>('GET', '/v1/my/devices'), [id]);
  const [resultTick, setResultTick] = useState(0);
  const entry = mine.data?.devices.find((d) => d.device.id === id);
  const current = entry?.periods.find((p) => !p.endedAt);
  const base = `/my/devices/${encodeURIComponent(id)}`;
  const [periodId, setPeriodId] = useState<string | undefined>(undefined);
  // Viewers of a household read; owners and co-owners speak for it.
  const canSpeak = Boolean(current) && me.role !== 'viewer';
  // A command result or a command decision arriving live refreshes the commands tab.
  const onLive = useCallback((item: UplinkItem | RelationshipItem) => {
    if (item.kind === 'uplink' ? item.commandResults.length > 0 : item.type.startsWith('command_')) setResultTick((t) => t + 1);
  }, []);

  if (mine.loading && !mine.data) return <Loading />;
  if (!entry) {
    return (
      <>
        <ErrorNote error={mine.error} />
        <h1>Device not found</h1>
        <p>
          This device is not one of yours. <Link href="/my">Back to my devices</Link>
        </p>
      </>
    );
  }
  return (
    <>
      <p class="crumbs">
        <Link href="/my">My devices</Link> /
      </p>
      <h1>{id}</h1>
      <p class="muted">
        {entry.device.model} · firmware {entry.device.firmware} · {current ? `yours since ${time(current.startedAt)}` : 'no longer yours (past period)'} ·{' '}
        {current?.fleetAnalytics === false ? 'fleet analytics: opted out' : 'fleet analytics: opted in'}
      </p>
      <nav class="tabs" aria-label="Device sections">
        <ul>
          {TABS.map(([key, label]) => (
            <li key={key}>
              <Link href={key === 'conversation' ? base : `${base}/${key}`} aria-current={tab === key ? 'page' : undefined}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {tab === 'conversation' && (
        <>
          {entry.periods.length > 1 && (
            <div class="row controls">
              <PeriodSelect id="conversation-period" periods={entry.periods} value={periodId ?? ''} onChange={(v) => setPeriodId(v || undefined)} latestLabel="latest" />
            </div>
          )}
          <ConversationView
            key={periodId ?? 'latest'}
            deviceId={id}
            period={periodId}
            live={Boolean(current) && (periodId === undefined || periodId === current?.id)}
            onLiveItem={onLive}
            initialText={search.get('q') ?? ''}
            notes={{ side: 'owner', accountId: me.id, canWrite: canSpeak && (periodId === undefined || periodId === current?.id) }}
          />
        </>
      )}
      {tab === 'insights' && <InsightsTab deviceId={id} canAct={Boolean(current)} />}
      {tab === 'sharing' && <SharingTab deviceId={id} period={current ?? null} onConsentChanged={mine.reload} />}
      {tab === 'access' && <AccessTab deviceId={id} />}
      {tab === 'commands' && <CommandsTab deviceId={id} resultTick={resultTick} canAct={Boolean(current)} />}
      {tab === 'ideas' && <IdeasTab deviceId={id} model={entry.device.model} canAct={canSpeak} />}
      {tab === 'data' && <DataTab deviceId={id} periods={entry.periods} onErased={mine.reload} />}
      {!TABS.some(([k]) => k === tab) && <p>Unknown section.</p>}
    </>
  );
}
