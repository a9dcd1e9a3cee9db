import type { ClickHouseClient } from '@clickhouse/client';
import { DAY_RANGE, HOUR_RANGE } from './ranges';

export interface HourlyPoint {
  metric: string;
  /** Start of the hour, ms. */
  hour: number;
  samples: number;
  mean: number;
}

export interface DeviceHourlyQuery {
  deviceId: string;
  fromMs: number;
  toMs: number;
  /**
   * Server-time window of what the caller may see (an ownership period). Rollups are hourly and
   * would leak the part of an hour before a claim, so a windowed read goes to the raw samples
   * (still a primary-key range of one device) and cuts at the exact receive time.
   */
  window?: { fromMs: number; toMs: number };
}

/** One device's hourly means per metric, oldest first (for trends and anomalies). */
export async function queryDeviceHourly(client: ClickHouseClient, q: DeviceHourlyQuery): Promise<HourlyPoint[]> {
  const params = { d: q.deviceId, from: q.fromMs, to: q.toMs, wf: q.window?.fromMs ?? 0, wt: q.window?.toMs ?? 0 };
  const query = q.window
    ? `SELECT metric, toUnixTimestamp(toStartOfHour(ts)) * 1000 AS h, count() AS n, avg(value) AS mean
       FROM samples FINAL
       WHERE device_id = {d:String}
         AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
         AND received_at >= fromUnixTimestamp64Milli({wf:Int64}, 'UTC') AND received_at < fromUnixTimestamp64Milli({wt:Int64}, 'UTC')
       GROUP BY metric, h ORDER BY metric, h`
    : `SELECT metric, toUnixTimestamp(hour) * 1000 AS h, sum(samples) AS n, sum(sum) / sum(samples) AS mean
       FROM metric_hourly
       WHERE device_id = {d:String}
         AND ${HOUR_RANGE}
       GROUP BY metric, h ORDER BY metric, h`;
  const rs = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return (await rs.json<{ metric: string; h: number; n: number; mean: number }>()).map((r) => ({ metric: r.metric, hour: Number(r.h), samples: Number(r.n), mean: r.mean }));
}

export interface CohortQuery {
  model: string;
  firmware: string;
  fromMs: number;
  toMs: number;
  excludeDevices: readonly string[];
}

/** Per-device means of every metric across a cohort (same model and firmware, consenting devices), over whole UTC days. */
export async function queryCohortMeans(client: ClickHouseClient, q: CohortQuery): Promise<{ metric: string; deviceId: string; mean: number }[]> {
  const rs = await client.query({
    query: `SELECT metric, device_id, sum(sum) / sum(samples) AS mean
            FROM metric_daily
            WHERE firmware = {f:String}
              AND device_id IN (SELECT device_id FROM devices FINAL WHERE model = {model:String})
              AND NOT has({x:Array(String)}, device_id)
              AND ${DAY_RANGE}
            GROUP BY metric, device_id`,
    query_params: { f: q.firmware, model: q.model, x: q.excludeDevices, from: q.fromMs, to: q.toMs },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ metric: string; device_id: string; mean: number }>()).map((r) => ({ metric: r.metric, deviceId: r.device_id, mean: r.mean }));
}
