import type { Sql } from '../db';
import { guard } from './guard';
import type { Timeline, TimelineEntry, TimelineQuery } from './types';

interface Row {
  id: string | number;
  device_id: string;
  at: Date;
  kind: string;
  actor: string;
  subject_id: string | null;
  body: Record<string, unknown>;
}

/** Zero-padded so that string order equals numeric order (conversation cursors compare ids as strings). */
export const timelineId = (id: string | number | bigint): string => String(id).padStart(19, '0');

const toEntry = (r: Row): TimelineEntry => ({
  id: timelineId(r.id),
  deviceId: r.device_id,
  at: new Date(r.at),
  kind: r.kind,
  actor: r.actor,
  subjectId: r.subject_id,
  body: r.body,
});

/** Appends an entry to a device's timeline, inside the caller's transaction. */
export async function addTimeline(
  tx: Sql,
  e: { deviceId: string; kind: string; actor: string; subjectId?: string | null; body: Record<string, unknown>; at?: Date },
): Promise<void> {
  await tx.query('INSERT INTO timeline (device_id, at, kind, actor, subject_id, body) VALUES ($1, coalesce($2, now()), $3, $4, $5, $6)', [
    e.deviceId,
    e.at ?? null,
    e.kind,
    e.actor,
    e.subjectId ?? null,
    JSON.stringify(e.body),
  ]);
}

export function sqlTimeline(sql: Sql): Timeline {
  return {
    list(q: TimelineQuery): Promise<TimelineEntry[]> {
      const dir = q.order === 'asc' ? 'ASC' : 'DESC';
      const params: unknown[] = [q.deviceId, new Date(q.fromMs), new Date(q.toMs), q.limit];
      let after = '';
      if (q.after) {
        params.push(new Date(q.after.t), q.after.id);
        after = `AND (date_trunc('milliseconds', at), id) ${q.order === 'asc' ? '>' : '<'} ($5, $6::bigint)`;
      }
      return guard('read the timeline', async () =>
        (
          await sql.query<Row>(
            `SELECT id, device_id, at, kind, actor, subject_id, body FROM timeline
             WHERE device_id = $1 AND at >= $2 AND at < $3 ${after}
             ORDER BY date_trunc('milliseconds', at) ${dir}, id ${dir} LIMIT $4`,
            params,
          )
        ).map(toEntry),
      );
    },
  };
}
