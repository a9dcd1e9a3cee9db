import { ValidationError } from '@parley/errors';
import type { Sql } from '../db';
import { guard } from './guard';
import type { AccessLog, AccessRecord } from './types';

interface Row {
  id: string | number;
  device_id: string;
  period_id: string | null;
  at: Date;
  account_id: string;
  kind: string;
  role: string;
  route: string;
  purpose: string;
  grant_id: string | null;
  records: number | null;
}

const toRecord = (r: Row): AccessRecord => ({
  id: String(r.id),
  deviceId: r.device_id,
  periodId: r.period_id,
  at: new Date(r.at),
  accountId: r.account_id,
  kind: r.kind,
  role: r.role,
  route: r.route,
  purpose: r.purpose,
  grantId: r.grant_id,
  records: r.records === null ? null : Number(r.records),
});

export function sqlAccessLog(sql: Sql): AccessLog {
  return {
    async record(e) {
      await guard('record an access', () =>
        sql.query('INSERT INTO access_log (device_id, period_id, account_id, kind, role, route, purpose, grant_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          e.deviceId,
          e.periodId,
          e.accountId,
          e.kind,
          e.role,
          e.route,
          e.purpose,
          e.grantId,
        ]),
      );
    },

    async list(q) {
      if (q.before !== undefined && !/^\d{1,18}$/.test(q.before)) {
        throw new ValidationError('invalid_cursor', 'The cursor is not one this API issued; pass `nextCursor` unchanged.');
      }
      const params: unknown[] = [q.deviceId, q.limit + 1];
      const where = ['device_id = $1'];
      if (q.periodIds) {
        params.push(q.periodIds);
        where.push(`period_id = ANY($${params.length}::text[])`);
      }
      if (q.before !== undefined) {
        params.push(q.before);
        where.push(`id < $${params.length}::bigint`);
      }
      const rows = await guard('read the access log', () =>
        sql.query<Row>(`SELECT * FROM access_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $2`, params),
      );
      const entries = rows.slice(0, q.limit).map(toRecord);
      return { entries, nextCursor: rows.length > q.limit ? entries[entries.length - 1]!.id : null };
    },
  };
}
