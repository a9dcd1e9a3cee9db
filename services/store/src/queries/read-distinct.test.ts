import { describe, expect, it } from 'vitest';
import { readDistinct } from './conversation';

/** A source in (t, id) order whose reads honour the limit, recording each limit asked for. */
function source(rows: { t: number; id: string; copy?: number }[]) {
  const limits: number[] = [];
  return { limits, read: async (limit: number) => (limits.push(limit), rows.slice(0, limit)) };
}

describe('readDistinct', () => {
  it('keeps the first row of each run of copies', async () => {
    const s = source([
      { t: 1, id: 'a', copy: 2 },
      { t: 1, id: 'a', copy: 1 },
      { t: 2, id: 'b' },
      { t: 2, id: 'c' },
    ]);
    expect(await readDistinct(5, s.read)).toEqual([{ t: 1, id: 'a', copy: 2 }, { t: 2, id: 'b' }, { t: 2, id: 'c' }]);
    expect(s.limits).toEqual([5]);
  });

  it('reads again with room for the copies when they ate into the page', async () => {
    const rows = ['a', 'a', 'a', 'b', 'b', 'c', 'd', 'e'].map((id, i) => ({ t: i < 3 ? 1 : i < 5 ? 2 : i, id }));
    const s = source(rows);
    expect((await readDistinct(4, s.read)).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(s.limits[0]).toBe(4);
    expect(s.limits.length).toBeGreaterThan(1);
  });

  it('stops when the source has fewer rows than asked for', async () => {
    const s = source([
      { t: 1, id: 'a' },
      { t: 1, id: 'a' },
    ]);
    expect(await readDistinct(3, s.read)).toEqual([{ t: 1, id: 'a' }]);
    expect(s.limits).toEqual([3]);
  });

  it('tells apart rows with the same id at different times', async () => {
    const s = source([
      { t: 1, id: 'a' },
      { t: 2, id: 'a' },
    ]);
    expect(await readDistinct(2, s.read)).toHaveLength(2);
  });
});
