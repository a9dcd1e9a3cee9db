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
  // Daily rollups: every day the period touches goes, then those days are re-aggregated from what
  // remains of the raw rows (the rest of a day the period began or ended in).
  ['metric_daily', 'day'],
  ['activity_daily', 'day'],
] as const;

/** Where a rollup's window starts: the whole hour or day the period's first instant falls in. */
const FROM_SQL: Partial<Record<string, string>> = {
  hour: `toStartOfHour(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))`,
  day: `toDate(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))`,
};

export interface EraseQuery {
  deviceId: string;
  /** Server-time window [fromMs, toMs): the ownership period being erased. */
  fromMs: number;
  toMs: number;
}

/**
 * Deletes one device's data received (or sent) inside a window from every table, and returns how
 * many rows each table held there. Lightweight DELETE: the rows disappear from queries at once and
 * from disk at the next merge. Hourly rollups lose every hour the window touches; daily rollups are
 * re-aggregated for the days it touches from the raw rows that remain.
 */
export async function eraseDeviceWindow(client: ClickHouseClient, q: EraseQuery): Promise<Record<string, number>> {
  const params = { d: q.deviceId, from: q.fromMs, to: q.toMs };
  const counts: Record<string, number> = {};
  for (const [table, col] of TABLES) {
    const from = FROM_SQL[col] ?? `fromUnixTimestamp64Milli({from:Int64}, 'UTC')`;
    const upTo = col === 'day' ? 'toDateTime(day)' : col;
    const where = `device_id = {d:String} AND ${col} >= ${from} AND ${upTo} < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;
    const rs = await client.query({ query: `SELECT count() AS n FROM ${table} FINAL WHERE ${where}`, query_params: params, format: 'JSONEachRow' });
    counts[table] = Number((await rs.json<{ n: number }>())[0]?.n ?? 0);
    if (counts[table] > 0) await client.command({ query: `DELETE FROM ${table} WHERE ${where}`, query_params: params });
  }
  for (const query of REAGGREGATE_DAYS) await client.command({ query, query_params: params });
  return counts;
}

const DAYS_TOUCHED = (col: string) =>
  `device_id = {d:String} AND ${col} >= toDate(fromUnixTimestamp64Milli({from:Int64}, 'UTC'))
   AND ${col} < toDate(fromUnixTimestamp64Milli({to:Int64}, 'UTC')) + 1`;

const REAGGREGATE_DAYS = [
  `INSERT INTO metric_daily
   SELECT firmware, metric, toDate(ts) AS day, device_id, count(), sum(value) FROM samples FINAL
   WHERE ${DAYS_TOUCHED('ts')} GROUP BY firmware, metric, day, device_id`,
  `INSERT INTO activity_daily
   SELECT firmware, toDate(device_time) AS day, device_id, groupBitmapState(toUInt8(toHour(device_time))), count() FROM uplinks FINAL
   WHERE ${DAYS_TOUCHED('device_time')} GROUP BY firmware, day, device_id`,
];
