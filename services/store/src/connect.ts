import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient, type ClickHouseClientConfigOptions } from '@clickhouse/client';
import { DependencyError } from '@parley/errors';

/**
 * Where the analytics store lives. Exactly one of the two:
 * - `dataDir`: embedded ClickHouse (chDB) in this process, files under that directory;
 * - `url`: a ClickHouse server over HTTP (cluster mode).
 */
export interface StoreLocation {
  dataDir?: string;
  url?: string;
  database?: string;
  username?: string;
  password?: string;
  /** Upper bound for any read query, enforced by the engine (abort signals do not stop chDB). */
  maxQuerySeconds?: number;
}

/**
 * The two channels the store needs: one for reads and DDL, one for inserts and the maintenance
 * that takes turns with them. A ClickHouse server runs both at once. Embedded chDB runs one
 * statement at a time per process whatever the connection (measured: two 20 ms queries on two
 * connections take longer side by side than one after the other), so there a read may wait for
 * the insert in flight; inserts are batched to keep that wait short.
 */
export interface StoreConnection {
  readonly mode: 'embedded' | 'server';
  /** For queries and DDL. */
  readonly reader: ClickHouseClient;
  /**
   * Statements on the write channel (the connection inserts use): maintenance that runs between
   * inserts, such as a fleet-rollup rebuild, so that reads never queue behind it.
   */
  readonly writer: ClickHouseClient;
  /** Inserts a TabSeparated body (already encoded) into `table` (columns in table order). */
  insertTsv(table: string, body: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * Settings applied to every query, identically in both modes: a server gets them with every
 * request, an embedded session once (chDB turns per-query settings into SET statements that stick
 * on the connection, so none are ever given per query).
 */
function clientSettings(location: StoreLocation): ClickHouseClientConfigOptions['clickhouse_settings'] {
  return {
    output_format_json_quote_64bit_integers: 0,
    session_timezone: 'UTC',
    max_execution_time: location.maxQuerySeconds ?? 30,
    // An insert runs its materialized views in parallel rather than one after the other, and does
    // not collapse or pre-aggregate equal keys inside the new part: the views' GROUP BY has already
    // aggregated, and copies of a message are collapsed by merges and read around (FINAL, the
    // conversation's readDistinct) however they arrived. Measured with bench:query (4M samples,
    // fresh store, three runs each): 95k–137k samples/s without either, 197k–221k with both.
    parallel_view_processing: 1,
    optimize_on_insert: 0,
  };
}

type ChdbConnection = import('chdb/connection').ChdbConnection;
type ClientConnection = NonNullable<ClickHouseClientConfigOptions['connection']>;

async function connectEmbedded(location: StoreLocation & { dataDir: string }): Promise<StoreConnection> {
  const { createChdbConnection } = await import('chdb/connection');
  let readConn: ChdbConnection;
  let writeConn: ChdbConnection;
  try {
    readConn = createChdbConnection({ path: location.dataDir });
    writeConn = createChdbConnection({ path: location.dataDir });
  } catch (err) {
    throw new DependencyError(
      'store_open_failed',
      `Could not open the embedded ClickHouse store at ${location.dataDir}. ` +
        'Only one process may use a data directory: stop any other Parley process using it, or set PARLEY_DATA_DIR to another directory.',
      { cause: err, retryable: false },
    );
  }
  // chdb's Connection type comes from its own copy of client-common; the shapes are identical.
  const client = (conn: ChdbConnection) => createClient({ connection: conn as unknown as ClientConnection });
  const reader = client(readConn);
  const writer = client(writeConn);
  // A chDB connection is a session: settings SET once stay for every later query. Given
  // client-wide instead, the adapter would prepend one SET statement per setting to every query
  // (measured: about 1 ms on a 500-row history read).
  for (const c of [reader, writer]) {
    for (const [name, value] of Object.entries(clientSettings(location) ?? {})) {
      await c.command({ query: `SET ${name} = ${typeof value === 'string' ? `'${value}'` : String(value)}` });
    }
  }
  return {
    mode: 'embedded',
    reader,
    writer,
    async insertTsv(table, body) {
      // Raw passthrough: the Buffer goes to chDB's parser without a JS string copy.
      await writeConn.chdb.rawInsert({ table, values: body, format: 'TabSeparated' });
    },
    async close() {
      await reader.close();
      await writer.close();
      await writeConn.close(); // idempotent; the raw insert channel must be shut even if the client did not
    },
  };
}

function connectServer(location: StoreLocation & { url: string }): StoreConnection {
  const common = {
    url: location.url,
    database: location.database ?? 'default',
    username: location.username ?? 'default',
    password: location.password ?? '',
    clickhouse_settings: clientSettings(location),
  };
  const reader = createClient(common);
  const writer = createClient(common);
  return {
    mode: 'server',
    reader,
    writer,
    async insertTsv(table, body) {
      await writer.insert({ table, values: Readable.from([body], { objectMode: false }), format: 'TabSeparated' });
    },
    async close() {
      await Promise.all([reader.close(), writer.close()]);
    },
  };
}

/** Opens the store in the mode the location implies. */
export async function connectStore(location: StoreLocation): Promise<StoreConnection> {
  if (location.url && location.dataDir) {
    throw new DependencyError('store_config_invalid', 'Give the store either a URL (server mode) or a data directory (embedded), not both.', {
      retryable: false,
    });
  }
  if (location.url) return connectServer({ ...location, url: location.url });
  if (location.dataDir) return connectEmbedded({ ...location, dataDir: location.dataDir });
  throw new DependencyError('store_config_invalid', 'The store needs a data directory (embedded) or a ClickHouse URL.', {
    retryable: false,
  });
}
