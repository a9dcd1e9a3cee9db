import { describe, expect, it } from 'vitest';
import { GroupCommitter } from './group-commit';

function recorder(fail?: (call: number) => boolean) {
  const groups: number[][] = [];
  let next = 0n;
  const write = async (framed: Buffer[]): Promise<bigint> => {
    groups.push(framed.map((b) => b.readUInt8(0)));
    await new Promise((r) => setImmediate(r));
    if (fail?.(groups.length)) throw new Error('disk says no');
    const first = next;
    next += BigInt(framed.length);
    return first;
  };
  return { groups, write };
}

const rec = (tag: number): Buffer => Buffer.from([tag]);

describe('group commit', () => {
  it('writes appends of the same tick as one group and gives each call its own offsets', async () => {
    const r = recorder();
    const gc = new GroupCommitter({ write: r.write, maxGroupBytes: 1 << 20, maxDelayMs: 0 });
    const results = await Promise.all([gc.submit([rec(1)], 1), gc.submit([rec(2), rec(3)], 2), gc.submit([rec(4)], 1)]);
    expect(r.groups).toEqual([[1, 2, 3, 4]]);
    expect(results).toEqual([0n, 1n, 3n]);
  });

  it('queues appends that arrive during a write into the next group', async () => {
    const r = recorder();
    const gc = new GroupCommitter({ write: r.write, maxGroupBytes: 1 << 20, maxDelayMs: 0 });
    const first = gc.submit([rec(1)], 1);
    await new Promise((res) => setImmediate(res)); // the first group is now being written
    const later = [gc.submit([rec(2)], 1), gc.submit([rec(3)], 1)];
    await Promise.all([first, ...later]);
    expect(r.groups).toEqual([[1], [2, 3]]);
  });

  it('rejects every call of a failed group and carries on with the next', async () => {
    const r = recorder((call) => call === 1);
    const gc = new GroupCommitter({ write: r.write, maxGroupBytes: 1 << 20, maxDelayMs: 0 });
    const failed = await Promise.allSettled([gc.submit([rec(1)], 1), gc.submit([rec(2)], 1)]);
    expect(failed.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(await gc.submit([rec(3)], 1)).toBe(0n);
  });

  it('splits groups at maxGroupBytes on call boundaries', async () => {
    const r = recorder();
    const gc = new GroupCommitter({ write: r.write, maxGroupBytes: 2, maxDelayMs: 0 });
    await Promise.all([gc.submit([rec(1)], 1), gc.submit([rec(2)], 1), gc.submit([rec(3), rec(4), rec(5)], 3), gc.submit([rec(6)], 1)]);
    expect(r.groups).toEqual([[1, 2], [3, 4, 5], [6]]);
  });

  it('drain() writes queued appends at once, skipping the gathering delay', async () => {
    const r = recorder();
    const gc = new GroupCommitter({ write: r.write, maxGroupBytes: 1 << 20, maxDelayMs: 60_000 });
    const p = gc.submit([rec(1)], 1);
    await gc.drain();
    expect(await p).toBe(0n);
  });
});
