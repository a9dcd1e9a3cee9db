import type { ClickHouseClient } from '@clickhouse/client';
import { dimensionParams, dimensionSql, type DimensionFilter } from './dimension';
import { DAY_RANGE, HOUR_RANGE } from './ranges';

export interface FirmwareComparisonQuery extends DimensionFilter {
  /** The versions to compare (usually two: before and after a rollout). */
  versions: readonly string[];
  fromMs: number;
  toMs: number;
  excludeDevices: readonly string[];
  minDevices: number;
}

export interface FirmwareHealth {
  firmware: string;
  /** null (and every rate null) when fewer than `minDevices` devices ran it: suppressed. */
  devices: number | null;
  deviceDays: number | null;
  deviceHours: number | null;
  /** Error and critical events per device-day. */
  errorsPerDeviceDay: number | null;
  /** `boot` events per device-day. */
  rebootsPerDeviceDay: number | null;
  /** Share of device-hours with data and without any error or critical event. */
  stableHoursShare: number | null;
}

/**
 * The rollout question, from the rollups: for each firmware version, how many devices ran it, how
 * often they logged errors and rebooted per device-day, and how many of their hours were error-free.
 * Devices, device-days and device-hours come from the daily rollup (whole UTC days); events from the
 * hourly one.
 */
export async function queryFirmwareComparison(client: ClickHouseClient, q: FirmwareComparisonQuery): Promise<FirmwareHealth[]> {
  const params = { v: q.versions, from: q.fromMs, to: q.toMs, x: q.excludeDevices, ...dimensionParams(q) };
  const scope = (range: string) => `firmware IN {v:Array(String)} AND ${range} AND NOT has({x:Array(String)}, device_id) ${dimensionSql(q)}`;
  const activity = await (
    await client.query({
      query: `SELECT firmware, uniqExact(device_id) AS devices, count() AS days, sum(h) AS hours
              FROM (SELECT firmware, device_id, day, groupBitmapMerge(hours) AS h FROM activity_daily WHERE ${scope(DAY_RANGE)} GROUP BY firmware, device_id, day)
              GROUP BY firmware`,
      query_params: params,
      format: 'JSONEachRow',
    })
  ).json<{ firmware: string; devices: number; days: number; hours: number }>();
  const events = await (
    await client.query({
      query: `SELECT firmware,
                     sumIf(events, severity IN ('error', 'critical')) AS errors,
                     sumIf(events, code = 'boot') AS boots,
                     uniqExactIf((device_id, hour), severity IN ('error', 'critical')) AS error_hours
              FROM event_hourly WHERE ${scope(HOUR_RANGE)} GROUP BY firmware`,
      query_params: params,
      format: 'JSONEachRow',
    })
  ).json<{ firmware: string; errors: number; boots: number; error_hours: number }>();
  return q.versions.map((firmware) => {
    const a = activity.find((r) => r.firmware === firmware);
    const e = events.find((r) => r.firmware === firmware);
    const devices = Number(a?.devices ?? 0);
    if (devices < q.minDevices) {
      return { firmware, devices: null, deviceDays: null, deviceHours: null, errorsPerDeviceDay: null, rebootsPerDeviceDay: null, stableHoursShare: null };
    }
    const days = Number(a!.days);
    const hours = Number(a!.hours);
    return {
      firmware,
      devices,
      deviceDays: days,
      deviceHours: hours,
      errorsPerDeviceDay: Number(e?.errors ?? 0) / days,
      rebootsPerDeviceDay: Number(e?.boots ?? 0) / days,
      stableHoursShare: 1 - Math.min(hours, Number(e?.error_hours ?? 0)) / hours,
    };
  });
}

export interface FleetActivityQuery extends DimensionFilter {
  /** A device is silent when it sent nothing in the `hours` hours before `nowMs`. */
  hours: number;
  nowMs: number;
  excludeDevices: readonly string[];
}

/** Known devices (device dimension) that reported in the last `hours` hours, and those that did not. */
export async function queryFleetActivity(client: ClickHouseClient, q: FleetActivityQuery): Promise<{ devices: number; active: number; silent: number }> {
  const rs = await client.query({
    query: `SELECT count() AS devices, countIf(device_id IN (
              SELECT DISTINCT device_id FROM activity_hourly
              WHERE hour >= toStartOfHour(fromUnixTimestamp64Milli({since:Int64}, 'UTC')))) AS active
            FROM devices FINAL
            WHERE NOT has({x:Array(String)}, device_id) ${q.model === undefined ? '' : 'AND model = {model:String}'} ${q.tag === undefined ? '' : 'AND has(tags, {tag:String})'}`,
    query_params: { since: q.nowMs - q.hours * 3_600_000, x: q.excludeDevices, ...dimensionParams(q) },
    format: 'JSONEachRow',
  });
  const [row] = await rs.json<{ devices: number; active: number }>();
  const devices = Number(row?.devices ?? 0);
  const active = Number(row?.active ?? 0);
  return { devices, active, silent: devices - active };
}
