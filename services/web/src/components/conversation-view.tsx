import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, qs } from '../api/client';
import { followLive, type LiveStatus } from '../api/live';
import type { Conversation, ConversationItem, RelationshipItem, UplinkItem } from '../api/types';
import type { Note } from '../api/voice-types';
import { CATEGORY_LABELS, categories, TimelineItem, type Category } from './timeline-item';
import { AddNoteDialog } from './note-form';
import { sameEntry, upsertNote, withoutKnown } from './note-items';
import type { NoteControls } from './note-thread';
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
  /** Notes: who is looking and whether they may write (owners also add notes here). */
  notes?: Pick<NoteControls, 'side' | 'accountId' | 'canWrite'> | undefined;
}

/** The device's conversation: newest first, filterable, paged, with live uplinks prepended. */
export function ConversationView({ deviceId, justification, live, onLiveItem, refreshKey = 0, initialText = '', period, notes }: ConversationViewProps) {
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
  const [pinAt, setPinAt] = useState<string | null>(null);
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
          const newest = first[0]?.time ?? '';
          return [...withoutKnown(old, first).filter((i) => i.time > newest), ...first];
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
        setItems((old) => (old.some((i) => sameEntry(i, item)) ? old : [item, ...old].slice(0, KEEP)));
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

  // A changed or new note is merged in from the API's answer: its entry is at its pinned moment,
  // often below the first page, and the live tail does not carry it.
  const onNoteChanged = (note: Note) => setItems((old) => upsertNote(old, note, (t) => !cursor || t >= (old[old.length - 1]?.time ?? '')));
  const noteControls: NoteControls | undefined = notes && { ...notes, justification: justification ?? null, onChanged: onNoteChanged };
  const canAdd = notes?.side === 'owner' && notes.canWrite;

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
        {canAdd && (
          <button type="button" class="secondary" onClick={() => setPinAt(new Date().toISOString())}>
            Add a note
          </button>
        )}
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
            <TimelineItem key={i.id} item={i} fresh={fresh.has(i.id)} notes={noteControls} onPin={canAdd ? setPinAt : undefined} />
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
              (more) => setItems((old) => [...old, ...withoutKnown(more, old)]),
              (e: Error) => setError(e),
            )
          }
        >
          Load older entries
        </button>
      )}
      {canAdd && <AddNoteDialog deviceId={deviceId} at={pinAt} onClose={() => setPinAt(null)} onAdded={onNoteChanged} />}
    </section>
  );
}
