import type { ClickHouseClient } from '@clickhouse/client';

export interface MetricSeriesQuery {
  deviceId: string;
  metric: string;
  fromMs: number;
  toMs: number;
  bucketSeconds: number;
  /** Server-time window [fromMs, toMs) on the receive time (an ownership period, a grant). */
  window?: { fromMs: number; toMs: number };
}

const windowSql = (w: { fromMs: number; toMs: number } | undefined) =>
  w ? `AND received_at >= fromUnixTimestamp64Milli({wf:Int64}, 'UTC') AND received_at < fromUnixTimestamp64Milli({wt:Int64}, 'UTC')` : '';

export interface MetricBucket {
  /** Start of the bucket. */
  time: string;
  count: number;
  min: number;
  avg: number;
  max: number;
  /** The value of the latest sample in the bucket. */
  last: number;
}

export interface MetricSeries {
  deviceId: string;
  metric: string;
  bucketSeconds: number;
  buckets: MetricBucket[];
}

/** Time-bucketed min/avg/max/last of one metric of one device: a primary-key range read of `samples`. */
export async function queryMetricSeries(client: ClickHouseClient, q: MetricSeriesQuery): Promise<MetricSeries> {
  const rs = await client.query({
    query: `
      SELECT toUnixTimestamp(toStartOfInterval(ts, toIntervalSecond({b:UInt32}))) * 1000 AS t,
             count() AS count, min(value) AS min, avg(value) AS avg, max(value) AS max, argMax(value, ts) AS last
      FROM samples FINAL
      WHERE device_id = {d:String} AND metric = {m:String}
        AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC') ${windowSql(q.window)}
      GROUP BY t
      ORDER BY t`,
    query_params: { d: q.deviceId, m: q.metric, from: q.fromMs, to: q.toMs, b: q.bucketSeconds, wf: q.window?.fromMs ?? 0, wt: q.window?.toMs ?? 0 },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<{ t: number; count: number; min: number; avg: number; max: number; last: number }>();
  return {
    deviceId: q.deviceId,
    metric: q.metric,
    bucketSeconds: q.bucketSeconds,
    buckets: rows.map((r) => ({
      time: new Date(Number(r.t)).toISOString(),
      count: Number(r.count),
      min: r.min,
      avg: r.avg,
      max: r.max,
      last: r.last,
    })),
  };
}

export interface DeviceMetricsQuery {
  deviceId: string;
  fromMs: number;
  toMs: number;
  window?: { fromMs: number; toMs: number };
}

/** The metrics a device has reported in a time range, with sample counts. */
export async function queryDeviceMetrics(
  client: ClickHouseClient,
  q: DeviceMetricsQuery,
): Promise<{ metric: string; count: number }[]> {
  const rs = await client.query({
    query: `SELECT metric, count() AS count FROM samples FINAL
            WHERE device_id = {d:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC') ${windowSql(q.window)}
            GROUP BY metric ORDER BY metric`,
    query_params: { d: q.deviceId, from: q.fromMs, to: q.toMs, wf: q.window?.fromMs ?? 0, wt: q.window?.toMs ?? 0 },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ metric: string; count: number }>()).map((r) => ({ metric: r.metric, count: Number(r.count) }));
}
