import { ValidationError } from '@parley/errors';

/** Position after the last item of a page: (time, rank of the source, id within the source). */
export interface CursorPosition {
  t: number;
  rank: number;
  id: string;
}

export function encodeCursor(p: CursorPosition): string {
  return Buffer.from(JSON.stringify([p.t, p.rank, p.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && Number.isSafeInteger(v[0]) && Number.isInteger(v[1]) && typeof v[2] === 'string') {
      return { t: v[0] as number, rank: v[1] as number, id: v[2] as string };
    }
  } catch {
    // fall through to the error below
  }
  throw new ValidationError('invalid_cursor', 'The cursor is not one this API issued. Pass the `nextCursor` of a previous page unchanged, or omit it.');
}

export type Order = 'asc' | 'desc';

/**
 * The SQL condition "row comes after the cursor" for one source of rank `rank`, in the given order.
 * `tExpr`/`idExpr` are trusted SQL expressions; cursor values go in as query parameters.
 */
export function afterCursorSql(rank: number, cursor: CursorPosition | undefined, order: Order, tExpr: string, idExpr: string): string {
  if (!cursor) return '1';
  const gt = order === 'asc' ? '>' : '<';
  if (rank === cursor.rank) return `(${tExpr}, ${idExpr}) ${gt} ({ct:Int64}, {ci:String})`;
  // Items of another source at the cursor's exact time sort before or after it by rank.
  const rankAfter = order === 'asc' ? rank > cursor.rank : rank < cursor.rank;
  return `${tExpr} ${rankAfter ? gt + '=' : gt} {ct:Int64}`;
}

/** Ids compare as ClickHouse compares strings (bytewise for the ASCII ids the platform issues). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sort comparator matching the SQL order (time, rank, id). */
export function compareItems(a: CursorPosition, b: CursorPosition, order: Order): number {
  const c = a.t - b.t || a.rank - b.rank || compareIds(a.id, b.id);
  return order === 'asc' ? c : -c;
}
