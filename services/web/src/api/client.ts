// A small fetch wrapper: bearer token, JSON bodies, the API's error shape, the justification header.

export const TOKEN_KEY = 'parley.token';
export const JUSTIFICATION_KEY = 'parley.justification';

/** An error answer of the API: `{ error: { code, message } }` with its HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface RequestOptions {
  body?: unknown;
  /** Manufacturer reads of a device: why (sent as X-Parley-Justification). */
  justification?: string | null;
  signal?: AbortSignal;
  /** Skip the token (sign-up). */
  anonymous?: boolean;
}

/** The token of this browser tab (sessionStorage: gone when the tab closes). */
export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(options: RequestOptions, json: boolean): Record<string, string> {
  const h: Record<string, string> = {};
  const token = storedToken();
  if (token && !options.anonymous) h['authorization'] = `Bearer ${token}`;
  if (options.justification) h['x-parley-justification'] = options.justification;
  if (json) h['content-type'] = 'application/json';
  return h;
}

async function failure(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    return new ApiError(res.status, body.error?.code ?? 'http_error', body.error?.message ?? res.statusText);
  } catch {
    return new ApiError(res.status, 'http_error', `${res.status} ${res.statusText}`);
  }
}

/** Calls the API and returns its JSON answer; throws ApiError on any non-2xx status. */
export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, options: RequestOptions = {}): Promise<T> {
  const hasBody = options.body !== undefined;
  const res = await fetch(path, {
    method,
    headers: headers(options, hasBody),
    ...(hasBody ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** Fetches a file with the token and hands it to the browser as a download. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await fetch(path, { headers: headers({}, false) });
  if (!res.ok) throw await failure(res);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Builds a query string from the defined values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
