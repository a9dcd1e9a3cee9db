import type { ClickHouseClient } from '@clickhouse/client';
import { decodeCursor, encodeCursor } from '../cursor';

export interface DeadLetterQuery {
  deviceId?: string;
  reason?: string;
  fromMs: number;
  toMs: number;
  limit: number;
  cursor?: string;
}

export interface DeadLetter {
  id: string;
  deviceId: string;
  receivedAt: string;
  topic: string;
  reason: string;
  detail: string;
  rawSize: number;
  /** The payload (base64), cut to the first RAW_PREVIEW_BYTES bytes. */
  rawBase64: string;
  rawTruncated: boolean;
}

export interface DeadLetterPage {
  items: DeadLetter[];
  nextCursor: string | null;
}

/** Bytes of each payload returned in listings. */
export const RAW_PREVIEW_BYTES = 4096;

/** Dead letters, newest first, optionally for one device and/or one reason. */
export async function queryDeadLetters(client: ClickHouseClient, q: DeadLetterQuery): Promise<DeadLetterPage> {
  const cursor = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
  const rs = await client.query({
    query: `
      SELECT device_id, toUnixTimestamp64Milli(received_at) AS t, source, topic, reason, detail, raw_size,
             base64Encode(substring(raw, 1, {preview:UInt32})) AS raw_b64
      FROM dead_letters FINAL
      WHERE received_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND received_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
        ${q.deviceId === undefined ? '' : 'AND device_id = {d:String}'}
        ${q.reason === undefined ? '' : 'AND reason = {reason:String}'}
        ${cursor ? 'AND (toUnixTimestamp64Milli(received_at), source) < ({ct:Int64}, {ci:String})' : ''}
      ORDER BY t DESC, source DESC
      LIMIT {n:UInt32}`,
    query_params: {
      from: q.fromMs,
      to: q.toMs,
      d: q.deviceId ?? '',
      reason: q.reason ?? '',
      ct: cursor?.t ?? 0,
      ci: cursor?.id ?? '',
      n: q.limit + 1,
      preview: RAW_PREVIEW_BYTES,
    },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{
    device_id: string;
    t: number;
    source: string;
    topic: string;
    reason: string;
    detail: string;
    raw_size: number;
    raw_b64: string;
  }>();
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.source,
      deviceId: r.device_id,
      receivedAt: new Date(Number(r.t)).toISOString(),
      topic: r.topic,
      reason: r.reason,
      detail: r.detail,
      rawSize: Number(r.raw_size),
      rawBase64: r.raw_b64,
      rawTruncated: Number(r.raw_size) > RAW_PREVIEW_BYTES,
    })),
    nextCursor: rows.length > q.limit && last ? encodeCursor({ t: Number(last.t), rank: 0, id: last.source }) : null,
  };
}

/** How many payloads of one device were dead-lettered in a time range (shown in the owner's view). */
export async function countDeadLetters(client: ClickHouseClient, q: { deviceId: string; fromMs: number; toMs: number }): Promise<number> {
  const rs = await client.query({
    query: `SELECT count() AS n FROM dead_letters FINAL
            WHERE device_id = {d:String} AND received_at >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND received_at < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`,
    query_params: { d: q.deviceId, from: q.fromMs, to: q.toMs },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ n: number }>();
  return Number(row?.n ?? 0);
}
