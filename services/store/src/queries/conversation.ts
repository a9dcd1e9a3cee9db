import type { ClickHouseClient } from '@clickhouse/client';
import { afterCursorSql, compareIds, compareItems, decodeCursor, encodeCursor, type CursorPosition, type Order } from '../cursor';

export interface ConversationQuery {
  deviceId: string;
  /** Device-time range [fromMs, toMs). */
  fromMs: number;
  toMs: number;
  limit: number;
  order: Order;
  cursor?: string;
  /**
   * Server-time window [fromMs, toMs): only messages the platform received (uplinks) or sent
   * (downlinks) inside it — an ownership period or a grant's window.
   */
  window?: { fromMs: number; toMs: number };
  /**
   * Only these metrics' samples (and messages carrying one of them, or one of `events`); `'*'` in
   * the list means every metric. Omit both `metrics` and `events` for the unfiltered conversation.
   */
  metrics?: readonly string[];
  /** Only events with these codes (`'*'`: all); a message must match `metrics` or `events`. */
  events?: readonly string[];
  /** Leave downlinks (and command results) out, e.g. for a grantee scoped to metrics. */
  uplinksOnly?: boolean;
}

export interface UplinkItem {
  kind: 'uplink';
  id: string;
  time: string;
  receivedAt: string;
  bootId: string;
  seq: number;
  firmware: string;
  samples: { metric: string; value: number; time: string }[];
  events: { code: string; severity: string; time: string; message: string; attributes: Record<string, string> }[];
  commandResults: { commandId: string; status: string; time: string; detail: string }[];
}

export interface DownlinkItem {
  kind: 'downlink';
  id: string;
  time: string;
  commandId: string;
  type: string;
  expiresAt: string | null;
  body: unknown;
  issuedBy: string;
}

export type ConversationItem = UplinkItem | DownlinkItem;

export interface ConversationPage {
  items: ConversationItem[];
  nextCursor: string | null;
}

const UPLINK_RANK = 1;
const DOWNLINK_RANK = 0;

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();

interface UplinkSqlRow {
  t: number;
  id: string;
  r: number;
  boot_id: string;
  seq: number;
  firmware: string;
  sample_metrics: string[];
  sample_values: number[];
  sample_offsets: number[];
  extras: string;
}

interface Extras {
  events: { code: string; severity: string; t: number; message: string; attributes: Record<string, string> }[];
  results: { id: string; status: string; t: number; detail: string }[];
}

interface DownlinkSqlRow {
  t: number;
  id: string;
  kind: string;
  expires: number | null;
  body: string;
  issued_by: string;
}

function toUplinkItem(r: UplinkSqlRow): UplinkItem {
  const t = Number(r.t);
  const time = iso(t);
  const extras: Extras = r.extras ? (JSON.parse(r.extras) as Extras) : { events: [], results: [] };
  const offsets = r.sample_offsets;
  return {
    kind: 'uplink',
    id: r.id,
    time,
    receivedAt: iso(r.r),
    bootId: r.boot_id,
    seq: Number(r.seq),
    firmware: r.firmware,
    // Most samples carry the message's own time (offset 0, stored as []): reuse its ISO string.
    samples: r.sample_metrics.map((metric, i) => {
      const offset = Number(offsets[i] ?? 0);
      return { metric, value: r.sample_values[i]!, time: offset === 0 ? time : iso(t + offset) };
    }),
    events: extras.events.map((e) => ({ code: e.code, severity: e.severity, time: iso(e.t), message: e.message, attributes: e.attributes })),
    commandResults: extras.results.map((c) => ({ commandId: c.id, status: c.status, time: iso(c.t), detail: c.detail })),
  };
}

function toDownlinkItem(r: DownlinkSqlRow): DownlinkItem {
  return {
    kind: 'downlink',
    id: r.id,
    time: iso(r.t),
    commandId: r.id,
    type: r.kind,
    expiresAt: r.expires === null ? null : iso(r.expires),
    body: JSON.parse(r.body) as unknown,
    issuedBy: r.issued_by,
  };
}

/** Keeps only the granted samples and events of an uplink; a grantee never sees command results. */
function narrow(item: ConversationItem, metrics: readonly string[] | undefined, events: readonly string[] | undefined): ConversationItem {
  if (item.kind !== 'uplink') return item;
  const m = new Set(metrics ?? []);
  const e = new Set(events ?? []);
  const allM = m.has('*');
  const allE = e.has('*');
  return {
    ...item,
    samples: allM ? item.samples : item.samples.filter((s) => m.has(s.metric)),
    events: allE ? item.events : item.events.filter((x) => e.has(x.code)),
    commandResults: [],
  };
}

/** Where an item sits in conversation order (for merging other sources with the same cursor). */
export function itemPosition(item: ConversationItem): CursorPosition {
  return item.kind === 'uplink' ? { t: Date.parse(item.time), rank: UPLINK_RANK, id: item.id } : { t: Date.parse(item.time), rank: DOWNLINK_RANK, id: item.id };
}

type Keyed = { t: number; id: string };

/**
 * Reads up to `want` distinct rows of each source (each in (t, id) order), every source in one
 * read with one limit. The tables collapse re-delivered duplicates only when they merge, and FINAL
 * (collapsing at read time) costs most on exactly the freshly written, unmerged parts a history
 * read hits. So rows are read as they are: copies of one message share (t, id) and arrive next to
 * each other, the first of each run is kept, and when copies ate into a source's page the read is
 * repeated with room for them.
 */
export async function readDistinct<S extends Record<string, Keyed[]>>(want: number, read: (limit: number) => Promise<S>): Promise<S> {
  for (let limit = want; ; ) {
    const sources = await read(limit);
    const out: Record<string, Keyed[]> = {};
    let copies = 0;
    for (const [name, rows] of Object.entries(sources)) {
      const distinct: Keyed[] = [];
      for (const r of rows) {
        const prev = distinct[distinct.length - 1];
        if (prev && Number(prev.t) === Number(r.t) && prev.id === r.id) continue;
        distinct.push(r);
      }
      out[name] = distinct.slice(0, want);
      if (distinct.length < want && rows.length >= limit) copies = Math.max(copies, rows.length - distinct.length);
    }
    if (copies === 0) return out as S;
    limit += 2 * copies;
  }
}

/**
 * One source's rows in the order its SQL asked for — (t, id) in `order`, copies of one message most
 * recently received (`r`) first — sorting them only if they are not. `readDistinct` needs that
 * order; ClickHouse does not promise a branch's order through a UNION ALL (today each branch
 * arrives as its one sorted stream, so this is one pass that finds nothing to do).
 */
export function inSourceOrder<R extends Keyed & { r?: number }>(rows: R[], order: Order): R[] {
  const sign = order === 'asc' ? 1 : -1;
  const cmp = (a: R, b: R) =>
    sign * (Number(a.t) - Number(b.t) || compareIds(a.id, b.id)) || Number(b.r ?? 0) - Number(a.r ?? 0);
  for (let i = 1; i < rows.length; i++) if (cmp(rows[i - 1]!, rows[i]!) > 0) return rows.sort(cmp);
  return rows;
}

/**
 * One device's conversation — what it said (uplink) and what it was sent (downlink) — merged in
 * time order, with keyset pagination. Each source is read as a primary-key range, `limit + 1`
 * distinct rows each (see `readDistinct`), then merged here.
 */
export async function queryConversation(client: ClickHouseClient, q: ConversationQuery): Promise<ConversationPage> {
  const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const params = {
    d: q.deviceId,
    from: q.fromMs,
    to: q.toMs,
    wf: q.window?.fromMs ?? 0,
    wt: q.window?.toMs ?? 0,
    m: q.metrics ?? [],
    e: q.events ?? [],
    ma: q.metrics?.includes('*') ?? false,
    ea: q.events?.includes('*') ?? false,
    ct: cursor?.t ?? 0,
    ci: cursor?.id ?? '',
  };
  const range = `device_id = {d:String} AND %T >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND %T < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
  const window = (col: string) =>
    q.window ? `AND ${col} >= fromUnixTimestamp64Milli({wf:Int64}, 'UTC') AND ${col} < fromUnixTimestamp64Milli({wt:Int64}, 'UTC')` : '';
  const scoped = q.metrics !== undefined || q.events !== undefined;
  const scope = scoped
    ? `AND (({ma:Bool} AND notEmpty(sample_metrics)) OR hasAny(sample_metrics, {m:Array(String)}) OR (extras != '' AND (
          ({ea:Bool} AND notEmpty(JSONExtractArrayRaw(extras, 'events'))) OR
          hasAny(arrayMap(x -> JSONExtractString(x, 'code'), JSONExtractArrayRaw(extras, 'events')), {e:Array(String)}))))`
    : '';
  const upId = `concat(boot_id, ':', leftPad(toString(seq), 10, '0'))`;
  const upT = 'toUnixTimestamp64Milli(device_time)';
  // A re-sent copy of an uplink differs only in when it was received; the most recently received
  // copy is shown (ordered first by `r DESC`).
  const uplinkSql = `
    SELECT ${upT} AS t, ${upId} AS id, toUnixTimestamp64Milli(received_at) AS r, boot_id, seq, firmware,
           sample_metrics, sample_values, sample_offsets, extras
    FROM uplinks
    WHERE ${range.replaceAll('%T', 'device_time')} ${window('received_at')} ${scope} AND ${afterCursorSql(UPLINK_RANK, cursor, q.order, upT, upId)}
    ORDER BY t ${dir}, id ${dir}, r DESC
    LIMIT {n:UInt32}`;
  const downT = 'toUnixTimestamp64Milli(issued_at)';
  const downlinkSql = `
    SELECT ${downT} AS t, command_id AS id, kind,
           if(isNull(expires_at), NULL, toUnixTimestamp64Milli(assumeNotNull(expires_at))) AS expires, body, issued_by
    FROM downlinks
    WHERE ${range.replaceAll('%T', 'issued_at')} ${window('issued_at')} AND ${afterCursorSql(DOWNLINK_RANK, cursor, q.order, downT, 'command_id')}
    ORDER BY t ${dir}, id ${dir}
    LIMIT {n:UInt32}`;

  // One statement for both sources: each costs chDB a few milliseconds before any work. A
  // downlink rides in the uplink's columns (its own fields as one JSON array in `extras`), so no
  // row is wider than an uplink's. `readDistinct` needs each source in its own order, which
  // `inSourceOrder` checks (a version that sorted the union in SQL, with downlink columns of their
  // own, was 3 ms slower a page).
  const bothSql = `
    SELECT ${UPLINK_RANK} AS src, t, id, r, boot_id, seq, firmware, sample_metrics, sample_values, sample_offsets, extras FROM (${uplinkSql})
    UNION ALL
    SELECT ${DOWNLINK_RANK}, t, id, toInt64(0), '', toUInt32(0), '', [], [], [], toJSONString((kind, expires, body, issued_by)) FROM (${downlinkSql})`;
  const { up, down } = await readDistinct(q.limit + 1, async (n) => {
    const rs = await client.query({ query: q.uplinksOnly ? uplinkSql : bothSql, query_params: { ...params, n }, format: 'JSONEachRow' });
    const sources = { up: [] as UplinkSqlRow[], down: [] as DownlinkSqlRow[] };
    for (const r of await rs.json<UplinkSqlRow & { src?: number }>()) {
      if (r.src === undefined || Number(r.src) === UPLINK_RANK) {
        sources.up.push(r);
        continue;
      }
      const [kind, expires, body, issued_by] = JSON.parse(r.extras) as [string, number | null, string, string];
      sources.down.push({ t: r.t, id: r.id, kind, expires, body, issued_by });
    }
    return { up: inSourceOrder(sources.up, q.order), down: inSourceOrder(sources.down, q.order) };
  });

  const merged: { pos: CursorPosition; item: () => ConversationItem }[] = [
    ...up.map((r) => ({ pos: { t: Number(r.t), rank: UPLINK_RANK, id: r.id }, item: () => toUplinkItem(r) })),
    ...down.map((r) => ({ pos: { t: Number(r.t), rank: DOWNLINK_RANK, id: r.id }, item: () => toDownlinkItem(r) })),
  ];
  merged.sort((a, b) => compareItems(a.pos, b.pos, q.order));
  const page = merged.slice(0, q.limit);
  const last = page[page.length - 1];
  const scopeItem = scoped ? (item: ConversationItem) => narrow(item, q.metrics, q.events) : (item: ConversationItem) => item;
  return {
    items: page.map((m) => scopeItem(m.item())),
    nextCursor: merged.length > q.limit && last ? encodeCursor(last.pos) : null,
  };
}
