import { ConflictError, NotFoundError, ValidationError } from '@parley/errors';
import type { Sql } from '../db';
import { guard } from './guard';
import { newId } from './ids';
import { consentReceipt, insertConsentReceipt, scopeCategories, toReceipt, type ReceiptRow } from './receipts';
import { addTimeline } from './timeline';
import type { Grant, Grants, NewGrant } from './types';

/** Metric names and event codes a grant may list; `*` means all of that kind. */
const NAME_PATTERN = /^(\*|[a-z][a-z0-9_.]{0,63})$/i;
const MAX_NAMES = 100;
const MAX_GRANT_DAYS = 366 * 2;

interface GrantRow {
  id: string;
  device_id: string;
  period_id: string;
  grantee_id: string;
  metrics: string[];
  events: string[];
  data_from: Date | null;
  data_to: Date | null;
  expires_at: Date;
  purpose: string;
  created_by: string;
  created_at: Date;
  revoked_at: Date | null;
  receipt_id: string;
  period_ended: boolean;
}

const SELECT = `SELECT g.id, g.device_id, g.period_id, g.grantee_id, g.metrics, g.events, g.data_from, g.data_to, g.expires_at, g.purpose,
  g.created_by, g.created_at, g.revoked_at, g.receipt_id, (p.ended_at IS NOT NULL) AS period_ended
  FROM grants g JOIN ownership_periods p ON p.id = g.period_id`;

function toGrant(r: GrantRow, now = Date.now()): Grant {
  const expiresAt = new Date(r.expires_at);
  return {
    id: r.id,
    deviceId: r.device_id,
    periodId: r.period_id,
    granteeId: r.grantee_id,
    metrics: r.metrics,
    events: r.events,
    dataFrom: r.data_from ? new Date(r.data_from) : null,
    dataTo: r.data_to ? new Date(r.data_to) : null,
    expiresAt,
    purpose: r.purpose,
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
    revokedAt: r.revoked_at ? new Date(r.revoked_at) : null,
    receiptId: r.receipt_id,
    status: r.revoked_at ? 'revoked' : r.period_ended ? 'ended' : expiresAt.getTime() <= now ? 'expired' : 'active',
  };
}

function validateNames(field: string, names: string[], code: string): string[] {
  if (!Array.isArray(names) || names.length > MAX_NAMES || names.some((n) => typeof n !== 'string' || !NAME_PATTERN.test(n))) {
    throw new ValidationError(code, `"${field}" is a list of up to ${MAX_NAMES} metric names / event codes (letters, digits, _ and .), or ["*"] for all.`);
  }
  return [...new Set(names)].sort();
}

/**
 * A grant-shaped scope (metric names and event codes, `*` = all of that kind), checked, de-duplicated
 * and sorted; at least one entry. Grants and destinations share it; `code` is the error code.
 */
export function validateScope(what: string, metrics: string[], events: string[], code = 'invalid_grant_scope'): { metrics: string[]; events: string[] } {
  const scope = { metrics: validateNames('metrics', metrics, code), events: validateNames('events', events, code) };
  if (scope.metrics.length === 0 && scope.events.length === 0) {
    throw new ValidationError(code, `${what} must name at least one metric or event code (use ["*"] for all).`);
  }
  return scope;
}

function validate(g: NewGrant, now: number): void {
  const purpose = g.purpose.trim();
  if (purpose.length < 3 || purpose.length > 200) throw new ValidationError('invalid_purpose', 'State the purpose of the grant in 3 to 200 characters.');
  const exp = g.expiresAt.getTime();
  if (!Number.isFinite(exp) || exp <= now || exp > now + MAX_GRANT_DAYS * 86_400_000) {
    throw new ValidationError('invalid_expiry', `"expiresAt" must be in the future and at most ${MAX_GRANT_DAYS} days ahead.`);
  }
  if (g.dataFrom && g.dataTo && g.dataFrom.getTime() >= g.dataTo.getTime()) {
    throw new ValidationError('invalid_range', '"dataFrom" must be before "dataTo".');
  }
}

/** The consent receipt of a grant (see `consentReceipt`). */
function grantReceipt(id: string, grant: Grant, ownerId: string, granteeName: string | null, at: Date): Record<string, unknown> {
  return consentReceipt({
    receiptId: id,
    at,
    ownerId,
    collectionMethod: 'Parley owner API: grant created by the owner',
    service: `read access to device ${grant.deviceId}`,
    purpose: grant.purpose,
    purposeCategory: 'third-party access granted by the owner',
    piiCategory: scopeCategories(grant.metrics, grant.events),
    termination: grant.expiresAt.toISOString(),
    thirdPartyName: granteeName ?? grant.granteeId,
    parley: {
      grantId: grant.id,
      deviceId: grant.deviceId,
      periodId: grant.periodId,
      granteeId: grant.granteeId,
      metrics: grant.metrics,
      events: grant.events,
      dataFrom: grant.dataFrom?.toISOString() ?? null,
      dataTo: grant.dataTo?.toISOString() ?? null,
      expiresAt: grant.expiresAt.toISOString(),
      revocable: 'at any time, effective immediately (DELETE /v1/grants/{id})',
    },
  });
}

export function sqlGrants(sql: Sql): Grants {
  async function one(id: string): Promise<Grant | null> {
    const rows = await sql.query<GrantRow>(`${SELECT} WHERE g.id = $1`, [id]);
    return rows[0] ? toGrant(rows[0]) : null;
  }

  return {
    async create(input) {
      const now = Date.now();
      const { metrics, events } = validateScope('A grant', input.metrics, input.events);
      validate(input, now);
      return guard('create a grant', () =>
        sql.transaction(async (tx) => {
          const [period] = await tx.query<{ device_id: string; owner_id: string }>('SELECT device_id, owner_id FROM ownership_periods WHERE id = $1 AND ended_at IS NULL', [input.periodId]);
          if (!period) throw new ConflictError('period_ended', 'You no longer own this device; grants can only be made during your ownership.');
          const [grantee] = await tx.query<{ display_name: string | null }>(`SELECT display_name FROM accounts WHERE id = $1 AND kind = 'grantee' AND disabled_at IS NULL`, [input.granteeId]);
          if (!grantee) throw new NotFoundError('grantee_not_found', `No grantee "${input.granteeId}". Create one with the grant ("grantee": {"name": …}) or ask the app for its id.`);
          const id = newId('gr');
          const receiptId = newId('rcpt');
          const [row] = await tx.query<{ created_at: Date }>(
            `INSERT INTO grants (id, device_id, period_id, grantee_id, metrics, events, data_from, data_to, expires_at, purpose, created_by, receipt_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING created_at`,
            [id, period.device_id, input.periodId, input.granteeId, metrics, events, input.dataFrom ?? null, input.dataTo ?? null, input.expiresAt, input.purpose.trim(), input.createdBy, receiptId],
          );
          const grant: Grant = {
            id,
            deviceId: period.device_id,
            periodId: input.periodId,
            granteeId: input.granteeId,
            metrics,
            events,
            dataFrom: input.dataFrom ?? null,
            dataTo: input.dataTo ?? null,
            expiresAt: input.expiresAt,
            purpose: input.purpose.trim(),
            createdBy: input.createdBy,
            createdAt: new Date(row!.created_at),
            revokedAt: null,
            receiptId,
            status: 'active',
          };
          const body = grantReceipt(receiptId, grant, period.owner_id, grantee.display_name, grant.createdAt);
          const receipt = await insertConsentReceipt(tx, { id: receiptId, deviceId: grant.deviceId, periodId: grant.periodId, granteeId: grant.granteeId, body });
          await addTimeline(tx, {
            deviceId: grant.deviceId,
            kind: 'grant_created',
            actor: input.createdBy,
            subjectId: id,
            body: { grantId: id, granteeId: grant.granteeId, granteeName: grantee.display_name, metrics, events, purpose: grant.purpose, expiresAt: grant.expiresAt.toISOString() },
          });
          return { grant, receipt };
        }),
      );
    },

    get(id) {
      return guard('read a grant', () => one(id));
    },

    async ofPeriod(periodId) {
      return (await guard('list grants', () => sql.query<GrantRow>(`${SELECT} WHERE g.period_id = $1 ORDER BY g.created_at DESC, g.id`, [periodId]))).map((r) => toGrant(r));
    },

    async ofGrantee(granteeId) {
      return (await guard('list grants', () => sql.query<GrantRow>(`${SELECT} WHERE g.grantee_id = $1 ORDER BY g.created_at DESC, g.id`, [granteeId]))).map((r) => toGrant(r));
    },

    async activeFor(granteeId, deviceId) {
      const rows = await guard('check grants', () =>
        sql.query<GrantRow>(
          `${SELECT} WHERE g.grantee_id = $1 AND g.device_id = $2 AND g.revoked_at IS NULL AND g.expires_at > now() AND p.ended_at IS NULL
           ORDER BY g.created_at DESC, g.id`,
          [granteeId, deviceId],
        ),
      );
      return rows.map((r) => toGrant(r));
    },

    revoke(id, actorId) {
      return guard('revoke a grant', () =>
        sql.transaction(async (tx) => {
          const rows = await tx.query<{ id: string; device_id: string; was_revoked: boolean }>(
            `UPDATE grants g SET revoked_at = coalesce(g.revoked_at, now()) FROM grants old
             WHERE g.id = $1 AND old.id = g.id RETURNING g.id, g.device_id, (old.revoked_at IS NOT NULL) AS was_revoked`,
            [id],
          );
          const row = rows[0];
          if (!row) throw new NotFoundError('grant_not_found', `No grant "${id}".`);
          if (!row.was_revoked) await addTimeline(tx, { deviceId: row.device_id, kind: 'grant_revoked', actor: actorId, subjectId: id, body: { grantId: id } });
          return toGrant((await tx.query<GrantRow>(`${SELECT} WHERE g.id = $1`, [id]))[0]!);
        }),
      );
    },

    async receipt(id) {
      const rows = await guard('read a receipt', () => sql.query<ReceiptRow>('SELECT * FROM receipts WHERE id = $1', [id]));
      return rows[0] ? toReceipt(rows[0]) : null;
    },

    async addReceipt(r) {
      const rows = await guard('store a receipt', () =>
        sql.query<ReceiptRow>('INSERT INTO receipts (id, kind, device_id, period_id, grantee_id, body) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *', [
          r.id,
          r.kind,
          r.deviceId,
          r.periodId,
          r.granteeId,
          JSON.stringify(r.body),
        ]),
      );
      return toReceipt(rows[0]!);
    },
  };
}
