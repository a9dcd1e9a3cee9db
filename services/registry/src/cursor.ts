import { ValidationError } from '@parley/errors';
import { isDeviceId } from './device-id';

/** Opaque page cursor: the last id of the page, so the next page is a keyset seek `id > after`. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId })).toString('base64url');
}

/** The id a cursor from {@link encodeCursor} points after; `invalid_cursor` for anything else. */
export function decodeCursor(cursor: string): string {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { after?: unknown };
    if (isDeviceId(v.after)) return v.after;
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('invalid_cursor', 'The cursor is not one this API issued. Pass the `nextCursor` of a previous page unchanged, or omit it.');
}
