import type { ClickHouseClient } from '@clickhouse/client';
import { dimensionParams, dimensionSql, type DimensionFilter } from './dimension';
import { DAY_RANGE, HOUR_RANGE } from './ranges';

export interface FleetScopeQuery extends DimensionFilter {
  fromMs: number;
  toMs: number;
  excludeDevices: readonly string[];
  firmware?: string;
}

/** The fleet scope on a rollup whose time column `range` bounds: consenting devices, firmware, dimension filters. */
const scopeOn = (range: string) => (q: FleetScopeQuery) => `
  ${range}
  AND NOT has({x:Array(String)}, device_id)
  ${q.firmware === undefined ? '' : 'AND firmware = {f:String}'}
  ${dimensionSql(q)}`;

const scopeSql = scopeOn(HOUR_RANGE);
/** The same scope over a daily rollup: whole UTC days. */
const dayScopeSql = scopeOn(DAY_RANGE);

const scopeParams = (q: FleetScopeQuery) => ({ from: q.fromMs, to: q.toMs, x: q.excludeDevices, f: q.firmware ?? '', ...dimensionParams(q) });

export interface EventBreakdownRow {
  /** Start of the bucket; null without a bucket. */
  time: string | null;
  code: string;
  severity: string;
  firmware: string;
  events: number;
  devices: number;
}

/** Event counts by code, severity and firmware, with the distinct devices behind each; groups under k dropped in the engine. */
export async function queryEventBreakdown(
  client: ClickHouseClient,
  q: FleetScopeQuery & { minDevices: number; bucket?: 'all' | 'hour' | 'day' },
): Promise<{ rows: EventBreakdownRow[]; suppressedGroups: number }> {
  const bucket = q.bucket ?? 'all';
  const t = bucket === 'all' ? '0' : bucket === 'hour' ? 'toUnixTimestamp(hour) * 1000' : 'toUnixTimestamp(toStartOfDay(hour)) * 1000';
  const rs = await client.query({
    query: `SELECT ${t} AS t, code, severity, firmware, sum(events) AS n, uniqExact(device_id) AS devices
            FROM event_hourly WHERE ${scopeSql(q)}
            GROUP BY t, code, severity, firmware
            ORDER BY t, n DESC, code, firmware`,
    query_params: scopeParams(q),
    format: 'JSONEachRow',
  });
  const all = await rs.json<{ t: number; code: string; severity: string; firmware: string; n: number; devices: number }>();
  const kept = all.filter((r) => Number(r.devices) >= q.minDevices);
  return {
    rows: kept.map((r) => ({
      time: bucket === 'all' ? null : new Date(Number(r.t)).toISOString(),
      code: r.code,
      severity: r.severity,
      firmware: r.firmware,
      events: Number(r.n),
      devices: Number(r.devices),
    })),
    suppressedGroups: all.length - kept.length,
  };
}

export interface DeviceErrorRate {
  deviceId: string;
  firmware: string;
  errors: number;
  deviceDays: number;
  errorsPerDay: number;
}

/** The devices with the most error and critical events per day of activity (whole UTC days), highest first. */
export async function queryTopErrorDevices(client: ClickHouseClient, q: FleetScopeQuery & { limit: number }): Promise<DeviceErrorRate[]> {
  const rs = await client.query({
    query: `SELECT e.device_id AS device_id, e.firmware AS firmware, e.errors AS errors, a.days AS days, e.errors / a.days AS rate
            FROM (SELECT device_id, any(firmware) AS firmware, sum(events) AS errors FROM event_hourly
                  WHERE severity IN ('error', 'critical') AND ${scopeSql(q)} GROUP BY device_id) AS e
            INNER JOIN (SELECT device_id, uniqExact(day) AS days FROM activity_daily WHERE ${dayScopeSql(q)} GROUP BY device_id) AS a
            ON e.device_id = a.device_id
            ORDER BY rate DESC, device_id
            LIMIT {n:UInt32}`,
    query_params: { ...scopeParams(q), n: q.limit },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ device_id: string; firmware: string; errors: number; days: number; rate: number }>()).map((r) => ({
    deviceId: r.device_id,
    firmware: r.firmware,
    errors: Number(r.errors),
    deviceDays: Number(r.days),
    errorsPerDay: r.rate,
  }));
}

/** Per-device means of one metric over the fleet scope, widened to whole UTC days (for deviation-from-cohort outliers). */
export async function queryDeviceMeans(client: ClickHouseClient, q: FleetScopeQuery & { metric: string }): Promise<{ deviceId: string; firmware: string; mean: number }[]> {
  const rs = await client.query({
    query: `SELECT device_id, any(firmware) AS firmware, sum(sum) / sum(samples) AS mean
            FROM metric_daily WHERE metric = {m:String} AND ${dayScopeSql(q)}
            GROUP BY device_id`,
    query_params: { ...scopeParams(q), m: q.metric },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ device_id: string; firmware: string; mean: number }>()).map((r) => ({ deviceId: r.device_id, firmware: r.firmware, mean: r.mean }));
}

/** Known (consenting) devices that sent nothing since `sinceMs`, longest silent first, with when they were last heard. */
export async function querySilentDevices(
  client: ClickHouseClient,
  q: { sinceMs: number; excludeDevices: readonly string[]; limit: number } & DimensionFilter,
): Promise<{ deviceId: string; model: string; lastHour: string | null }[]> {
  const rs = await client.query({
    query: `SELECT d.device_id AS device_id, d.model AS model, a.last AS last
            FROM (SELECT device_id, model FROM devices FINAL
                  WHERE NOT has({x:Array(String)}, device_id) ${q.model === undefined ? '' : 'AND model = {model:String}'} ${q.tag === undefined ? '' : 'AND has(tags, {tag:String})'}) AS d
            LEFT JOIN (SELECT device_id, toUnixTimestamp(max(hour)) * 1000 AS last FROM activity_hourly GROUP BY device_id) AS a ON a.device_id = d.device_id
            WHERE a.last IS NULL OR a.last = 0 OR a.last < toUnixTimestamp(toStartOfHour(fromUnixTimestamp64Milli({since:Int64}, 'UTC'))) * 1000
            ORDER BY a.last ASC, d.device_id
            LIMIT {n:UInt32}`,
    query_params: { x: q.excludeDevices, since: q.sinceMs, n: q.limit, ...dimensionParams(q) },
    format: 'JSONEachRow',
  });
  return (await rs.json<{ device_id: string; model: string; last: number | null }>()).map((r) => ({
    deviceId: r.device_id,
    model: r.model,
    lastHour: r.last ? new Date(Number(r.last)).toISOString() : null,
  }));
}
