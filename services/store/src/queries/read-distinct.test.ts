import { describe, expect, it } from 'vitest';
import { inSourceOrder, readDistinct } from './conversation';

type Row = { t: number; id: string; copy?: number };

/** One source in (t, id) order whose reads honour the limit, recording each limit asked for. */
function source(rows: Row[]) {
  const limits: number[] = [];
  return { limits, read: async (limit: number) => (limits.push(limit), { rows: rows.slice(0, limit) }) };
}

describe('readDistinct', () => {
  it('keeps the first row of each run of copies', async () => {
    const s = source([
      { t: 1, id: 'a', copy: 2 },
      { t: 1, id: 'a', copy: 1 },
      { t: 2, id: 'b' },
      { t: 2, id: 'c' },
    ]);
    expect((await readDistinct(5, s.read)).rows).toEqual([{ t: 1, id: 'a', copy: 2 }, { t: 2, id: 'b' }, { t: 2, id: 'c' }]);
    expect(s.limits).toEqual([5]);
  });

  it('reads again with room for the copies when they ate into the page', async () => {
    const rows = ['a', 'a', 'a', 'b', 'b', 'c', 'd', 'e'].map((id, i) => ({ t: i < 3 ? 1 : i < 5 ? 2 : i, id }));
    const s = source(rows);
    expect(((await readDistinct(4, s.read)).rows).map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(s.limits[0]).toBe(4);
    expect(s.limits.length).toBeGreaterThan(1);
  });

  it('stops when the source has fewer rows than asked for', async () => {
    const s = source([
      { t: 1, id: 'a' },
      { t: 1, id: 'a' },
    ]);
    expect((await readDistinct(3, s.read)).rows).toEqual([{ t: 1, id: 'a' }]);
    expect(s.limits).toEqual([3]);
  });

  it('tells apart rows with the same id at different times', async () => {
    const s = source([
      { t: 1, id: 'a' },
      { t: 2, id: 'a' },
    ]);
    expect((await readDistinct(2, s.read)).rows).toHaveLength(2);
  });

  it('reads two sources with one limit and widens it for the one whose page copies ate into', async () => {
    const up = ['a', 'a', 'b', 'c'].map((id, i) => ({ t: i < 2 ? 1 : i, id }));
    const down = ['x', 'y', 'z', 'w'].map((id, i) => ({ t: i, id }));
    const limits: number[] = [];
    const got = await readDistinct(3, async (limit) => (limits.push(limit), { up: up.slice(0, limit), down: down.slice(0, limit) }));
    expect(got.up.map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(got.down.map((r) => r.id)).toEqual(['x', 'y', 'z']);
    expect(limits).toEqual([3, 5]);
  });
});

describe('inSourceOrder', () => {
  it('leaves rows already in order as they are', () => {
    const rows = [
      { t: 3, id: 'b', r: 9 },
      { t: 3, id: 'b', r: 7 },
      { t: 3, id: 'a', r: 1 },
      { t: 1, id: 'z', r: 1 },
    ];
    expect(inSourceOrder(rows, 'desc')).toBe(rows);
    expect(inSourceOrder(rows, 'desc').map((r) => r.r)).toEqual([9, 7, 1, 1]);
  });

  it('puts interleaved rows back in (t, id) order with the latest received copy first', () => {
    const rows = [
      { t: 2, id: 'a', r: 5 },
      { t: 1, id: 'b', r: 1 },
      { t: 2, id: 'a', r: 8 },
      { t: 1, id: 'a', r: 1 },
    ];
    expect(inSourceOrder([...rows], 'asc').map((r) => `${r.t}${r.id}${r.r}`)).toEqual(['1a1', '1b1', '2a8', '2a5']);
    expect(inSourceOrder([...rows], 'desc').map((r) => `${r.t}${r.id}${r.r}`)).toEqual(['2a8', '2a5', '1b1', '1a1']);
  });

  it('orders rows without a receive time (downlinks) by (t, id) alone', () => {
    expect(inSourceOrder([{ t: 1, id: 'y' }, { t: 1, id: 'x' }, { t: 0, id: 'z' }], 'asc').map((r) => r.id)).toEqual(['z', 'x', 'y']);
  });
});
