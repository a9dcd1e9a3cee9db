import type { Sql } from '../db';
import type { CohortBreakdown, CohortGroup, Tally } from './voice-types';

/**
 * k-anonymous vote counts. The unit behind a vote is the household (one household owning k
 * devices must not make a group "k-anonymous" on its own), so every floor counts distinct
 * households. As in the fleet queries, a group below k is suppressed and only counted; because the
 * idea's total is shown as well, a suppressed group could be recovered by subtraction, so:
 * - by firmware (a partition of the votes): suppressed groups and the votes of households that
 *   opted out of fleet analytics (their device's attributes are not used) are merged into one
 *   `other` group; while `other` has fewer than k households, the smallest shown group joins it.
 * - by tag (a device may have several): a tag is shown only when both it and the rest of the votes
 *   have 0 or at least k households.
 */

interface Counts {
  up: number;
  down: number;
  households: number;
}

const COUNTS = `count(*) FILTER (WHERE v.value = 'up') AS up, count(*) FILTER (WHERE v.value = 'down') AS down, count(DISTINCT v.owner_id) AS households`;
const FROM = 'FROM idea_votes v JOIN ownership_periods p ON p.id = v.period_id WHERE v.idea_id = $1';

type CountRow = { up: string | number; down: string | number; households: string | number };
const counts = (r: CountRow | undefined): Counts => ({ up: Number(r?.up ?? 0), down: Number(r?.down ?? 0), households: Number(r?.households ?? 0) });

/** Shown when no household voted or at least k did. */
export function toTally(c: Counts, k: number): Tally {
  const suppressed = c.households > 0 && c.households < k;
  return { up: suppressed ? null : c.up, down: suppressed ? null : c.down, suppressed };
}

/** Totals per idea (one query for a page of ideas). */
export async function tallies(db: Sql, ideaIds: string[], k: number): Promise<Map<string, Tally>> {
  const rows = ideaIds.length === 0 ? [] : await db.query<CountRow & { idea_id: string }>(`SELECT v.idea_id, ${COUNTS} FROM idea_votes v WHERE v.idea_id = ANY($1::text[]) GROUP BY v.idea_id`, [ideaIds]);
  return new Map(ideaIds.map((id) => [id, toTally(counts(rows.find((r) => r.idea_id === id)), k)]));
}

export async function cohortBreakdown(db: Sql, ideaId: string, by: 'firmware' | 'tag', k: number): Promise<CohortBreakdown> {
  const total = counts((await db.query<CountRow>(`SELECT ${COUNTS} ${FROM}`, [ideaId]))[0]);
  const tally = toTally(total, k);
  const base = { by, minHouseholds: k, tally };
  const groupRows =
    by === 'firmware'
      ? await db.query<CountRow & { cohort: string }>(`SELECT v.firmware AS cohort, ${COUNTS} ${FROM} AND p.fleet_analytics GROUP BY 1 ORDER BY 1`, [ideaId])
      : await db.query<CountRow & { cohort: string }>(
          `SELECT t.tag AS cohort, ${COUNTS}
           FROM idea_votes v JOIN ownership_periods p ON p.id = v.period_id CROSS JOIN LATERAL unnest(v.tags) AS t(tag)
           WHERE v.idea_id = $1 AND p.fleet_analytics GROUP BY 1 ORDER BY 1`,
          [ideaId],
        );
  const groups: CohortGroup[] = groupRows.map((r) => ({ cohort: r.cohort, ...counts(r) }));
  if (tally.suppressed) return { ...base, groups: [], other: null, suppressedGroups: groups.length };

  if (by === 'tag') {
    const shown: CohortGroup[] = [];
    for (const g of groups) {
      if (g.households < k) continue;
      const rest = counts((await db.query<CountRow>(`SELECT ${COUNTS} ${FROM} AND NOT (p.fleet_analytics AND $2 = ANY(v.tags))`, [ideaId, g.cohort]))[0]);
      if (rest.households === 0 || rest.households >= k) shown.push(g);
    }
    return { ...base, groups: shown, other: null, suppressedGroups: groups.length - shown.length };
  }

  let shown = groups.filter((g) => g.households >= k);
  const otherOf = async () =>
    counts((await db.query<CountRow>(`SELECT ${COUNTS} ${FROM} AND NOT (p.fleet_analytics AND v.firmware = ANY($2::text[]))`, [ideaId, shown.map((g) => g.cohort)]))[0]);
  let other = await otherOf();
  while (other.households > 0 && other.households < k && shown.length > 0) {
    const smallest = [...shown].sort((a, b) => a.households - b.households || a.cohort.localeCompare(b.cohort))[0]!;
    shown = shown.filter((g) => g !== smallest);
    other = await otherOf();
  }
  const otherShown = other.households === 0 || other.households >= k;
  return {
    ...base,
    groups: shown,
    other: other.households > 0 && otherShown ? { cohort: 'other', ...other } : null,
    suppressedGroups: groups.length - shown.length,
  };
}
