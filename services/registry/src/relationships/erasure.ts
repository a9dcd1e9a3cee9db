import { ConflictError, NotFoundError } from '@parley/errors';
import type { Sql } from '../db';
import { endDestinationsOfPeriod } from './destinations';
import { guard } from './guard';
import { PERIOD_COLUMNS, toPeriod, type PeriodRow } from './ownership';
import { addTimeline } from './timeline';
import type { Erasure, OwnershipPeriod } from './types';

/**
 * Erasure of one ownership period on the registry's side: the period is ended (if still open) and
 * marked erased; everything recorded about the household during it is deleted — reads of it
 * (access log), its grants and their consent receipts, its commands and policies, the
 * manufacturer's inferences, the owner's notes, votes, comments and proposed ideas, and the
 * relationship timeline of its window — and the household's
 * display name goes when no other period remains. The caller deletes the telemetry (store) and
 * issues the deletion receipt.
 */
export function sqlErasure(sql: Sql): Erasure {
  return {
    end(periodId, actorId) {
      return guard('end a period for erasure', () =>
        sql.transaction(async (tx) => {
          const [row] = await tx.query<{ device_id: string }>(
            `UPDATE ownership_periods SET ended_at = now(), end_reason = 'erased' WHERE id = $1 AND ended_at IS NULL RETURNING device_id`,
            [periodId],
          );
          if (row) {
            await tx.query('UPDATE transfer_codes SET expires_at = least(expires_at, now()) WHERE period_id = $1 AND used_at IS NULL', [periodId]);
            await endDestinationsOfPeriod(tx, periodId, actorId);
            await addTimeline(tx, { deviceId: row.device_id, kind: 'period_erased', actor: actorId, subjectId: periodId, body: { periodId } });
          }
          return periodOf(tx, periodId);
        }),
      );
    },

    erase(periodId) {
      return guard('erase a period', () =>
        sql.transaction(async (tx) => {
          const period = await periodOf(tx, periodId);
          if (!period.endedAt) throw new ConflictError('period_open', 'End the period before erasing it.');
          const [from, to] = [period.startedAt, period.endedAt];
          const count = async (text: string, params: unknown[]) => (await tx.query<{ n: string | number }>(`WITH d AS (${text} RETURNING 1) SELECT count(*) AS n FROM d`, params))[0]!.n;
          const counts: Record<string, number> = {};
          counts['access_log'] = Number(await count('DELETE FROM access_log WHERE period_id = $1', [periodId]));
          counts['timeline'] = Number(await count('DELETE FROM timeline WHERE device_id = $1 AND at >= $2 AND at < $3', [period.deviceId, from, to]));
          await tx.query('DELETE FROM inference_notes WHERE inference_id IN (SELECT id FROM inferences WHERE device_id = $1 AND created_at >= $2 AND created_at < $3)', [period.deviceId, from, to]);
          counts['inferences'] = Number(await count('DELETE FROM inferences WHERE device_id = $1 AND created_at >= $2 AND created_at < $3', [period.deviceId, from, to]));
          // The owner's voice in the period: notes (their versions and replies go with them),
          // votes, comments, and ideas proposed from it (with everyone's votes and comments on them).
          counts['notes'] = Number(await count('DELETE FROM notes WHERE period_id = $1', [periodId]));
          counts['idea_votes'] = Number(await count('DELETE FROM idea_votes WHERE period_id = $1', [periodId]));
          counts['idea_comments'] = Number(await count('DELETE FROM idea_comments WHERE period_id = $1', [periodId]));
          counts['ideas'] = Number(await count('DELETE FROM ideas WHERE period_id = $1', [periodId]));
          await tx.query('DELETE FROM command_policies WHERE period_id = $1', [periodId]);
          counts['commands'] = Number(await count('DELETE FROM commands WHERE period_id = $1', [periodId]));
          counts['grants'] = Number(await count('DELETE FROM grants WHERE period_id = $1', [periodId]));
          // Destinations and their queues and dead letters (the outbox rows go with them: ON DELETE CASCADE).
          counts['destinations'] = Number(await count('DELETE FROM destinations WHERE period_id = $1', [periodId]));
          counts['consent_receipts'] = Number(await count(`DELETE FROM receipts WHERE period_id = $1 AND kind = 'consent'`, [periodId]));
          await tx.query('DELETE FROM transfer_codes WHERE period_id = $1', [periodId]);
          await tx.query('UPDATE ownership_periods SET erased_at = now() WHERE id = $1', [periodId]);
          await tx.query(
            `UPDATE owners SET display_name = NULL WHERE id = $1
             AND NOT EXISTS (SELECT 1 FROM ownership_periods WHERE owner_id = $1 AND erased_at IS NULL)`,
            [period.ownerId],
          );
          return { period: await periodOf(tx, periodId), counts };
        }),
      );
    },
  };
}

async function periodOf(tx: Sql, periodId: string): Promise<OwnershipPeriod> {
  const [r] = await tx.query<PeriodRow>(`SELECT ${PERIOD_COLUMNS} FROM ownership_periods WHERE id = $1`, [periodId]);
  if (!r) throw new NotFoundError('period_not_found', `No ownership period "${periodId}".`);
  return toPeriod(r);
}
