import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, qs } from '../api/client';
import { followLive, type LiveStatus } from '../api/live';
import type { Conversation, ConversationItem, RelationshipItem, UplinkItem } from '../api/types';
import { CATEGORY_LABELS, categories, TimelineItem, type Category } from './timeline-item';
import { ErrorNote, Loading } from './status';

const KEEP = 600;
const ALL = Object.keys(CATEGORY_LABELS) as Category[];

export interface ConversationViewProps {
  deviceId: string;
  justification?: string | null;
  /** Follow the live tail (owners: only their current period). */
  live: boolean;
  /** Called for each live uplink (e.g. to refresh commands after a result). */
  onLiveItem?(item: UplinkItem | RelationshipItem): void;
  /** Changes to this value reload the first page (e.g. after a decision elsewhere on the page). */
  refreshKey?: number;
  /** Search text to start with (evidence links). */
  initialText?: string;
  /** Owners: which of their ownership periods (default: the latest). */
  period?: string | undefined;
}

/** The device's conversation: newest first, filterable, paged, with live uplinks prepended. */
export function ConversationView({ deviceId, justification, live, onLiveItem, refreshKey = 0, initialText = '', period }: ConversationViewProps) {
  const [items, setItems] = useState<ConversationItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [deadLetters, setDeadLetters] = useState(0);
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [status, setStatus] = useState<{ s: LiveStatus; detail?: string }>({ s: 'closed' });
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [shown, setShown] = useState<Set<Category>>(new Set(ALL));
  const [text, setText] = useState(initialText);
  const [liveCount, setLiveCount] = useState(0);
  const onLive = useRef(onLiveItem);
  onLive.current = onLiveItem;

  const page = useCallback(
    async (after: string | null) => {
      const res = await api<Conversation>('GET', `/v1/devices/${encodeURIComponent(deviceId)}/conversation${qs({ limit: 100, cursor: after, period })}`, { justification: justification ?? null });
      setDeadLetters(res.deadLetters);
      setCursor(res.nextCursor);
      return res.items;
    },
    [deviceId, justification, period],
  );

  useEffect(() => {
    let stale = false;
    setLoading(true);
    page(null).then(
      (first) => {
        if (stale) return;
        setItems((old) => {
          // Keep live items newer than the first page (they may not be in it yet).
          const ids = new Set(first.map((i) => i.id));
          const newest = first[0]?.time ?? '';
          return [...old.filter((i) => !ids.has(i.id) && i.time > newest), ...first];
        });
        setError(undefined);
        setLoading(false);
      },
      (e: Error) => {
        if (stale) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      stale = true;
    };
  }, [page, refreshKey]);

  useEffect(() => {
    if (!live) return;
    const ctrl = new AbortController();
    void followLive(deviceId, ctrl.signal, {
      justification: justification ?? null,
      onStatus: (s, detail) => setStatus({ s, ...(detail ? { detail } : {}) }),
      onItem: (item) => {
        setItems((old) => (old.some((i) => i.id === item.id) ? old : [item, ...old].slice(0, KEEP)));
        setFresh((f) => new Set(f).add(item.id));
        setLiveCount((n) => n + 1);
        onLive.current?.(item);
      },
    });
    return () => ctrl.abort();
  }, [deviceId, justification, live]);

  const visible = useMemo(() => {
    const needle = text.trim().toLowerCase();
    return items.filter((i) => {
      const cats = categories(i);
      if (cats.length > 0 && !cats.some((c) => shown.has(c))) return false;
      if (cats.length === 0 && !shown.has('samples')) return false;
      return !needle || JSON.stringify(i).toLowerCase().includes(needle);
    });
  }, [items, shown, text]);

  const toggle = (c: Category) =>
    setShown((s) => {
      const n = new Set(s);
      if (n.has(c)) n.delete(c);
      else n.add(c);
      return n;
    });

  return (
    <section aria-labelledby="conversation-h">
      <div class="section-head">
        <h2 id="conversation-h">Conversation</h2>
        {live && (
          <span class={`live live-${status.s}`} role="status" aria-live="polite" data-testid="live-status">
            {status.s === 'open' ? `● Live (${liveCount} new)` : status.s === 'connecting' ? '○ Connecting…' : status.s === 'unavailable' ? `Live tail off: ${status.detail ?? ''}` : '○ Not live'}
          </span>
        )}
      </div>
      <fieldset class="filters">
        <legend>Show</legend>
        {ALL.map((c) => (
          <label key={c} class="check">
            <input type="checkbox" checked={shown.has(c)} onChange={() => toggle(c)} /> {CATEGORY_LABELS[c]}
          </label>
        ))}
        <label class="search">
          Search <input type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="metric, event code, command…" />
        </label>
      </fieldset>
      {deadLetters > 0 && <p class="notice">{deadLetters} payload(s) from this device were rejected in this range (dead letters).</p>}
      <ErrorNote error={error} />
      {loading && items.length === 0 ? (
        <Loading what="Loading the conversation" />
      ) : (
        <ol class="timeline" aria-label="Conversation, newest first" data-testid="timeline">
          {visible.map((i) => (
            <TimelineItem key={i.id} item={i} fresh={fresh.has(i.id)} />
          ))}
          {visible.length === 0 && <li class="empty">Nothing to show{items.length ? ' with these filters' : ' yet'}.</li>}
        </ol>
      )}
      {cursor && (
        <button
          type="button"
          class="secondary"
          onClick={() =>
            page(cursor).then(
              (more) => setItems((old) => [...old, ...more.filter((m) => !old.some((o) => o.id === m.id))]),
              (e: Error) => setError(e),
            )
          }
        >
          Load older entries
        </button>
      )}
    </section>
  );
}
