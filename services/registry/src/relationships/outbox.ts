import type { Sql } from '../db';
import type { DeliveryTarget, Outbox } from './destination-types';
import { QUEUED_COLUMNS, toQueued, type QueuedRow } from './destinations';
import { guard } from './guard';

interface TargetRow {
  id: string;
  device_id: string;
  period_id: string;
  kind: DeliveryTarget['kind'];
  name: string;
  url: string;
  topic: string | null;
  username: string | null;
  password: string | null;
  secret: string | null;
  metrics: string[];
  events: string[];
  from_at: Date;
  to_at: Date | null;
}

// The window a destination may receive: from its creation (inside the period) until it or its
// period ended, whichever came first (least() skips nulls).
const TARGET_COLUMNS = `d.id, d.device_id, d.period_id, d.kind, d.name, d.url, d.topic, d.username, d.password, d.secret, d.metrics, d.events,
  greatest(d.created_at, p.started_at) AS from_at, least(d.ended_at, p.ended_at) AS to_at`;

const toTarget = (r: TargetRow): DeliveryTarget => ({
  id: r.id,
  deviceId: r.device_id,
  periodId: r.period_id,
  kind: r.kind,
  name: r.name,
  url: r.url,
  topic: r.topic,
  username: r.username,
  password: r.password,
  secret: r.secret,
  metrics: r.metrics,
  events: r.events,
  fromMs: new Date(r.from_at).getTime(),
  toMs: r.to_at ? new Date(r.to_at).getTime() : null,
});

/** How long deliveries to one destination are gathered into one access-log row. */
const ACCESS_LOG_WINDOW_SECONDS = 60;

/**
 * The delivery role's side of the outbox: which destinations want a device's records, queueing
 * them (idempotent per log position), leasing a destination to one worker, and settling attempts.
 */
export function sqlOutbox(sql: Sql): Outbox {
  return {
    async targets(deviceIds, sinceMs) {
      if (deviceIds.length === 0) return [];
      const rows = await guard('find destinations', () =>
        sql.query<TargetRow>(
          `SELECT ${TARGET_COLUMNS} FROM destinations d JOIN ownership_periods p ON p.id = d.period_id
           WHERE d.device_id = ANY($1::text[]) AND (d.ended_at IS NULL OR d.ended_at > $2) AND p.erased_at IS NULL`,
          [deviceIds, new Date(sinceMs)],
        ),
      );
      return rows.map(toTarget);
    },

    async enqueue(items, maxPending) {
      if (items.length === 0) return 0;
      return guard('queue records for destinations', () =>
        sql.transaction(async (tx) => {
          const ids = [...new Set(items.map((i) => i.destinationId))];
          const counts = await tx.query<{ destination_id: string; n: string | number }>(
            `SELECT destination_id, count(*) AS n FROM destination_outbox WHERE destination_id = ANY($1::text[]) AND state = 'pending' GROUP BY destination_id`,
            [ids],
          );
          const room = new Map(ids.map((id) => [id, maxPending]));
          for (const c of counts) room.set(c.destination_id, Math.max(0, maxPending - Number(c.n)));
          const accepted = [];
          const skipped = new Map<string, number>();
          for (const item of items) {
            const left = room.get(item.destinationId)!;
            if (left > 0) {
              room.set(item.destinationId, left - 1);
              accepted.push(item);
            } else skipped.set(item.destinationId, (skipped.get(item.destinationId) ?? 0) + 1);
          }
          for (const [id, n] of skipped) await tx.query('UPDATE destinations SET skipped = skipped + $2 WHERE id = $1', [id, n]);
          if (accepted.length === 0) return 0;
          const [row] = await tx.query<{ n: string | number }>(
            `WITH i AS (
               INSERT INTO destination_outbox (destination_id, source, received_at, message)
               SELECT d, s, to_timestamp(r / 1000.0), m::jsonb FROM unnest($1::text[], $2::text[], $3::float8[], $4::text[]) WITH ORDINALITY AS x(d, s, r, m, n)
               ORDER BY n
               ON CONFLICT (destination_id, source) DO NOTHING RETURNING 1)
             SELECT count(*) AS n FROM i`,
            [accepted.map((i) => i.destinationId), accepted.map((i) => i.source), accepted.map((i) => i.receivedAt.getTime()), accepted.map((i) => JSON.stringify(i.message))],
          );
          return Number(row!.n);
        }),
      );
    },

    async claim(workerId, leaseMs, limit) {
      const rows = await guard('lease destinations', () =>
        sql.query<TargetRow>(
          `WITH due AS (
             SELECT d.id FROM destinations d
             WHERE (d.lease_until IS NULL OR d.lease_until < now() OR d.lease_owner = $1)
               AND (d.retry_at IS NULL OR d.retry_at <= now())
               AND EXISTS (SELECT 1 FROM destination_outbox o WHERE o.destination_id = d.id AND o.state = 'pending')
             ORDER BY d.retry_at NULLS FIRST, d.id LIMIT $3 FOR UPDATE OF d SKIP LOCKED),
           leased AS (
             UPDATE destinations d SET lease_owner = $1, lease_until = now() + make_interval(secs => $2) FROM due WHERE d.id = due.id RETURNING d.*)
           SELECT ${TARGET_COLUMNS} FROM leased d JOIN ownership_periods p ON p.id = d.period_id`,
          [workerId, leaseMs / 1000, limit],
        ),
      );
      return rows.map(toTarget);
    },

    async head(destinationId, limit) {
      const rows = await guard('read a destination queue', () =>
        sql.query<QueuedRow>(`SELECT ${QUEUED_COLUMNS} FROM destination_outbox WHERE destination_id = $1 AND state = 'pending' ORDER BY id LIMIT $2`, [destinationId, limit]),
      );
      return rows.map(toQueued);
    },

    delivered(target, ids) {
      return guard('settle a delivery', () =>
        sql.transaction(async (tx) => {
          const [row] = await tx.query<{ n: string | number }>(
            `WITH d AS (DELETE FROM destination_outbox WHERE destination_id = $1 AND id = ANY($2::bigint[]) RETURNING 1) SELECT count(*) AS n FROM d`,
            [target.id, ids],
          );
          const n = Number(row!.n);
          if (n === 0) return; // deleted meanwhile (the owner removed the destination)
          await tx.query('UPDATE destinations SET delivered = delivered + $2, last_delivered_at = now(), retry_at = NULL WHERE id = $1', [target.id, n]);
          // One access-log row per destination and minute, counting the records sent in it.
          await tx.query(
            `WITH last AS (
               SELECT id FROM access_log WHERE device_id = $1 AND account_id = $2 AND at > now() - make_interval(secs => $7) ORDER BY id DESC LIMIT 1),
             upd AS (UPDATE access_log a SET records = coalesce(a.records, 0) + $3 FROM last WHERE a.id = last.id RETURNING a.id)
             INSERT INTO access_log (device_id, period_id, account_id, kind, role, route, purpose, grant_id, records)
             SELECT $1, $4, $2, 'destination', $5, 'delivery', $6, NULL, $3 WHERE NOT EXISTS (SELECT 1 FROM upd)`,
            [target.deviceId, target.id, n, target.periodId, target.kind, `sent to ${target.name}`, ACCESS_LOG_WINDOW_SECONDS],
          );
        }),
      );
    },

    failed(destinationId, ids, f) {
      return guard('settle a failed delivery', () =>
        sql.transaction(async (tx) => {
          const rows = await tx.query<{ state: string }>(
            `UPDATE destination_outbox SET attempts = attempts + 1, last_error = $3,
               state = CASE WHEN $4::boolean OR attempts + 1 >= $5 THEN 'dead' ELSE state END,
               dead_at = CASE WHEN $4::boolean OR attempts + 1 >= $5 THEN now() ELSE dead_at END
             WHERE destination_id = $1 AND id = ANY($2::bigint[]) AND state = 'pending' RETURNING state`,
            [destinationId, ids, f.error, f.permanent, f.maxAttempts],
          );
          const dead = rows.filter((r) => r.state === 'dead').length;
          await tx.query(
            `UPDATE destinations SET failed_attempts = failed_attempts + 1, dead_lettered = dead_lettered + $2, last_error = $3, last_error_at = now(), retry_at = $4 WHERE id = $1`,
            [destinationId, dead, f.error, f.retryAt],
          );
          return dead;
        }),
      );
    },

    async release(destinationId, workerId) {
      await guard('release a destination', () => sql.query('UPDATE destinations SET lease_owner = NULL, lease_until = NULL WHERE id = $1 AND lease_owner = $2', [destinationId, workerId]));
    },

    async totals() {
      const rows = await guard('count queued records', () => sql.query<{ state: string; n: string | number }>('SELECT state, count(*) AS n FROM destination_outbox GROUP BY state'));
      const of = (s: string) => Number(rows.find((r) => r.state === s)?.n ?? 0);
      return { pending: of('pending'), dead: of('dead') };
    },
  };
}
