import type { ConversationItem, DownlinkItem, RelationshipItem, UplinkItem } from '../api/types';
import { num, relationshipLabel, time } from '../format';
import { isNoteItem } from './note-items';
import { NoteThread, type NoteControls } from './note-thread';

/** Which filter a conversation item belongs to (an uplink may belong to several). */
export type Category = 'samples' | 'events' | 'results' | 'downlinks' | 'ownership' | 'sharing' | 'inferences' | 'notes' | 'commands';

export const CATEGORY_LABELS: Record<Category, string> = {
  samples: 'Samples',
  events: 'Device events',
  results: 'Command results',
  downlinks: 'Downlinks',
  ownership: 'Claims and transfers',
  sharing: 'Sharing',
  inferences: 'Inferences and disputes',
  notes: 'Notes and ideas',
  commands: 'Command decisions',
};

export function categories(item: ConversationItem): Category[] {
  if (item.kind === 'uplink') {
    const c: Category[] = [];
    if (item.samples.length) c.push('samples');
    if (item.events.length) c.push('events');
    if (item.commandResults.length) c.push('results');
    return c;
  }
  if (item.kind === 'downlink') return ['downlinks'];
  const t = item.type;
  if (t === 'claimed' || t === 'transferred' || t === 'released') return ['ownership'];
  if (t.startsWith('grant_') || t === 'consent_changed') return ['sharing'];
  if (t.startsWith('inference')) return ['inferences'];
  if (t === 'note' || t.startsWith('idea_')) return ['notes'];
  return ['commands'];
}

function Uplink({ item }: { item: UplinkItem }) {
  const latest = new Map<string, number>();
  for (const s of item.samples) latest.set(s.metric, s.value);
  const metrics = [...latest.entries()];
  return (
    <>
      <p class="item-head">
        <span class="marker marker-uplink" aria-hidden="true">↑</span>
        <strong>Device reported</strong> <span class="muted">seq {item.seq} · firmware {item.firmware}</span>
      </p>
      {metrics.length > 0 && (
        <ul class="chips" aria-label="Latest sample of each metric">
          {metrics.map(([m, v]) => (
            <li key={m}>
              <span class="chip-k">{m}</span> <span class="chip-v">{num(v)}</span>
            </li>
          ))}
          {item.samples.length > metrics.length && <li class="muted">({item.samples.length} samples)</li>}
        </ul>
      )}
      {item.events.map((e, i) => (
        <p key={i} class={`event sev-${e.severity}`}>
          <span class="badge">{e.severity}</span> <strong>{e.code}</strong> {e.message !== e.code ? e.message : ''}
        </p>
      ))}
      {item.commandResults.map((r) => (
        <p key={r.commandId} class="result">
          Command result for <code>{r.commandId}</code>: <strong>{r.status}</strong> {r.detail}
        </p>
      ))}
    </>
  );
}

function Downlink({ item }: { item: DownlinkItem }) {
  const name = (item.body['name'] as string | undefined) ?? (item.body['version'] as string | undefined) ?? '';
  return (
    <p class="item-head">
      <span class="marker marker-downlink" aria-hidden="true">↓</span>
      <strong>Sent to the device</strong>: {item.type} {name && <code>{name}</code>} <span class="muted">by {item.issuedBy} · {item.commandId}</span>
    </p>
  );
}

function Relationship({ item }: { item: RelationshipItem }) {
  const b = item.body;
  const kind = categories(item)[0];
  let detail: string | null = null;
  if (item.type === 'inference') detail = `${String(b['title'] ?? b['code'] ?? '')} — ${String(b['detail'] ?? '')}`;
  else if (item.type.startsWith('inference_')) detail = String(b['body'] ?? '');
  else if (item.type.startsWith('grant_')) detail = `${String(b['purpose'] ?? '')} ${Array.isArray(b['metrics']) ? `(${(b['metrics'] as string[]).join(', ')})` : ''}`;
  else if (item.type === 'idea_update') detail = `${String(b['title'] ?? '')}: ${String(b['status'] ?? '')} — ${String(b['message'] ?? '')}`;
  else if (item.type === 'command_policy') detail = `${String(b['class'])}: ${b['autoApprove'] ? 'approve in advance' : 'ask me'}`;
  else if (item.type.startsWith('command_')) detail = `${String(b['class'] ?? '')} — ${String(b['reason'] ?? '')}${b['result'] ? ` → ${String(b['result'])}` : ''}`;
  return (
    <p class="item-head">
      <span class={`marker marker-${kind}`} aria-hidden="true">
        {kind === 'ownership' ? '★' : kind === 'inferences' ? '!' : kind === 'sharing' ? '⇄' : kind === 'notes' ? '✎' : '⚙'}
      </span>
      <strong>{relationshipLabel(item.type)}</strong> {detail && <span>{detail}</span>} <span class="muted">by {item.actor}</span>
    </p>
  );
}

export interface TimelineItemProps {
  item: ConversationItem;
  fresh?: boolean;
  /** What the viewer may do with a note entry (reply, edit, withdraw, history). */
  notes?: NoteControls | undefined;
  /** Owners: offer "add a note" pinned to this entry's moment. */
  onPin?: ((time: string) => void) | undefined;
}

/** One entry of the conversation timeline. */
export function TimelineItem({ item, fresh, notes, onPin }: TimelineItemProps) {
  const cats = categories(item);
  return (
    <li class={`item item-${item.kind} ${cats.map((c) => `cat-${c}`).join(' ')}${fresh ? ' fresh' : ''}`} data-kind={item.kind} data-id={item.id}>
      <div class="item-when">
        <time dateTime={item.time} class="item-time">
          {time(item.time)}
        </time>
        {onPin && (
          <button type="button" class="link pin" aria-label={`Add a note at ${time(item.time)}`} onClick={() => onPin(item.time)}>
            Add a note
          </button>
        )}
      </div>
      <div class="item-body">
        {item.kind === 'uplink' ? <Uplink item={item} /> : item.kind === 'downlink' ? <Downlink item={item} /> : isNoteItem(item) ? <NoteThread item={item} controls={notes} /> : <Relationship item={item} />}
      </div>
    </li>
  );
}
