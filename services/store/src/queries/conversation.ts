import type { ClickHouseClient } from '@clickhouse/client';
import { afterCursorSql, compareItems, decodeCursor, encodeCursor, type CursorPosition, type Order } from '../cursor';

export interface ConversationQuery {
  deviceId: string;
  fromMs: number;
  toMs: number;
  limit: number;
  order: Order;
  cursor?: string;
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
  sample_times: number[];
  event_codes: string[];
  event_severities: string[];
  event_times: number[];
  event_messages: string[];
  event_attributes: string[];
  result_ids: string[];
  result_statuses: string[];
  result_times: number[];
  result_details: string[];
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
  return {
    kind: 'uplink',
    id: r.id,
    time: iso(r.t),
    receivedAt: iso(r.r),
    bootId: r.boot_id,
    seq: Number(r.seq),
    firmware: r.firmware,
    samples: r.sample_metrics.map((metric, i) => ({ metric, value: r.sample_values[i]!, time: iso(r.sample_times[i]!) })),
    events: r.event_codes.map((code, i) => ({
      code,
      severity: r.event_severities[i]!,
      time: iso(r.event_times[i]!),
      message: r.event_messages[i]!,
      attributes: JSON.parse(r.event_attributes[i]!) as Record<string, string>,
    })),
    commandResults: r.result_ids.map((commandId, i) => ({
      commandId,
      status: r.result_statuses[i]!,
      time: iso(r.result_times[i]!),
      detail: r.result_details[i]!,
    })),
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

/**
 * One device's conversation — what it said (uplink) and what it was sent (downlink) — merged in
 * time order, with keyset pagination. Each source is read as a primary-key range (FINAL collapses
 * re-delivered duplicates), `limit + 1` rows each, then merged here.
 */
export async function queryConversation(client: ClickHouseClient, q: ConversationQuery): Promise<ConversationPage> {
  const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const params = {
    d: q.deviceId,
    from: q.fromMs,
    to: q.toMs,
    n: q.limit + 1,
    ct: cursor?.t ?? 0,
    ci: cursor?.id ?? '',
  };
  const range = `device_id = {d:String} AND %T >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND %T < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
  const upId = `concat(boot_id, ':', leftPad(toString(seq), 10, '0'))`;
  const upT = 'toUnixTimestamp64Milli(device_time)';
  const uplinkSql = `
    SELECT ${upT} AS t, ${upId} AS id, toUnixTimestamp64Milli(received_at) AS r, boot_id, seq, firmware,
           sample_metrics, sample_values, sample_times, event_codes, event_severities, event_times,
           event_messages, event_attributes, result_ids, result_statuses, result_times, result_details
    FROM uplinks FINAL
    WHERE ${range.replaceAll('%T', 'device_time')} AND ${afterCursorSql(UPLINK_RANK, cursor, q.order, upT, upId)}
    ORDER BY t ${dir}, id ${dir}
    LIMIT {n:UInt32}`;
  const downT = 'toUnixTimestamp64Milli(issued_at)';
  const downlinkSql = `
    SELECT ${downT} AS t, command_id AS id, kind,
           if(isNull(expires_at), NULL, toUnixTimestamp64Milli(assumeNotNull(expires_at))) AS expires, body, issued_by
    FROM downlinks FINAL
    WHERE ${range.replaceAll('%T', 'issued_at')} AND ${afterCursorSql(DOWNLINK_RANK, cursor, q.order, downT, 'command_id')}
    ORDER BY t ${dir}, id ${dir}
    LIMIT {n:UInt32}`;

  const up = await (await client.query({ query: uplinkSql, query_params: params, format: 'JSONEachRow' })).json<UplinkSqlRow>();
  const down = await (await client.query({ query: downlinkSql, query_params: params, format: 'JSONEachRow' })).json<DownlinkSqlRow>();

  const merged: { pos: CursorPosition; item: () => ConversationItem }[] = [
    ...up.map((r) => ({ pos: { t: Number(r.t), rank: UPLINK_RANK, id: r.id }, item: () => toUplinkItem(r) })),
    ...down.map((r) => ({ pos: { t: Number(r.t), rank: DOWNLINK_RANK, id: r.id }, item: () => toDownlinkItem(r) })),
  ];
  merged.sort((a, b) => compareItems(a.pos, b.pos, q.order));
  const page = merged.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((m) => m.item()),
    nextCursor: merged.length > q.limit && last ? encodeCursor(last.pos) : null,
  };
}
