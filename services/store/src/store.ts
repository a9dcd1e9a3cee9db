import { DependencyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { connectStore, type StoreConnection, type StoreLocation } from './connect';
import { DownlinkDevices } from './downlink-devices';
import { FleetRollup } from './fleet-rollup';
import { migrate } from './migrate';
import { countDeadLetters, queryDeadLetters, type DeadLetterPage, type DeadLetterQuery } from './queries/dead-letters';
import { queryConversation, type ConversationPage, type ConversationQuery } from './queries/conversation';
import { queryCohortMeans, queryDeviceHourly, type CohortQuery, type DeviceHourlyQuery, type HourlyPoint } from './queries/device-insight';
import { eraseDeviceWindow, type EraseQuery } from './queries/erase';
import {
  queryDeviceMeans,
  queryEventBreakdown,
  querySilentDevices,
  queryTopErrorDevices,
  type DeviceErrorRate,
  type EventBreakdownRow,
  type FleetScopeQuery,
} from './queries/fleet-events';
import { queryFirmwareComparison, queryFleetActivity, type FirmwareComparisonQuery, type FirmwareHealth, type FleetActivityQuery } from './queries/firmware-comparison';
import { countDimensionDevices, queryFleetMetric, upsertDevices, type DeviceDimensionRow, type FleetMetricQuery, type FleetMetricSummary } from './queries/fleet';
import { queryDeviceMetrics, queryMetricSeries, type DeviceMetricsQuery, type MetricSeries, type MetricSeriesQuery } from './queries/metric-series';
import { encodeDeadLetters, encodeDownlinks, encodeUplinks, type DeadLetterRow, type DownlinkRow, type UplinkRow } from './rows';

/**
 * The analytics store: everything devices said and were sent, queryable per device and per fleet.
 * One implementation over `@clickhouse/client`, embedded (chDB) or server (HTTP) by configuration.
 */
export interface Store {
  readonly mode: 'embedded' | 'server';
  insertUplinks(rows: readonly UplinkRow[]): Promise<void>;
  /**
   * Inserts uplinks already encoded by `encodeUplinks` (`@parley/store/rows`), e.g. on another
   * thread; `rows` is how many the body holds.
   */
  insertEncodedUplinks(body: Uint8Array, rows: number): Promise<void>;
  insertDeadLetters(rows: readonly DeadLetterRow[]): Promise<void>;
  insertDownlinks(rows: readonly DownlinkRow[]): Promise<void>;
  conversation(q: ConversationQuery): Promise<ConversationPage>;
  metricSeries(q: MetricSeriesQuery): Promise<MetricSeries>;
  deviceMetrics(q: DeviceMetricsQuery): Promise<{ metric: string; count: number }[]>;
  /**
   * One metric across the fleet per firmware (and hour/day) from the rollups; opt-outs excluded, small
   * groups suppressed. Reads the fleet-level rollup when it is current for the range and the opt-outs
   * (then records `excludeDevices` for it), the per-device rollups otherwise.
   */
  fleetMetric(q: FleetMetricQuery): Promise<FleetMetricSummary>;
  /** Resolves when no fleet-rollup rebuild is running. */
  fleetRollupIdle(): Promise<void>;
  /** Per firmware version: devices, device-days, errors and reboots per device-day, error-free hours (rollups). */
  firmwareComparison(q: FirmwareComparisonQuery): Promise<FirmwareHealth[]>;
  /** Known devices that reported in the last N hours, and those that went silent. */
  fleetActivity(q: FleetActivityQuery): Promise<{ devices: number; active: number; silent: number }>;
  /** One device's hourly means per metric (rollups; raw samples cut at the receive-time window when one is given). */
  deviceHourly(q: DeviceHourlyQuery): Promise<HourlyPoint[]>;
  /** Per-device means of every metric in a cohort (same model and firmware, consenting). */
  cohortMeans(q: CohortQuery): Promise<{ metric: string; deviceId: string; mean: number }[]>;
  /** Event counts by code, severity and firmware (k-anonymous groups). */
  eventBreakdown(q: FleetScopeQuery & { minDevices: number; bucket?: 'all' | 'hour' | 'day' }): Promise<{ rows: EventBreakdownRow[]; suppressedGroups: number }>;
  /** Consenting known devices silent since `sinceMs`, longest silent first. */
  silentDevices(q: { sinceMs: number; excludeDevices: readonly string[]; limit: number; model?: string; tag?: string }): Promise<{ deviceId: string; model: string; lastHour: string | null }[]>;
  /** Devices with the most error/critical events per active day. */
  topErrorDevices(q: FleetScopeQuery & { limit: number }): Promise<DeviceErrorRate[]>;
  /** Per-device means of one metric over the fleet scope. */
  deviceMeans(q: FleetScopeQuery & { metric: string }): Promise<{ deviceId: string; firmware: string; mean: number }[]>;
  /** Writes devices (model, cohort tags) into the device dimension fleet queries filter by. */
  upsertDevices(rows: readonly DeviceDimensionRow[]): Promise<void>;
  /** Devices in the device dimension. */
  countDevices(): Promise<number>;
  deadLetters(q: DeadLetterQuery): Promise<DeadLetterPage>;
  countDeadLetters(q: { deviceId: string; fromMs: number; toMs: number }): Promise<number>;
  /** Deletes a device's data inside a server-time window (an erased ownership period); returns rows per table. */
  eraseDeviceWindow(q: EraseQuery): Promise<Record<string, number>>;
  /** True when the engine answers a trivial query. */
  ping(): Promise<boolean>;
  /**
   * Background merges running now and active parts over all tables: how much the engine still has to
   * fold together after a burst of inserts (reads slow down while many small parts exist).
   */
  backgroundWork(): Promise<{ merges: number; parts: number }>;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  location: StoreLocation;
  log: Logger;
}

function insertError(table: string, err: unknown): DependencyError {
  return new DependencyError('store_insert_failed', `Insert into ${table} failed; the batch will be retried.`, {
    cause: err,
    context: { table },
  });
}

class ClickHouseStore implements Store {
  /** Uplink inserts and fleet-rollup rebuilds take turns (see fleet-rollup.ts). */
  private writes: Promise<unknown> = Promise.resolve();
  /** True when the device dimension may hold devices the `device_models` dictionary has not loaded. */
  private deviceModelsStale = true;
  private readonly fleet: FleetRollup;

  constructor(
    private readonly conn: StoreConnection,
    private readonly log: Logger,
    private readonly downlinkDevices: DownlinkDevices,
  ) {
    this.fleet = new FleetRollup({ client: conn.reader, maintenance: conn.writer, log, gate: (fn) => this.gate(fn) });
    // Slices left dirty by a previous run (a crash mid-rebuild) are rebuilt now.
    this.fleet.scheduleRebuild();
  }

  private gate<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => undefined);
    return run;
  }

  get mode(): 'embedded' | 'server' {
    return this.conn.mode;
  }

  /** Encodes and inserts `rows`; most batches have no dead letters, so an empty list costs nothing. */
  private insert<T>(table: string, rows: readonly T[], encode: (rows: readonly T[]) => Buffer): Promise<void> {
    return rows.length === 0 ? Promise.resolve() : this.insertBody(table, encode(rows));
  }

  private async insertBody(table: string, body: Buffer): Promise<void> {
    try {
      await this.conn.insertTsv(table, body);
    } catch (err) {
      throw insertError(table, err);
    }
  }

  insertUplinks(rows: readonly UplinkRow[]): Promise<void> {
    return rows.length === 0 ? Promise.resolve() : this.insertEncodedUplinks(encodeUplinks(rows), rows.length);
  }

  insertEncodedUplinks(body: Uint8Array, rows: number): Promise<void> {
    if (rows === 0) return Promise.resolve();
    const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return this.gate(async () => {
      await this.refreshDeviceModels();
      await this.insertBody('uplinks', buf);
    });
  }

  /**
   * The fleet rollup's view reads models through the `device_models` dictionary. A ClickHouse server
   * reloads it on its own (LIFETIME); embedded chDB does not, so it is reloaded before the first
   * insert after the dimension changed. A failed reload only files data under model '' for a while
   * (a rebuild re-files it), so it never fails the insert.
   */
  private async refreshDeviceModels(): Promise<void> {
    if (!this.deviceModelsStale) return;
    this.deviceModelsStale = false;
    try {
      await this.conn.writer.command({ query: 'SYSTEM RELOAD DICTIONARY device_models' });
    } catch (err) {
      this.deviceModelsStale = true;
      this.log.warn({ err }, 'could not reload the device_models dictionary; new devices are filed under model "" in the fleet rollup until a rebuild');
    }
  }

  insertDeadLetters(rows: readonly DeadLetterRow[]): Promise<void> {
    return this.insert('dead_letters', rows, encodeDeadLetters);
  }

  insertDownlinks(rows: readonly DownlinkRow[]): Promise<void> {
    this.downlinkDevices.add(rows.map((r) => r.deviceId));
    return this.insert('downlinks', rows, encodeDownlinks);
  }

  conversation(q: ConversationQuery): Promise<ConversationPage> {
    return queryConversation(this.conn.reader, this.downlinkDevices.mayHave(q.deviceId) ? q : { ...q, uplinksOnly: true });
  }

  metricSeries(q: MetricSeriesQuery): Promise<MetricSeries> {
    return queryMetricSeries(this.conn.reader, q);
  }

  deviceMetrics(q: DeviceMetricsQuery): Promise<{ metric: string; count: number }[]> {
    return queryDeviceMetrics(this.conn.reader, q);
  }

  async fleetMetric(q: FleetMetricQuery): Promise<FleetMetricSummary> {
    await this.fleet.sync(q.excludeDevices, await this.countDevices());
    return queryFleetMetric(this.conn.reader, q, (await this.fleet.canServe(q)) ? 'fleet' : 'device');
  }

  firmwareComparison(q: FirmwareComparisonQuery): Promise<FirmwareHealth[]> {
    return queryFirmwareComparison(this.conn.reader, q);
  }

  fleetActivity(q: FleetActivityQuery): Promise<{ devices: number; active: number; silent: number }> {
    return queryFleetActivity(this.conn.reader, q);
  }

  deviceHourly(q: DeviceHourlyQuery): Promise<HourlyPoint[]> {
    return queryDeviceHourly(this.conn.reader, q);
  }

  cohortMeans(q: CohortQuery): Promise<{ metric: string; deviceId: string; mean: number }[]> {
    return queryCohortMeans(this.conn.reader, q);
  }

  eventBreakdown(q: FleetScopeQuery & { minDevices: number; bucket?: 'all' | 'hour' | 'day' }): Promise<{ rows: EventBreakdownRow[]; suppressedGroups: number }> {
    return queryEventBreakdown(this.conn.reader, q);
  }

  silentDevices(q: { sinceMs: number; excludeDevices: readonly string[]; limit: number; model?: string; tag?: string }): Promise<{ deviceId: string; model: string; lastHour: string | null }[]> {
    return querySilentDevices(this.conn.reader, q);
  }

  topErrorDevices(q: FleetScopeQuery & { limit: number }): Promise<DeviceErrorRate[]> {
    return queryTopErrorDevices(this.conn.reader, q);
  }

  deviceMeans(q: FleetScopeQuery & { metric: string }): Promise<{ deviceId: string; firmware: string; mean: number }[]> {
    return queryDeviceMeans(this.conn.reader, q);
  }

  async upsertDevices(rows: readonly DeviceDimensionRow[]): Promise<void> {
    await upsertDevices(this.conn.reader, rows);
    if (rows.length > 0) this.deviceModelsStale = true;
  }

  countDevices(): Promise<number> {
    return countDimensionDevices(this.conn.reader);
  }

  deadLetters(q: DeadLetterQuery): Promise<DeadLetterPage> {
    return queryDeadLetters(this.conn.reader, q);
  }

  countDeadLetters(q: { deviceId: string; fromMs: number; toMs: number }): Promise<number> {
    return countDeadLetters(this.conn.reader, q);
  }

  async eraseDeviceWindow(q: EraseQuery): Promise<Record<string, number>> {
    // Read before deleting, marked after: a rebuild that starts in between still sees the mark.
    const slices = await this.fleet.slicesOfDevice(q.deviceId, q.fromMs, q.toMs);
    // On the reader connection: the ingester's connection must never wait behind a deletion.
    const counts = await eraseDeviceWindow(this.conn.reader, q);
    await this.fleet.markDirty(slices);
    return counts;
  }

  async ping(): Promise<boolean> {
    const r = await this.conn.reader.ping();
    if (!r.success) this.log.warn({ err: r.error }, 'store ping failed');
    return r.success;
  }

  async backgroundWork(): Promise<{ merges: number; parts: number }> {
    const rs = await this.conn.reader.query({
      query: `SELECT (SELECT count() FROM system.merges WHERE database = currentDatabase()) AS merges,
                     (SELECT count() FROM system.parts WHERE database = currentDatabase() AND active) AS parts`,
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ merges: number; parts: number }>();
    return { merges: Number(row?.merges ?? 0), parts: Number(row?.parts ?? 0) };
  }

  /** Resolves when no fleet-rollup rebuild is running. */
  fleetRollupIdle(): Promise<void> {
    return this.fleet.idle();
  }

  async close(): Promise<void> {
    await this.fleet.idle();
    await this.conn.close();
  }
}

/** Connects, applies pending migrations and returns the store. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const log = options.log.child({ component: 'store' });
  const conn = await connectStore(options.location);
  let downlinkDevices: DownlinkDevices;
  try {
    await migrate(conn.reader, log);
    downlinkDevices = await DownlinkDevices.load(conn.reader, conn.mode === 'embedded');
  } catch (err) {
    await conn.close();
    throw err;
  }
  log.info({ mode: conn.mode }, 'store ready');
  return new ClickHouseStore(conn, log, downlinkDevices);
}
