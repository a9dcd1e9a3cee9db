/** Retention settings of the file log. */
export interface RetentionOptions {
  /** Delete the oldest closed segments while all segments together exceed this many bytes. */
  maxBytes?: number;
  /** Delete closed segments whose last write is older than this. */
  maxAgeMs?: number;
  /**
   * Allow deleting segments that a known consumer group has not committed past yet (that group
   * then skips those records). Default false: the data is kept and a warning is logged, because
   * for Parley losing unread telemetry is worse than using more disk.
   */
  deleteUnconsumed?: boolean;
  /** How often retention runs besides on every segment roll. Default 60 s. */
  checkIntervalMs?: number;
}

export interface RetentionSegment {
  base: bigint;
  size: number;
  mtimeMs: number;
}

export interface RetentionPlan {
  /** Base offsets of the segments to delete, oldest first (always a prefix of the log). */
  delete: bigint[];
  /** Set when a segment was due for deletion but a consumer group still needs it. */
  heldBack: { base: bigint; groups: string[]; reason: 'size' | 'age' } | null;
  /** Groups that lose records because deleteUnconsumed allowed deleting what they had not read. */
  skippedGroups: string[];
}

/**
 * Decides which segments to delete. Pure, so the policy is unit-tested without files.
 *
 * Only whole, closed segments go (never the last, active one), and only from the front, so the
 * retained log stays one contiguous range of offsets. A segment's records end where the next
 * segment begins; a group has consumed a segment once its committed next offset reached the next
 * segment's base. `groups` maps every known group (committed offsets and running consumers) to
 * the next offset it will read.
 */
export function planRetention(
  segments: readonly RetentionSegment[],
  groups: ReadonlyMap<string, bigint>,
  policy: RetentionOptions,
  now: number,
): RetentionPlan {
  const plan: RetentionPlan = { delete: [], heldBack: null, skippedGroups: [] };
  if (policy.maxBytes === undefined && policy.maxAgeMs === undefined) return plan;
  let total = 0;
  for (const s of segments) total += s.size;
  const skipped = new Set<string>();

  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i]!;
    const nextBase = segments[i + 1]!.base;
    const overSize = policy.maxBytes !== undefined && total > policy.maxBytes;
    const tooOld = policy.maxAgeMs !== undefined && now - segment.mtimeMs > policy.maxAgeMs;
    if (!overSize && !tooOld) break;
    const behind = [...groups].filter(([, next]) => next < nextBase).map(([g]) => g);
    if (behind.length > 0) {
      if (!policy.deleteUnconsumed) {
        plan.heldBack = { base: segment.base, groups: behind.sort(), reason: overSize ? 'size' : 'age' };
        break;
      }
      for (const g of behind) skipped.add(g);
    }
    plan.delete.push(segment.base);
    total -= segment.size;
  }
  plan.skippedGroups = [...skipped].sort();
  return plan;
}
