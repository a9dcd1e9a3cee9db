import { DependencyError, ValidationError, isAppError } from '@parley/errors';

/** PostgreSQL error codes that mean the input, not the database, is wrong (NUL bytes, bad encoding, too long). */
const BAD_INPUT_CODES = new Set(['22021', '22P05', '22001']);

/**
 * Database failures become a retryable `registry_unavailable`; input the database cannot store
 * (a NUL byte in a text, say) becomes a 400 `invalid_text`; our own errors pass through.
 */
export async function guard<T>(op: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (isAppError(err)) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && BAD_INPUT_CODES.has(code)) {
      throw new ValidationError('invalid_text', 'A text in the request cannot be stored (it contains a NUL byte or is not valid text); remove control characters and try again.', { cause: err });
    }
    throw new DependencyError('registry_unavailable', `The registry failed to ${op}; try again.`, { cause: err, context: { op } });
  }
}
