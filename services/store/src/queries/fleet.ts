import type { ClickHouseClient } from '@clickhouse/client';
import { dimensionParams, dimensionSql, type DimensionFilter } from './dimension';
import { HOUR_RANGE } from './ranges';

export type FleetBucket = 'all' | 'hour' | 'day';

export interface FleetMetricQuery extends DimensionFilter {
  metric: string;
  /** [fromMs, toMs), widened to whole hours (rollups are hourly). */
  fromMs: number;
  toMs: number;
  /** Devices to leave out (fleet-analytics opt-outs). */
  excludeDevices: readonly string[];
  /** Only this firmware version. */
  firmware?: string;
  /** One row per firmware for the whole range (`all`, default), or per hour/day and firmware. */
  bucket?: FleetBucket;
  /** Groups with fewer distinct devices than this are suppressed (k-anonymity floor). */
  minDevices: number;
}

export interface FleetMetricGroup {
  /** Start of the bucket; null for `bucket: 'all'`. */
  time: string | null;
  firmware: string;
  /** Distinct devices: exact from the per-device rollups; from the fleet rollup exact up to ~200, within ~2 % above. */
  devices: number;
  samples: number;
  min: number;
  avg: number;
  max: number;
  /** Approximate (t-digest) quantiles. */
  p50: number;
  p95: number;
  p99: number;
}

/** Which rollup answered: the fleet-level one (`fleet`) or the per-device one (`device`). */
export type FleetMetricSource = 'fleet' | 'device';

export interface FleetMetricSummary {
  metric: string;
  bucket: FleetBucket;
  source: FleetMetricSource;
  groups: FleetMetricGroup[];
  /** Groups left out because they had fewer than `minDevices` devices. */
  suppressedGroups: number;
}

const BUCKET_SQL: Record<FleetBucket, string> = {
  all: 'toDateTime(0, \'UTC\')',
  hour: 'hour',
  day: 'toStartOfDay(hour)',
};

type GroupRow = { t: number; firmware: string; devices: number; n: number; lo: number; mean: number; hi: number; q: number[] };

/** The aggregate columns both sources compute per (bucket, firmware); `devices` and `digest` differ by source. */
const AGGREGATES = 'sum(samples) AS n, min(min) AS lo, sum(sum) / sum(samples) AS mean, max(max) AS hi, quantilesTDigestMerge(0.5, 0.95, 0.99)(digest) AS q';

/**
 * One metric across the fleet per firmware (and per hour/day). Opted-out devices never enter the
 * aggregate; groups below the k-anonymity floor are dropped inside the engine (only their number
 * leaves it).
 *
 * `source: 'fleet'` reads the fleet-level rollup (a few rows per hour; the caller has checked that it
 * is current for this range and these opt-outs, see fleet-rollup.ts) and cannot filter by tag;
 * `'device'` reads the per-device rollups and can filter by anything.
 */
export async function queryFleetMetric(client: ClickHouseClient, q: FleetMetricQuery, source: FleetMetricSource = 'device'): Promise<FleetMetricSummary> {
  const bucket = q.bucket ?? 'all';
  const firmware = q.firmware === undefined ? '' : 'AND firmware = {f:String}';
  const query =
    source === 'fleet'
      ? `SELECT toUnixTimestamp(${BUCKET_SQL[bucket]}) * 1000 AS t, firmware, uniqCombinedMerge(12)(devices) AS devices, ${AGGREGATES}
         FROM metric_fleet_hourly
         WHERE metric = {m:String} AND ${HOUR_RANGE} ${firmware} ${q.model === undefined ? '' : 'AND model = {model:String}'}
         GROUP BY t, firmware
         ORDER BY t, firmware`
      : `SELECT toUnixTimestamp(${BUCKET_SQL[bucket]}) * 1000 AS t, firmware, uniqExact(device_id) AS devices, ${AGGREGATES}
         FROM metric_hourly
         WHERE metric = {m:String} AND ${HOUR_RANGE} AND NOT has({x:Array(String)}, device_id) ${firmware} ${dimensionSql(q)}
         GROUP BY t, firmware
         ORDER BY t, firmware`;
  const rs = await client.query({
    query,
    query_params: { m: q.metric, from: q.fromMs, to: q.toMs, x: q.excludeDevices, f: q.firmware ?? '', ...dimensionParams(q) },
    format: 'JSONEachRow',
  });
  const rows = await rs.json<GroupRow>();
  const kept = rows.filter((r) => Number(r.devices) >= q.minDevices);
  return {
    metric: q.metric,
    bucket,
    source,
    suppressedGroups: rows.length - kept.length,
    groups: kept.map((r) => ({
      time: bucket === 'all' ? null : new Date(Number(r.t)).toISOString(),
      firmware: r.firmware,
      devices: Number(r.devices),
      samples: Number(r.n),
      min: r.lo,
      avg: r.mean,
      max: r.hi,
      p50: r.q[0]!,
      p95: r.q[1]!,
      p99: r.q[2]!,
    })),
  };
}

export interface DeviceDimensionRow {
  deviceId: string;
  model: string;
  tags?: readonly string[];
}

/** Upserts devices into the device dimension (latest write wins). */
export async function upsertDevices(client: ClickHouseClient, rows: readonly DeviceDimensionRow[]): Promise<void> {
  if (rows.length === 0) return;
  const now = Date.now();
  await client.insert({
    table: 'devices',
    values: rows.map((r) => ({ device_id: r.deviceId, model: r.model, tags: r.tags ?? [], updated_at: now })),
    format: 'JSONEachRow',
  });
}

/** How many devices the dimension holds. */
export async function countDimensionDevices(client: ClickHouseClient): Promise<number> {
  const rs = await client.query({ query: 'SELECT count() AS n FROM devices FINAL', format: 'JSONEachRow' });
  return Number((await rs.json<{ n: number }>())[0]?.n ?? 0);
}
