import { describe, expect, it } from 'vitest';
import { planRetention, type RetentionSegment } from './retention';

const NOW = 10_000_000;
/** Four segments of 100 bytes: bases 0, 10, 20, 30 (the last is active); mtimes oldest first. */
const segments: RetentionSegment[] = [0, 10, 20, 30].map((base, i) => ({ base: BigInt(base), size: 100, mtimeMs: NOW - (4 - i) * 1000 }));

describe('retention plan', () => {
  it('does nothing without a policy', () => {
    expect(planRetention(segments, new Map(), {}, NOW).delete).toEqual([]);
  });

  it('deletes oldest segments until the total fits maxBytes, never the active one', () => {
    expect(planRetention(segments, new Map(), { maxBytes: 250 }, NOW).delete).toEqual([0n, 10n]);
    expect(planRetention(segments, new Map(), { maxBytes: 0 }, NOW).delete).toEqual([0n, 10n, 20n]);
  });

  it('deletes segments older than maxAgeMs, only from the front', () => {
    expect(planRetention(segments, new Map(), { maxAgeMs: 2500 }, NOW).delete).toEqual([0n, 10n]);
  });

  it('holds back at the first segment a group has not committed past', () => {
    const plan = planRetention(segments, new Map([['ingester', 15n], ['done', 30n]]), { maxBytes: 0 }, NOW);
    expect(plan.delete).toEqual([0n]);
    expect(plan.heldBack).toEqual({ base: 10n, groups: ['ingester'], reason: 'size' });
  });

  it('counts a segment as consumed once the group reached the next segment base', () => {
    expect(planRetention(segments, new Map([['g', 20n]]), { maxBytes: 0 }, NOW).delete).toEqual([0n, 10n]);
  });

  it('deletes unconsumed segments with deleteUnconsumed and names the groups that lose records', () => {
    const plan = planRetention(segments, new Map([['ingester', 5n]]), { maxBytes: 0, deleteUnconsumed: true }, NOW);
    expect(plan.delete).toEqual([0n, 10n, 20n]);
    expect(plan.heldBack).toBeNull();
    expect(plan.skippedGroups).toEqual(['ingester']);
  });
});
