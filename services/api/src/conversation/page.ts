import { compareItems, decodeCursor, encodeCursor, itemPosition, type ConversationItem, type CursorPosition, type Order } from '@parley/store';
import type { TimelineEntry } from '@parley/registry';
import { clip, type DeviceScope } from '../access/device-scope';
import type { ApiDeps } from '../deps';

/** Relationship entries (claims, grants, inferences, disputes, commands) sort after messages at the same millisecond. */
const TIMELINE_RANK = 2;

export interface RelationshipItem {
  kind: 'relationship';
  id: string;
  time: string;
  type: string;
  actor: string;
  subjectId: string | null;
  body: Record<string, unknown>;
}

export type ConversationEntry = ConversationItem | RelationshipItem;

export interface ConversationRequest {
  fromMs: number;
  toMs: number;
  limit: number;
  order: Order;
  cursor?: string;
}

/** A relationship timeline entry as a conversation item. */
export function relationshipItem(e: TimelineEntry): RelationshipItem {
  return { kind: 'relationship', id: e.id, time: e.at.toISOString(), type: e.kind, actor: e.actor, subjectId: e.subjectId, body: e.body };
}

/** Where the timeline's keyset continues after `cursor` (see `TimelineQuery.after`). */
function timelineAfter(cursor: CursorPosition | undefined, order: Order): { t: number; id: string } | undefined {
  if (!cursor) return undefined;
  if (cursor.rank === TIMELINE_RANK) return { t: cursor.t, id: cursor.id };
  // The cursor is on a message: at its millisecond, relationship entries come after it (asc) or
  // were already passed (desc).
  return order === 'asc' ? { t: cursor.t, id: '-1' } : { t: cursor.t, id: '0' };
}

/**
 * One page of a device's conversation as `scope` may see it: what the device said and was sent
 * (from the store) merged with the relationship's own entries (from the registry), under one cursor.
 */
export async function conversationPage(deps: ApiDeps, scope: DeviceScope, q: ConversationRequest): Promise<{ items: ConversationEntry[]; nextCursor: string | null }> {
  const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const deviceId = scope.device.id;
  const page = await deps.store.conversation({
    deviceId,
    fromMs: q.fromMs,
    toMs: q.toMs,
    limit: q.limit,
    order: q.order,
    ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
    ...(scope.window ? { window: scope.window } : {}),
    ...(scope.metrics ? { metrics: scope.metrics } : {}),
    ...(scope.events ? { events: scope.events } : {}),
    uplinksOnly: scope.uplinksOnly,
  });
  const range = clip({ fromMs: q.fromMs, toMs: q.toMs }, scope.window);
  const after = timelineAfter(cursor, q.order);
  const timeline =
    scope.uplinksOnly || !range
      ? []
      : await deps.registry.timeline.list({ deviceId, fromMs: range.fromMs, toMs: range.toMs, order: q.order, limit: q.limit + 1, ...(after ? { after } : {}) });

  const merged = [
    ...page.items.map((item) => ({ pos: itemPosition(item), item: item as ConversationEntry })),
    ...timeline.map((e) => {
      const item = relationshipItem(e);
      return { pos: { t: e.at.getTime(), rank: TIMELINE_RANK, id: e.id }, item: item as ConversationEntry };
    }),
  ];
  merged.sort((a, b) => compareItems(a.pos, b.pos, q.order));
  const taken = merged.slice(0, q.limit);
  const more = merged.length > q.limit || page.nextCursor !== null;
  const last = taken[taken.length - 1];
  return { items: taken.map((m) => m.item), nextCursor: more && last ? encodeCursor(last.pos) : null };
}
