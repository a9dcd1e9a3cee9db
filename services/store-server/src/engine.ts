import { createChdbConnection, type ChdbConnection } from 'chdb/connection';
import { DependencyError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { parseInsert, prelude, type ParsedRequest, RequestError } from './http-request';

/** What a request produced: the answer body in the requested format and ClickHouse's summary. */
export interface EngineResult {
  body: Uint8Array;
  format: string;
  summary: { read_rows: string; read_bytes: string; written_rows: string; written_bytes: string; total_rows_to_read: string; result_rows: string; result_bytes: string; elapsed_ns: string };
}

/** One chDB connection running one request at a time (a chDB connection cannot run two at once). */
class Lane {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(readonly conn: ChdbConnection) {}

  run<T>(task: (conn: ChdbConnection) => Promise<T>): Promise<T> {
    const next = this.tail.then(() => task(this.conn));
    this.tail = next.catch(() => undefined);
    return next;
  }

  idle(): Promise<unknown> {
    return this.tail;
  }
}

const RAW_INSERT_FORMATS = new Set(['JSONEachRow', 'JSONCompactEachRow', 'CSV', 'CSVWithNames', 'TSV', 'TabSeparated', 'TSVWithNames', 'TabSeparatedWithNames']);

function summary(rowsRead: number, bytesRead: number, rowsWritten: number, bytesWritten: number, elapsedSeconds: number, resultBytes: number): EngineResult['summary'] {
  return {
    read_rows: String(rowsRead),
    read_bytes: String(bytesRead),
    written_rows: String(rowsWritten),
    written_bytes: String(bytesWritten),
    total_rows_to_read: '0',
    result_rows: '0',
    result_bytes: String(resultBytes),
    elapsed_ns: String(Math.round(elapsedSeconds * 1e9)),
  };
}

/**
 * The embedded ClickHouse engine behind the store server: one process owns the data directory
 * (chDB locks it) and runs every client's requests. Two lanes, as the embedded store does: one
 * for inserts, one for everything else, so a short read never waits behind a batch insert.
 * Settings and query parameters are set on the lane's connection right before each statement;
 * they stick on a chDB connection, which is harmless because every request sets its own.
 */
export class Engine {
  private constructor(
    private readonly reads: Lane,
    private readonly writes: Lane,
    private readonly log: Logger,
  ) {}

  static open(dataDir: string, log: Logger): Engine {
    let reader: ChdbConnection | undefined;
    try {
      reader = createChdbConnection({ path: dataDir });
      const writer = createChdbConnection({ path: dataDir });
      return new Engine(new Lane(reader), new Lane(writer), log);
    } catch (err) {
      void reader?.close();
      throw new DependencyError('store_open_failed', `Could not open the ClickHouse data directory ${dataDir}: only one process may use it.`, { cause: err, retryable: false });
    }
  }

  /** Runs one request. Errors keep chDB's `Code: N. DB::Exception: …` message and code. */
  async execute(req: ParsedRequest): Promise<EngineResult> {
    const insert = req.data ? parseInsert(req.sql) : null;
    if (insert && RAW_INSERT_FORMATS.has(insert.format)) {
      const data = req.data!;
      return this.writes.run(async (conn) => {
        const setup = prelude(req);
        if (setup.length > 0) await conn.chdb.queryAsync(setup.join('; '), { format: 'TabSeparated' });
        // Raw passthrough: chDB's parser reads the request body without a JS string copy.
        const r = await conn.chdb.rawInsert({ table: insert.table, values: data, format: insert.format as 'TabSeparated', ...(insert.columns ? { columns: insert.columns } : {}) });
        return { body: new Uint8Array(0), format: insert.format, summary: summary(0, 0, r.rowsWritten, r.bytesWritten, r.elapsed, 0) };
      });
    }
    if (req.data && !insert && /^\s*INSERT\b/i.test(req.sql)) {
      throw new RequestError(48, 'NOT_IMPLEMENTED', 'this development store server takes INSERT data only as INSERT INTO t [(columns)] FORMAT <JSONEachRow|TabSeparated|CSV…>');
    }
    const sql = req.data ? `${req.sql}\n${req.data.toString('utf8')}` : req.sql;
    const lane = /^\s*INSERT\b/i.test(sql) ? this.writes : this.reads;
    return lane.run(async (conn) => {
      const statements = [...prelude(req), sql];
      const format = req.defaultFormat ?? 'TabSeparated';
      const r = await conn.chdb.queryAsync(statements.join(';\n'), { format });
      const body = r.bytes();
      return { body, format, summary: summary(r.rowsRead, r.bytesRead, 0, 0, r.elapsed, body.length) };
    });
  }

  /** The engine answers a trivial query. */
  async ping(): Promise<boolean> {
    return this.reads.run(async (conn) => (await conn.ping({ select: true })).success);
  }

  /** Lets running requests finish, then closes both connections. */
  async close(): Promise<void> {
    await Promise.all([this.reads.idle(), this.writes.idle()]);
    await this.reads.conn.close();
    await this.writes.conn.close();
    this.log.info('engine closed');
  }
}
