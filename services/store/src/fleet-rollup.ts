import type { ClickHouseClient } from '@clickhouse/client';
import type { Logger } from '@parley/logger';
import type { FleetMetricQuery } from './queries/fleet';
import { DAY_RANGE, HOUR_RANGE } from './queries/ranges';

/**
 * Keeps the fleet-level rollup (`metric_fleet_hourly`, migration 004) true to consent and erasure.
 *
 * The materialized view leaves out devices listed in `fleet_exclusions`. Everything that changes
 * what the rollup should hold for data already in it marks the (firmware, day) slices concerned in
 * `fleet_dirty`: a device opting out or back in, an erased ownership period, a device whose model
 * the dimension did not know when its data arrived. A background rebuild replaces each dirty slice
 * with a re-aggregation of the per-device rollups (which hold the same states per device), and a
 * query may use the fleet rollup only when no day it covers is dirty — otherwise it reads the
 * per-device rollups, so an answer is never computed from data it must not include.
 *
 * Ordering makes this safe without transactions: the change is written first (exclusion row,
 * deleted rows), the dirty mark second; a rebuild takes the engine's time T, rebuilds, and clears
 * only marks made before T. A rebuild of a slice and an insert into the same slice are serialised
 * through `gate` (the store's write gate), so the view's rows and the rebuilt rows never overlap.
 */
export interface FleetRollupOptions {
  /** For the checks a query makes (reads). */
  client: ClickHouseClient;
  /** For the rebuild, which runs between inserts on their channel, so reads never queue behind it. */
  maintenance: ClickHouseClient;
  log: Logger;
  /** Runs `fn` while no insert runs (the store's write gate). */
  gate: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** The k floor must be checked where the device count is exact: uniqCombined(12) is up to ~200. */
export const FLEET_ROLLUP_MAX_K = 200;

const UNKNOWN_MODEL_RECHECK_MS = 60_000;

/** A part of the fleet rollup that is rebuilt as a whole: one firmware version's day. */
export interface Slice {
  firmware: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
}

export class FleetRollup {
  private syncedExclusions: string | null = null;
  private dimensionCount = -1;
  private unknownModelCheckedAt = 0;
  private rebuilding: Promise<void> | null = null;
  private again = false;

  constructor(private readonly o: FleetRollupOptions) {}

  /**
   * Records the current opt-outs (the registry is their source of truth) and devices the dimension
   * learned about since the last call; marks what they change as dirty, which starts a rebuild.
   * Cheap when nothing changed: one comparison in memory and one count.
   */
  async sync(excluded: readonly string[], dimensionCount: number): Promise<void> {
    const key = [...excluded].sort().join('\n');
    if (key !== this.syncedExclusions) {
      await this.recordExclusions(excluded);
      this.syncedExclusions = key;
    }
    // Data that arrived before its device was in the dimension (or in the dictionary the view reads
    // it through, which reloads within seconds) sits under model ''. Re-filed when the dimension
    // grew, and at most once a minute otherwise (a device never provisioned stays under '').
    const now = Date.now();
    if (dimensionCount !== this.dimensionCount || now - this.unknownModelCheckedAt >= UNKNOWN_MODEL_RECHECK_MS) {
      this.dimensionCount = dimensionCount;
      this.unknownModelCheckedAt = now;
      const rs = await this.o.client.query({
        query: `SELECT DISTINCT firmware, toString(toDate(hour)) AS day FROM metric_fleet_hourly WHERE model = ''`,
        format: 'JSONEachRow',
      });
      await this.markDirty(await rs.json<Slice>());
    }
  }

  /** True when `q` can be answered from the fleet rollup: no tag filter, a small enough k, and no dirty day in its range. */
  async canServe(q: FleetMetricQuery): Promise<boolean> {
    if (q.tag !== undefined || q.minDevices > FLEET_ROLLUP_MAX_K) return false;
    const rs = await this.o.client.query({
      query: `SELECT count() AS n FROM fleet_dirty
              WHERE ${DAY_RANGE}
                ${q.firmware === undefined ? '' : 'AND firmware = {f:String}'}`,
      query_params: { from: q.fromMs, to: q.toMs, f: q.firmware ?? '' },
      format: 'JSONEachRow',
    });
    return Number((await rs.json<{ n: number }>())[0]?.n ?? 0) === 0;
  }

  /** The (firmware, day) slices a device's per-device rollups hold in `[fromMs, toMs)`: read them before deleting. */
  async slicesOfDevice(deviceId: string, fromMs: number, toMs: number): Promise<Slice[]> {
    return this.slices(
      `device_id = {d:String} AND ${HOUR_RANGE}`,
      { d: deviceId, from: fromMs, to: toMs },
    );
  }

  /** Marks slices dirty (after the change they reflect is written) and starts a rebuild. */
  async markDirty(slices: readonly Slice[]): Promise<void> {
    if (slices.length === 0) return;
    // marked_at defaults to the engine's clock, the one a rebuild compares against.
    await this.o.client.insert({ table: 'fleet_dirty', values: slices.map((s) => ({ firmware: s.firmware, day: s.day })), format: 'JSONEachRow' });
    this.scheduleRebuild();
  }

  /** Starts a rebuild of the dirty slices unless one is running (then it runs once more after). */
  scheduleRebuild(): void {
    if (this.rebuilding) {
      this.again = true;
      return;
    }
    this.rebuilding = (async () => {
      do {
        this.again = false;
        try {
          await this.rebuild();
        } catch (err) {
          this.o.log.error({ err }, 'fleet rollup rebuild failed; fleet queries read the per-device rollups until the next attempt');
        }
      } while (this.again);
      this.rebuilding = null;
    })();
  }

  /** Resolves when no rebuild is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.rebuilding) await this.rebuilding;
  }

  private async recordExclusions(excluded: readonly string[]): Promise<boolean> {
    const rs = await this.o.client.query({ query: 'SELECT device_id FROM fleet_exclusions FINAL WHERE excluded = 1', format: 'JSONEachRow' });
    const current = new Set((await rs.json<{ device_id: string }>()).map((r) => r.device_id));
    const wanted = new Set(excluded);
    const changed = [
      ...[...wanted].filter((d) => !current.has(d)).map((d) => ({ device_id: d, excluded: 1 })),
      ...[...current].filter((d) => !wanted.has(d)).map((d) => ({ device_id: d, excluded: 0 })),
    ];
    if (changed.length === 0) return false;
    const at = Date.now();
    await this.o.client.insert({ table: 'fleet_exclusions', values: changed.map((c) => ({ ...c, at })), format: 'JSONEachRow' });
    await this.markDirty(await this.slices('device_id IN {ids:Array(String)}', { ids: changed.map((c) => c.device_id) }));
    this.o.log.info({ optedOut: changed.filter((c) => c.excluded).length, optedIn: changed.filter((c) => !c.excluded).length }, 'fleet rollup consent changed; rebuilding the days concerned');
    return true;
  }

  private async slices(where: string, params: Record<string, unknown>): Promise<Slice[]> {
    const rs = await this.o.client.query({
      query: `SELECT DISTINCT firmware, toString(toDate(hour)) AS day FROM metric_hourly WHERE ${where}`,
      query_params: params,
      format: 'JSONEachRow',
    });
    return rs.json<Slice>();
  }

  private async rebuild(): Promise<void> {
    const started = Date.now();
    const now = await (await this.o.maintenance.query({ query: 'SELECT toString(now64(3)) AS t', format: 'JSONEachRow' })).json<{ t: string }>();
    const t = now[0]!.t;
    const slices = await (
      await this.o.maintenance.query({
        query: `SELECT DISTINCT firmware, toString(day) AS day FROM fleet_dirty WHERE marked_at < {t:DateTime64(3)} ORDER BY firmware, day`,
        query_params: { t },
        format: 'JSONEachRow',
      })
    ).json<{ firmware: string; day: string }>();
    for (const s of slices) {
      const params = { f: s.firmware, day: s.day, t };
      await this.o.gate(async () => {
        await this.o.maintenance.command({ query: 'DELETE FROM metric_fleet_hourly WHERE firmware = {f:String} AND toDate(hour) = {day:Date}', query_params: params });
        await this.o.maintenance.command({
          query: `INSERT INTO metric_fleet_hourly
                  SELECT m.metric, d.model, m.firmware, m.hour, sum(m.samples), sum(m.sum), min(m.min), max(m.max),
                         quantilesTDigestMergeState(0.5, 0.95, 0.99)(m.digest), uniqCombinedState(12)(m.device_id)
                  FROM metric_hourly AS m
                  LEFT JOIN (SELECT device_id, model FROM devices FINAL) AS d ON m.device_id = d.device_id
                  WHERE m.firmware = {f:String} AND toDate(m.hour) = {day:Date}
                    AND m.device_id NOT IN (SELECT device_id FROM fleet_exclusions FINAL WHERE excluded = 1)
                  GROUP BY m.metric, d.model, m.firmware, m.hour`,
          query_params: params,
        });
      });
      await this.o.maintenance.command({ query: `DELETE FROM fleet_dirty WHERE firmware = {f:String} AND day = {day:Date} AND marked_at < {t:DateTime64(3)}`, query_params: params });
    }
    if (slices.length > 0) this.o.log.info({ slices: slices.length, ms: Date.now() - started }, 'fleet rollup rebuilt');
  }
}
