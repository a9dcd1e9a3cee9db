/** The platform's HTTP API as the soak uses it: the manufacturer token, a stated justification. */
export interface SoakApi {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  /** The Prometheus text of `/metrics`. */
  metricsText(): Promise<string>;
}

/** Manufacturer reads of device data state why; the owner would see this one in the access log. */
export const JUSTIFICATION = 'quality-investigation:soak';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A client on `baseUrl`; `token()` is read per request because a restarted platform reprints it. */
export function soakApi(baseUrl: string, token: () => string): SoakApi {
  const request = async (method: string, path: string, body?: unknown): Promise<Response> => {
    for (let attempt = 0; ; attempt++) {
      const res = await fetch(baseUrl + path, {
        method,
        headers: {
          authorization: `Bearer ${token()}`,
          'x-parley-justification': JUSTIFICATION,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(60_000),
      });
      // The per-account budget is raised for the soak, but a 429 still means "later", not "failed".
      if (res.status === 429 && attempt < 10) {
        await res.body?.cancel();
        await sleep(Number(res.headers.get('retry-after') ?? '1') * 1000);
        continue;
      }
      if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${(await res.text()).slice(0, 500)}`);
      return res;
    }
  };
  return {
    get: async (path) => (await request('GET', path)).json() as never,
    post: async (path, body) => (await request('POST', path, body)).json() as never,
    metricsText: async () => (await request('GET', '/metrics')).text(),
  };
}

/**
 * One sample's value from Prometheus text, e.g. `metricValue(text, 'parley_ingest_latency_seconds',
 * { quantile: '0.99' })`; null when absent (the ingester has seen no record since its start).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return null;
}
