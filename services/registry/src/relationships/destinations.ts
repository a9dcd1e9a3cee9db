import { randomBytes } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '@parley/errors';
import type { Sql } from '../db';
import type { CreatedDestination, DeadLetterPage, Destination, Destinations, NewDestination, QueuedItem } from './destination-types';
import { validateScope } from './grants';
import { guard } from './guard';
import { newId } from './ids';
import { consentReceipt, insertConsentReceipt, scopeCategories } from './receipts';
import { addTimeline } from './timeline';

const MAX_URL = 2048;
/** MQTT topic names (no wildcards, not `$SYS`-like): what a publisher may use. */
const TOPIC_PATTERN = /^[^+#$\u0000][^+#\u0000]{0,255}$/u;

interface DestinationRow {
  id: string;
  device_id: string;
  period_id: string;
  kind: Destination['kind'];
  name: string;
  purpose: string;
  url: string;
  topic: string | null;
  username: string | null;
  has_password: boolean;
  metrics: string[];
  events: string[];
  created_by: string;
  created_at: Date;
  ended_at: Date | null;
  end_reason: Destination['endReason'];
  receipt_id: string;
  delivered: string | number;
  failed_attempts: string | number;
  dead_lettered: string | number;
  skipped: string | number;
  last_delivered_at: Date | null;
  last_error: string | null;
  last_error_at: Date | null;
  retry_at: Date | null;
  period_ended: boolean;
  pending: string | number;
  dead: string | number;
  oldest_pending_at: Date | null;
}

const SELECT = `SELECT d.id, d.device_id, d.period_id, d.kind, d.name, d.purpose, d.url, d.topic, d.username, (d.password IS NOT NULL) AS has_password,
  d.metrics, d.events, d.created_by, d.created_at, d.ended_at, d.end_reason, d.receipt_id, d.delivered, d.failed_attempts, d.dead_lettered, d.skipped,
  d.last_delivered_at, d.last_error, d.last_error_at, d.retry_at, (p.ended_at IS NOT NULL) AS period_ended,
  (SELECT count(*) FROM destination_outbox o WHERE o.destination_id = d.id AND o.state = 'pending') AS pending,
  (SELECT count(*) FROM destination_outbox o WHERE o.destination_id = d.id AND o.state = 'dead') AS dead,
  (SELECT min(o.received_at) FROM destination_outbox o WHERE o.destination_id = d.id AND o.state = 'pending') AS oldest_pending_at
  FROM destinations d JOIN ownership_periods p ON p.id = d.period_id`;

const dateOrNull = (d: Date | null) => (d ? new Date(d) : null);

function toDestination(r: DestinationRow): Destination {
  return {
    id: r.id,
    deviceId: r.device_id,
    periodId: r.period_id,
    kind: r.kind,
    name: r.name,
    purpose: r.purpose,
    url: r.url,
    topic: r.topic,
    username: r.username,
    hasPassword: r.has_password,
    metrics: r.metrics,
    events: r.events,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
    endedAt: dateOrNull(r.ended_at),
    endReason: r.end_reason,
    receiptId: r.receipt_id,
    status: r.end_reason === 'deleted' ? 'deleted' : r.ended_at || r.period_ended ? 'ended' : 'active',
    delivery: {
      pending: Number(r.pending),
      dead: Number(r.dead),
      oldestPendingAt: dateOrNull(r.oldest_pending_at),
      delivered: Number(r.delivered),
      failedAttempts: Number(r.failed_attempts),
      deadLettered: Number(r.dead_lettered),
      skipped: Number(r.skipped),
      lastDeliveredAt: dateOrNull(r.last_delivered_at),
      lastError: r.last_error,
      lastErrorAt: dateOrNull(r.last_error_at),
      retryAt: dateOrNull(r.retry_at),
    },
  };
}

export interface QueuedRow {
  id: string | number;
  destination_id: string;
  source: string;
  received_at: Date;
  message: Record<string, unknown>;
  state: QueuedItem['state'];
  attempts: number;
  last_error: string | null;
  dead_at: Date | null;
}

export const QUEUED_COLUMNS = 'id, destination_id, source, received_at, message, state, attempts, last_error, dead_at';

export const toQueued = (r: QueuedRow): QueuedItem => ({
  id: String(r.id),
  destinationId: r.destination_id,
  source: r.source,
  receivedAt: new Date(r.received_at),
  message: r.message,
  state: r.state,
  attempts: r.attempts,
  lastError: r.last_error,
  deadAt: dateOrNull(r.dead_at),
});

/** The host a destination sends to, for the timeline and receipts (never the path: it may hold a token). */
export function destinationHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

function validate(d: NewDestination): { name: string; purpose: string; metrics: string[]; events: string[] } {
  if (d.kind !== 'webhook' && d.kind !== 'mqtt') throw new ValidationError('invalid_destination', '"kind" is "webhook" or "mqtt".');
  const name = d.name.trim();
  if (name.length < 1 || name.length > 80) throw new ValidationError('invalid_destination', 'Name the destination in 1 to 80 characters.');
  const purpose = (d.purpose ?? `push my device's data to ${name}`).trim();
  if (purpose.length < 3 || purpose.length > 200) throw new ValidationError('invalid_purpose', 'State the purpose of the destination in 3 to 200 characters.');
  if (d.url.length > MAX_URL) throw new ValidationError('invalid_destination_url', `The URL is longer than ${MAX_URL} characters.`);
  if (d.kind === 'webhook' && (d.topic !== undefined || d.username !== undefined || d.password !== undefined)) {
    throw new ValidationError('invalid_destination', 'A webhook takes no "topic", "username" or "password" (requests are signed with the secret returned on creation).');
  }
  if (d.kind === 'mqtt') {
    if (d.topic === undefined || !TOPIC_PATTERN.test(d.topic)) {
      throw new ValidationError('invalid_topic', 'An MQTT destination needs a "topic" of 1 to 256 characters without wildcards (+, #) that does not start with $.');
    }
    if ((d.username?.length ?? 0) > 256 || (d.password?.length ?? 0) > 1024) throw new ValidationError('invalid_destination', 'The username (≤ 256) or password (≤ 1024 characters) is too long.');
    if (d.password !== undefined && d.username === undefined) throw new ValidationError('invalid_destination', 'A "password" needs a "username".');
  }
  return { name, purpose, ...validateScope('A destination', d.metrics, d.events, 'invalid_destination_scope') };
}

/** The consent receipt of a destination: the owner's data, sent where the owner chose. */
function destinationReceipt(id: string, d: Destination, ownerId: string): Record<string, unknown> {
  const host = destinationHost(d.url);
  return consentReceipt({
    receiptId: id,
    at: d.createdAt,
    ownerId,
    collectionMethod: 'Parley owner API: destination created by the owner',
    service: `push of device ${d.deviceId}'s data (${d.kind}) to ${host}`,
    purpose: d.purpose,
    purposeCategory: 'disclosure to a destination chosen by the owner',
    piiCategory: scopeCategories(d.metrics, d.events),
    termination: 'when the owner deletes the destination or the ownership period ends',
    thirdPartyName: `${d.name} (${host})`,
    parley: {
      destinationId: d.id,
      deviceId: d.deviceId,
      periodId: d.periodId,
      kind: d.kind,
      host,
      ...(d.topic ? { topic: d.topic } : {}),
      metrics: d.metrics,
      events: d.events,
      dataFrom: d.createdAt.toISOString(),
      revocable: 'at any time, effective immediately (DELETE /v1/destinations/{id})',
    },
  });
}

/**
 * Ends every open destination of a period when the period ends (transfer, release, erasure), inside
 * the caller's transaction. The timeline entry is placed 1 ms before the end so that it falls in
 * the ending period — the next owner's window starts at the end and must not show it.
 */
export async function endDestinationsOfPeriod(tx: Sql, periodId: string, actorId: string): Promise<void> {
  const ended = await tx.query<{ id: string; device_id: string; name: string; ended_at: Date }>(
    `UPDATE destinations d SET ended_at = p.ended_at, end_reason = 'period_ended', lease_until = NULL
     FROM ownership_periods p WHERE d.period_id = $1 AND p.id = d.period_id AND d.ended_at IS NULL AND p.ended_at IS NOT NULL
     RETURNING d.id, d.device_id, d.name, d.ended_at`,
    [periodId],
  );
  for (const d of ended) {
    await addTimeline(tx, {
      deviceId: d.device_id,
      kind: 'destination_ended',
      actor: actorId,
      subjectId: d.id,
      at: new Date(new Date(d.ended_at).getTime() - 1),
      body: { destinationId: d.id, name: d.name, reason: 'period_ended' },
    });
  }
}

export function sqlDestinations(sql: Sql): Destinations {
  async function one(tx: Sql, id: string): Promise<Destination | null> {
    const rows = await tx.query<DestinationRow>(`${SELECT} WHERE d.id = $1`, [id]);
    return rows[0] ? toDestination(rows[0]) : null;
  }

  return {
    async create(input): Promise<CreatedDestination> {
      const { name, purpose, metrics, events } = validate(input);
      const secret = input.kind === 'webhook' ? `whsec_${randomBytes(32).toString('base64url')}` : null;
      return guard('create a destination', () =>
        sql.transaction(async (tx) => {
          const [period] = await tx.query<{ device_id: string; owner_id: string }>('SELECT device_id, owner_id FROM ownership_periods WHERE id = $1 AND ended_at IS NULL', [input.periodId]);
          if (!period) throw new ConflictError('period_ended', 'You no longer own this device; destinations can only be set up during your ownership.');
          const id = newId('dst');
          const receiptId = newId('rcpt');
          await tx.query(
            `INSERT INTO destinations (id, device_id, period_id, kind, name, purpose, url, topic, username, password, secret, metrics, events, created_by, receipt_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
            [id, period.device_id, input.periodId, input.kind, name, purpose, input.url, input.topic ?? null, input.username ?? null, input.password ?? null, secret, metrics, events, input.createdBy, receiptId],
          );
          const destination = (await one(tx, id))!;
          const receipt = await insertConsentReceipt(tx, {
            id: receiptId,
            deviceId: destination.deviceId,
            periodId: destination.periodId,
            granteeId: null,
            body: destinationReceipt(receiptId, destination, period.owner_id),
          });
          await addTimeline(tx, {
            deviceId: destination.deviceId,
            kind: 'destination_created',
            actor: input.createdBy,
            subjectId: id,
            body: { destinationId: id, name, kind: input.kind, host: destinationHost(input.url), metrics, events, purpose },
          });
          return { destination, receipt, secret };
        }),
      );
    },

    get(id) {
      return guard('read a destination', () => one(sql, id));
    },

    async ofPeriod(periodId) {
      const rows = await guard('list destinations', () => sql.query<DestinationRow>(`${SELECT} WHERE d.period_id = $1 ORDER BY d.created_at DESC, d.id`, [periodId]));
      return rows.map(toDestination);
    },

    remove(id, actorId) {
      return guard('delete a destination', () =>
        sql.transaction(async (tx) => {
          const [row] = await tx.query<{ device_id: string; name: string }>(
            `UPDATE destinations SET ended_at = now(), end_reason = 'deleted', lease_until = NULL WHERE id = $1 AND ended_at IS NULL RETURNING device_id, name`,
            [id],
          );
          if (row) {
            await tx.query('DELETE FROM destination_outbox WHERE destination_id = $1', [id]);
            await addTimeline(tx, { deviceId: row.device_id, kind: 'destination_ended', actor: actorId, subjectId: id, body: { destinationId: id, name: row.name, reason: 'deleted' } });
          }
          const destination = await one(tx, id);
          if (!destination) throw new NotFoundError('destination_not_found', `No destination "${id}".`);
          return destination;
        }),
      );
    },

    async deadLetters(q): Promise<DeadLetterPage> {
      if (q.before !== undefined && !/^\d{1,18}$/.test(q.before)) {
        throw new ValidationError('invalid_cursor', 'The cursor is not one this API issued; pass `nextCursor` unchanged.');
      }
      const rows = await guard('read dead letters', () =>
        sql.query<QueuedRow>(
          `SELECT ${QUEUED_COLUMNS} FROM destination_outbox WHERE destination_id = $1 AND state = 'dead' ${q.before !== undefined ? 'AND id < $3::bigint' : ''}
           ORDER BY id DESC LIMIT $2`,
          q.before !== undefined ? [q.destinationId, q.limit + 1, q.before] : [q.destinationId, q.limit + 1],
        ),
      );
      const items = rows.slice(0, q.limit).map(toQueued);
      return { items, nextCursor: rows.length > q.limit ? items[items.length - 1]!.id : null };
    },

    async replay(destinationId, ids) {
      if (ids !== undefined && (ids.length === 0 || ids.length > 1000 || ids.some((i) => !/^\d{1,18}$/.test(i)))) {
        throw new ValidationError('invalid_dead_letter_ids', '"ids" lists 1 to 1000 dead-letter ids from the dead-letter list (or omit it to replay all).');
      }
      return guard('replay dead letters', () =>
        sql.transaction(async (tx) => {
          const rows = await tx.query<{ n: string | number }>(
            `WITH r AS (UPDATE destination_outbox SET state = 'pending', attempts = 0, last_error = NULL, dead_at = NULL
               WHERE destination_id = $1 AND state = 'dead' ${ids ? 'AND id = ANY($2::bigint[])' : ''} RETURNING 1)
             SELECT count(*) AS n FROM r`,
            ids ? [destinationId, ids] : [destinationId],
          );
          // Replayed records go first (they are older); no waiting out an earlier backoff.
          await tx.query('UPDATE destinations SET retry_at = NULL WHERE id = $1', [destinationId]);
          return Number(rows[0]!.n);
        }),
      );
    },
  };
}
