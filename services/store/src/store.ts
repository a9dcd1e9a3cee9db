import { DependencyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { connectStore, type StoreConnection, type StoreLocation } from './connect';
import { migrate } from './migrate';
import { countDeadLetters, queryDeadLetters, type DeadLetterPage, type DeadLetterQuery } from './queries/dead-letters';
import { queryConversation, type ConversationPage, type ConversationQuery } from './queries/conversation';
import { queryDeviceMetrics, queryMetricSeries, type MetricSeries, type MetricSeriesQuery } from './queries/metric-series';
import { encodeDeadLetters, encodeDownlinks, encodeUplinks, type DeadLetterRow, type DownlinkRow, type UplinkRow } from './rows';

/**
 * The analytics store: everything devices said and were sent, queryable per device and per fleet.
 * One implementation over `@clickhouse/client`, embedded (chDB) or server (HTTP) by configuration.
 */
export interface Store {
  readonly mode: 'embedded' | 'server';
  insertUplinks(rows: readonly UplinkRow[]): Promise<void>;
  insertDeadLetters(rows: readonly DeadLetterRow[]): Promise<void>;
  insertDownlinks(rows: readonly DownlinkRow[]): Promise<void>;
  conversation(q: ConversationQuery): Promise<ConversationPage>;
  metricSeries(q: MetricSeriesQuery): Promise<MetricSeries>;
  deviceMetrics(q: { deviceId: string; fromMs: number; toMs: number }): Promise<{ metric: string; count: number }[]>;
  deadLetters(q: DeadLetterQuery): Promise<DeadLetterPage>;
  countDeadLetters(q: { deviceId: string; fromMs: number; toMs: number }): Promise<number>;
  /** True when the engine answers a trivial query. */
  ping(): Promise<boolean>;
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
  constructor(
    private readonly conn: StoreConnection,
    private readonly log: Logger,
  ) {}

  get mode(): 'embedded' | 'server' {
    return this.conn.mode;
  }

  /** Encodes and inserts `rows`; most batches have no dead letters, so an empty list costs nothing. */
  private async insert<T>(table: string, rows: readonly T[], encode: (rows: readonly T[]) => Buffer): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.conn.insertTsv(table, encode(rows));
    } catch (err) {
      throw insertError(table, err);
    }
  }

  insertUplinks(rows: readonly UplinkRow[]): Promise<void> {
    return this.insert('uplinks', rows, encodeUplinks);
  }

  insertDeadLetters(rows: readonly DeadLetterRow[]): Promise<void> {
    return this.insert('dead_letters', rows, encodeDeadLetters);
  }

  insertDownlinks(rows: readonly DownlinkRow[]): Promise<void> {
    return this.insert('downlinks', rows, encodeDownlinks);
  }

  conversation(q: ConversationQuery): Promise<ConversationPage> {
    return queryConversation(this.conn.reader, q);
  }

  metricSeries(q: MetricSeriesQuery): Promise<MetricSeries> {
    return queryMetricSeries(this.conn.reader, q);
  }

  deviceMetrics(q: { deviceId: string; fromMs: number; toMs: number }): Promise<{ metric: string; count: number }[]> {
    return queryDeviceMetrics(this.conn.reader, q);
  }

  deadLetters(q: DeadLetterQuery): Promise<DeadLetterPage> {
    return queryDeadLetters(this.conn.reader, q);
  }

  countDeadLetters(q: { deviceId: string; fromMs: number; toMs: number }): Promise<number> {
    return countDeadLetters(this.conn.reader, q);
  }

  async ping(): Promise<boolean> {
    const r = await this.conn.reader.ping();
    if (!r.success) this.log.warn({ err: r.error }, 'store ping failed');
    return r.success;
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

/** Connects, applies pending migrations and returns the store. */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const log = options.log.child({ component: 'store' });
  const conn = await connectStore(options.location);
  try {
    await migrate(conn.reader, log);
  } catch (err) {
    await conn.close();
    throw err;
  }
  log.info({ mode: conn.mode }, 'store ready');
  return new ClickHouseStore(conn, log);
}
