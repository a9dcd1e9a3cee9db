/**
 * The part of ClickHouse's HTTP interface that `@clickhouse/client` uses, parsed from one request:
 * the SQL (URL `query` parameter and/or body), `param_*` query parameters, settings as URL
 * parameters, the database and the query id. https://clickhouse.com/docs/interfaces/http
 */
export interface ParsedRequest {
  /** The statement, without the data of an INSERT. */
  sql: string;
  /** INSERT data (the body when the statement came in the URL). */
  data?: Buffer;
  /** `param_x=…` values, exactly as sent (ClickHouse's escaped text form). */
  params: Record<string, string>;
  /** Settings to apply to this query (`name=value` URL parameters that are not HTTP-layer options). */
  settings: Record<string, string>;
  database?: string;
  queryId?: string;
  /** `default_format`: the output format when the statement has no FORMAT clause. */
  defaultFormat?: string;
  /** `enable_http_compression=1`: the client accepts a compressed answer. */
  compressResponse: boolean;
}

/** URL parameters of the HTTP layer itself, not settings of the query. */
const HTTP_OPTIONS = new Set(['query', 'query_id', 'database', 'default_format', 'user', 'password', 'quota_key', 'role', 'session_id', 'session_timeout', 'session_check', 'compress', 'decompress', 'buffer_size', 'wait_end_of_query']);
/** Settings that only exist in the server's HTTP handler (clickhouse-js sends some by default). */
const HTTP_ONLY_SETTINGS = new Set([
  'enable_http_compression',
  'send_progress_in_http_headers',
  'http_headers_progress_interval_ms',
  'http_send_progress_interval_ms',
  'http_response_buffer_size',
  'http_zlib_compression_level',
  'http_native_compression_disable_checksumming_on_decompress',
  'http_wait_end_of_query',
  'cancel_http_readonly_queries_on_client_close',
]);

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class RequestError extends Error {
  constructor(
    readonly clickhouseCode: number,
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(`Code: ${clickhouseCode}. DB::Exception: ${message}. (${type})`);
  }
}

/** Splits `url` and `body` into a {@link ParsedRequest}; throws {@link RequestError} on what it does not support. */
export function parseRequest(url: URL, body: Buffer, contentType: string | undefined): ParsedRequest {
  if (contentType?.startsWith('multipart/form-data')) {
    throw new RequestError(48, 'NOT_IMPLEMENTED', 'multipart query parameters are not supported by this development store server; send them as URL parameters');
  }
  const search = url.searchParams;
  if (search.has('session_id')) {
    throw new RequestError(48, 'NOT_IMPLEMENTED', 'HTTP sessions (session_id) are not supported by this development store server');
  }
  const params: Record<string, string> = {};
  const settings: Record<string, string> = {};
  for (const [key, value] of search) {
    if (key.startsWith('param_')) {
      const name = key.slice('param_'.length);
      if (!IDENTIFIER.test(name)) throw new RequestError(456, 'UNKNOWN_QUERY_PARAMETER', `Invalid query parameter name ${JSON.stringify(name)}`);
      params[name] = value;
    } else if (!HTTP_OPTIONS.has(key) && !HTTP_ONLY_SETTINGS.has(key)) {
      if (!IDENTIFIER.test(key)) throw new RequestError(115, 'UNKNOWN_SETTING', `Invalid setting name ${JSON.stringify(key)}`);
      settings[key] = value;
    }
  }
  const database = search.get('database') ?? undefined;
  if (database !== undefined && !IDENTIFIER.test(database)) throw new RequestError(81, 'UNKNOWN_DATABASE', `Invalid database name ${JSON.stringify(database)}`);
  const inUrl = search.get('query');
  // ClickHouse: the statement is the `query` parameter followed by the body; for an INSERT the
  // body is then its data. Without the parameter, the body is the whole statement.
  const sql = inUrl ?? body.toString('utf8');
  const data = inUrl !== null && body.length > 0 ? body : undefined;
  return {
    sql,
    ...(data ? { data } : {}),
    params,
    settings,
    ...(database ? { database } : {}),
    ...(search.get('query_id') ? { queryId: search.get('query_id')! } : {}),
    ...(search.get('default_format') ? { defaultFormat: search.get('default_format')! } : {}),
    compressResponse: search.get('enable_http_compression') === '1',
  };
}

/** A ClickHouse SQL string literal holding `value` verbatim. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A setting value as SQL: numbers as they are, anything else as a string literal. */
export function settingValue(value: string): string {
  return /^-?\d+(\.\d+)?$/.test(value) ? value : sqlString(value);
}

/**
 * `SET` statements for the request's settings and parameters. Query parameters are bound by the
 * engine from their text form, exactly as a server binds `param_*` (`SET param_x = '…'` takes the
 * same escaped representation), so no value is ever spliced into the SQL.
 */
export function prelude(req: Pick<ParsedRequest, 'settings' | 'params' | 'database'>): string[] {
  return [
    ...(req.database ? [`USE ${req.database}`] : []),
    ...Object.entries(req.settings).map(([k, v]) => `SET ${k} = ${settingValue(v)}`),
    ...Object.entries(req.params).map(([k, v]) => `SET param_${k} = ${sqlString(v)}`),
  ];
}

const INSERT = /^\s*INSERT\s+INTO\s+(?:TABLE\s+)?([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*(?:\(([^)]*)\))?\s*FORMAT\s+([A-Za-z]+)\s*$/i;

/** `INSERT INTO t [(a, b)] FORMAT X` (data apart), as the client sends inserts; null for anything else. */
export function parseInsert(sql: string): { table: string; columns?: string[]; format: string } | null {
  const m = INSERT.exec(sql);
  if (!m) return null;
  const columns = m[2]
    ?.split(',')
    .map((c) => c.trim().replace(/^`|`$/g, ''))
    .filter((c) => c !== '');
  return { table: m[1]!, ...(columns && columns.length > 0 ? { columns } : {}), format: m[3]! };
}

/** Whether the statement can return rows; a FORMAT clause or a SELECT-like statement. */
export function isReadOnly(sql: string): boolean {
  return /^\s*(\(\s*)*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i.test(sql);
}
