/**
 * The one error base for Parley. Every error that crosses a module boundary is an AppError with a
 * stable `code` (never reworded: clients and dashboards match on it), an HTTP status for the API's
 * single error handler, and `retryable` so callers know whether trying again can help.
 * Messages say what was wrong and what to do; they never contain payloads or secrets.
 */
export interface AppErrorOptions {
  /** HTTP status the API maps this error to. */
  status?: number;
  /** Whether the same call may succeed later without any change by the caller. */
  retryable?: boolean;
  cause?: unknown;
  /** Structured, non-secret context for logs (device id, offsets, sizes). */
  context?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly context: Record<string, unknown>;

  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = options.status ?? 500;
    this.retryable = options.retryable ?? false;
    this.context = options.context ?? {};
  }

  toJSON(): { code: string; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Bad input from a caller: fix the request and try again. */
export class ValidationError extends AppError {
  constructor(code: string, message: string, options: Omit<AppErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: 400 });
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends AppError {
  constructor(code: string, message: string, options: Omit<AppErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: 404 });
    this.name = 'NotFoundError';
  }
}

export class AuthError extends AppError {
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(code, message, { status: 401, ...options });
    this.name = 'AuthError';
  }
}

/** The caller may not do this (authenticated, but not allowed). */
export class ForbiddenError extends AppError {
  constructor(code: string, message: string, options: Omit<AppErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: 403 });
    this.name = 'ForbiddenError';
  }
}

/** The request conflicts with the current state (already claimed, code already used, …). */
export class ConflictError extends AppError {
  constructor(code: string, message: string, options: Omit<AppErrorOptions, 'status'> = {}) {
    super(code, message, { ...options, status: 409 });
    this.name = 'ConflictError';
  }
}

/** Too many attempts; `retryAfterSeconds` says when to try again. */
export class RateLimitError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(code: string, message: string, retryAfterSeconds: number, options: Omit<AppErrorOptions, 'status' | 'retryable'> = {}) {
    super(code, message, { ...options, status: 429, retryable: true });
    this.name = 'RateLimitError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A dependency (disk, ClickHouse, Kafka) failed; usually worth retrying. */
export class DependencyError extends AppError {
  constructor(code: string, message: string, options: AppErrorOptions = {}) {
    super(code, message, { status: 503, retryable: true, ...options });
    this.name = 'DependencyError';
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** A short, payload-free description of any thrown value, for logs and error messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
