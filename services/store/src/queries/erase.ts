import type { ClickHouseClient } from '@clickhouse/client';

/** Every table holding a device's data, with the server-time column an ownership period is cut by. */
const TABLES = [
  ['uplinks', 'received_at'],
  ['samples', 'received_at'],
  ['events', 'received_at'],
  ['command_results', 'received_at'],
  ['downlinks', 'issued_at'],
  ['dead_letters', 'received_at'],
  // Rollups are hourly: every hour the period touches goes (a conservative cut at the edges).
  ['metric_hourly', 'hour'],
  ['event_hourly', 'hour'],
  ['activity_hourly', 'hour'],
] as const;

export interface EraseQuery {
  deviceId: string;
  /** Server-time window [fromMs, toMs): the ownership period being erased. */
  fromMs: number;
  toMs: number;
}

/**
 * Deletes one device's data received (or sent) inside a window from every table, and returns how
 * many rows each table held there. Lightweight DELETE: the rows disappear from queries at once and
 * from disk at the next merge. Aggregates computed earlier (rollups) are not touched — see the README.
 */
export async function eraseDeviceWindow(client: ClickHouseClient, q: EraseQuery): Promise<Record<string, number>> {
  const params = { d: q.deviceId, from: q.fromMs, to: q.toMs };
  const counts: Record<string, number> = {};
  for (const [table, col] of TABLES) {
    const from = col === 'hour' ? `toStartOfHour(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))` : `fromUnixTimestamp64Milli({from:Int64}, 'UTC')`;
    const where = `device_id = {d:String} AND ${col} >= ${from} AND ${col} < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
    const rs = await client.query({ query: `SELECT count() AS n FROM ${table} FINAL WHERE ${where}`, query_params: params, format: 'JSONEachRow' });
    counts[table] = Number((await rs.json<{ n: number }>())[0]?.n ?? 0);
    if (counts[table] > 0) await client.command({ query: `DELETE FROM ${table} WHERE ${where}`, query_params: params });
  }
  return counts;
}
