import { AppError, AuthError, ConflictError, NotFoundError, RateLimitError, ValidationError } from '@parley/errors';
import type { Sql } from '../db';
import { hashSecret, verifySecret } from '../secrets';
import { endDestinationsOfPeriod } from './destinations';
import { guard } from './guard';
import { newCode, newId, normalizeCode } from './ids';
import { addTimeline } from './timeline';
import type { ClaimRequest, Ownership, OwnershipPeriod } from './types';

/** Failed claim attempts allowed per device per window before further attempts are refused. */
export const CLAIM_MAX_FAILURES = 5;
export const CLAIM_WINDOW_SECONDS = 15 * 60;
const DEFAULT_TRANSFER_TTL_SECONDS = 7 * 86_400;

export interface PeriodRow {
  id: string;
  device_id: string;
  owner_id: string;
  started_at: Date;
  ended_at: Date | null;
  end_reason: OwnershipPeriod['endReason'];
  fleet_analytics: boolean;
}

export const PERIOD_COLUMNS = 'id, device_id, owner_id, started_at, ended_at, end_reason, fleet_analytics';
const COLUMNS = PERIOD_COLUMNS;

export const toPeriod = (r: PeriodRow): OwnershipPeriod => ({
  id: r.id,
  deviceId: r.device_id,
  ownerId: r.owner_id,
  startedAt: new Date(r.started_at),
  endedAt: r.ended_at ? new Date(r.ended_at) : null,
  endReason: r.end_reason,
  fleetAnalytics: r.fleet_analytics,
});

const wrongCode = () =>
  new AuthError('invalid_claim_code', 'That code does not match this device (or the device does not exist). Check the code on the box or ask the previous owner for a new transfer code.', {
    status: 403,
  });

/** A new claim code stored (hashed) on the device; returns the code (shown once). */
async function setClaimCode(tx: Sql, deviceId: string): Promise<string> {
  const code = newCode();
  const { salt, hash } = hashSecret(normalizeCode(code));
  await tx.query('UPDATE devices SET claim_salt = $2, claim_hash = $3, updated_at = now() WHERE id = $1', [deviceId, salt, hash]);
  return code;
}

/** Throws when the device used up its failed attempts in the current window. */
async function checkAttempts(tx: Sql, deviceId: string): Promise<void> {
  const [row] = await tx.query<{ failures: number; retry: number }>(
    `SELECT failures, ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::int AS retry
     FROM claim_attempts WHERE device_id = $1 AND window_start > now() - make_interval(secs => $2)`,
    [deviceId, CLAIM_WINDOW_SECONDS],
  );
  if (row && row.failures >= CLAIM_MAX_FAILURES) {
    throw new RateLimitError('claim_rate_limited', `Too many wrong codes for this device; try again in ${row.retry} seconds.`, Math.max(1, row.retry));
  }
}

async function recordFailure(sql: Sql, deviceId: string): Promise<void> {
  await sql.query(
    `INSERT INTO claim_attempts (device_id, failures, window_start) VALUES ($1, 1, now())
     ON CONFLICT (device_id) DO UPDATE SET
       failures = CASE WHEN claim_attempts.window_start > now() - make_interval(secs => $2) THEN claim_attempts.failures + 1 ELSE 1 END,
       window_start = CASE WHEN claim_attempts.window_start > now() - make_interval(secs => $2) THEN claim_attempts.window_start ELSE now() END`,
    [deviceId, CLAIM_WINDOW_SECONDS],
  );
}

/** Internal: rolls the claim back so the failure can be counted outside the transaction. */
class WrongCode extends AppError {
  constructor() {
    super('invalid_claim_code', 'wrong code', { status: 403 });
  }
}

export function sqlOwnership(sql: Sql): Ownership {
  async function openPeriod(tx: Sql, deviceId: string): Promise<OwnershipPeriod | null> {
    const rows = await tx.query<PeriodRow>(`SELECT ${COLUMNS} FROM ownership_periods WHERE device_id = $1 AND ended_at IS NULL FOR UPDATE`, [deviceId]);
    return rows[0] ? toPeriod(rows[0]) : null;
  }

  async function startPeriod(tx: Sql, deviceId: string, ownerId: string): Promise<OwnershipPeriod> {
    const [row] = await tx.query<PeriodRow>(`INSERT INTO ownership_periods (id, device_id, owner_id, started_at) VALUES ($1, $2, $3, now()) RETURNING ${COLUMNS}`, [
      newId('per'),
      deviceId,
      ownerId,
    ]);
    return toPeriod(row!);
  }

  async function endPeriod(tx: Sql, periodId: string, reason: string): Promise<OwnershipPeriod> {
    const [row] = await tx.query<PeriodRow>(`UPDATE ownership_periods SET ended_at = now(), end_reason = $2 WHERE id = $1 AND ended_at IS NULL RETURNING ${COLUMNS}`, [
      periodId,
      reason,
    ]);
    if (!row) throw new ConflictError('period_ended', 'This ownership period has already ended.');
    // Pending transfer codes of the period die with it.
    await tx.query('UPDATE transfer_codes SET expires_at = least(expires_at, now()) WHERE period_id = $1 AND used_at IS NULL', [periodId]);
    await endDestinationsOfPeriod(tx, periodId, 'system');
    return toPeriod(row);
  }

  async function claimWithCode(tx: Sql, r: ClaimRequest, code: string): Promise<OwnershipPeriod> {
    const [device] = await tx.query<{ claim_salt: Uint8Array | null; claim_hash: Uint8Array | null }>(
      'SELECT claim_salt, claim_hash FROM devices WHERE id = $1 FOR UPDATE',
      [r.deviceId],
    );
    if (!device) throw wrongCode();
    await checkAttempts(tx, r.deviceId);
    if (!device.claim_salt || !device.claim_hash || !verifySecret(normalizeCode(code), device.claim_salt, device.claim_hash)) throw new WrongCode();
    if (await openPeriod(tx, r.deviceId)) {
      throw new ConflictError('device_already_owned', 'This device is owned. The current owner can transfer it to you with a transfer code (POST /v1/devices/:id/transfer).');
    }
    await tx.query('UPDATE devices SET claim_salt = NULL, claim_hash = NULL WHERE id = $1', [r.deviceId]);
    const period = await startPeriod(tx, r.deviceId, r.ownerId);
    await addTimeline(tx, { deviceId: r.deviceId, kind: 'claimed', actor: r.actorId, subjectId: period.id, body: { periodId: period.id, startedAt: period.startedAt.toISOString() } });
    return period;
  }

  async function claimWithTransfer(tx: Sql, r: ClaimRequest, code: string): Promise<OwnershipPeriod> {
    await checkAttempts(tx, r.deviceId);
    const codes = await tx.query<{ id: string; period_id: string; code_salt: Uint8Array; code_hash: Uint8Array; expired: boolean; used_at: Date | null }>(
      'SELECT id, period_id, code_salt, code_hash, expires_at <= now() AS expired, used_at FROM transfer_codes WHERE device_id = $1 FOR UPDATE',
      [r.deviceId],
    );
    const normalized = normalizeCode(code);
    const match = codes.find((c) => verifySecret(normalized, c.code_salt, c.code_hash));
    if (!match) throw new WrongCode();
    if (match.used_at) throw new ConflictError('transfer_code_used', 'This transfer code has already been used. Ask the current owner for a new one.');
    if (match.expired) throw new ConflictError('transfer_code_expired', 'This transfer code has expired (or its ownership period ended). Ask the owner for a new one.');
    const old = await openPeriod(tx, r.deviceId);
    if (!old || old.id !== match.period_id) throw new ConflictError('transfer_code_expired', 'The ownership period this code was issued for has ended.');
    if (old.ownerId === r.ownerId) throw new ValidationError('already_owner', 'Your household already owns this device.');
    await tx.query('UPDATE transfer_codes SET used_at = now() WHERE id = $1', [match.id]);
    const ended = await endPeriod(tx, old.id, 'transfer');
    const period = await startPeriod(tx, r.deviceId, r.ownerId);
    await addTimeline(tx, {
      deviceId: r.deviceId,
      kind: 'transferred',
      actor: r.actorId,
      subjectId: period.id,
      body: { fromPeriodId: ended.id, periodId: period.id, at: period.startedAt.toISOString() },
    });
    return period;
  }

  return {
    async claim(r) {
      const code = r.claimCode ?? r.transferCode;
      if (!code || (r.claimCode !== undefined && r.transferCode !== undefined)) {
        throw new ValidationError('invalid_claim', 'Send exactly one of "claimCode" (from the box) or "transferCode" (from the previous owner).');
      }
      if (code.length > 40) throw wrongCode();
      try {
        return await guard('claim a device', () => sql.transaction((tx) => (r.claimCode !== undefined ? claimWithCode(tx, r, code) : claimWithTransfer(tx, r, code))));
      } catch (err) {
        if (!(err instanceof WrongCode)) throw err;
        // Counted outside the rolled-back transaction, so the failure sticks.
        await guard('record a failed claim', () => recordFailure(sql, r.deviceId)).catch(() => undefined);
        throw wrongCode();
      }
    },

    reissueClaimCode(deviceId, actorId) {
      return guard('issue a claim code', () =>
        sql.transaction(async (tx) => {
          const [device] = await tx.query<{ id: string }>('SELECT id FROM devices WHERE id = $1 FOR UPDATE', [deviceId]);
          if (!device) throw new NotFoundError('device_not_found', `No device with id "${deviceId}".`);
          if (await openPeriod(tx, deviceId)) throw new ConflictError('device_already_owned', 'This device is owned; only its owner can pass it on (transfer or release).');
          const code = await setClaimCode(tx, deviceId);
          await addTimeline(tx, { deviceId, kind: 'claim_code_issued', actor: actorId, body: {} });
          return code;
        }),
      );
    },

    async startTransfer(periodId, actorId, ttlSeconds = DEFAULT_TRANSFER_TTL_SECONDS) {
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > 90 * 86_400) {
        throw new ValidationError('invalid_ttl', 'A transfer code lives 60 seconds to 90 days.');
      }
      return guard('start a transfer', () =>
        sql.transaction(async (tx) => {
          const [period] = await tx.query<PeriodRow>(`SELECT ${COLUMNS} FROM ownership_periods WHERE id = $1 AND ended_at IS NULL`, [periodId]);
          if (!period) throw new ConflictError('period_ended', 'This ownership period has ended.');
          const code = newCode();
          const { salt, hash } = hashSecret(normalizeCode(code));
          const [row] = await tx.query<{ expires_at: Date }>(
            `INSERT INTO transfer_codes (id, period_id, device_id, code_salt, code_hash, expires_at)
             VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6)) RETURNING expires_at`,
            [newId('trf'), periodId, period.device_id, salt, hash, ttlSeconds],
          );
          await addTimeline(tx, { deviceId: period.device_id, kind: 'transfer_started', actor: actorId, subjectId: periodId, body: { expiresAt: new Date(row!.expires_at).toISOString() } });
          return { code, expiresAt: new Date(row!.expires_at) };
        }),
      );
    },

    end(periodId, reason, actorId) {
      return guard('end an ownership period', () =>
        sql.transaction(async (tx) => {
          const period = await endPeriod(tx, periodId, reason);
          await addTimeline(tx, { deviceId: period.deviceId, kind: reason === 'release' ? 'released' : 'period_erased', actor: actorId, subjectId: period.id, body: { periodId: period.id } });
          return period;
        }),
      );
    },

    async current(deviceId) {
      const rows = await guard('read ownership', () => sql.query<PeriodRow>(`SELECT ${COLUMNS} FROM ownership_periods WHERE device_id = $1 AND ended_at IS NULL`, [deviceId]));
      return rows[0] ? toPeriod(rows[0]) : null;
    },

    async get(periodId) {
      const rows = await guard('read ownership', () => sql.query<PeriodRow>(`SELECT ${COLUMNS} FROM ownership_periods WHERE id = $1`, [periodId]));
      return rows[0] ? toPeriod(rows[0]) : null;
    },

    async history(deviceId) {
      return (await guard('read ownership', () => sql.query<PeriodRow>(`SELECT ${COLUMNS} FROM ownership_periods WHERE device_id = $1 ORDER BY started_at, id`, [deviceId]))).map(toPeriod);
    },

    async ofOwner(ownerId, deviceId) {
      const rows = await guard('read ownership', () =>
        deviceId === undefined
          ? sql.query<PeriodRow>(`SELECT ${COLUMNS} FROM ownership_periods WHERE owner_id = $1 ORDER BY started_at DESC, id`, [ownerId])
          : sql.query<PeriodRow>(`SELECT ${COLUMNS} FROM ownership_periods WHERE owner_id = $1 AND device_id = $2 ORDER BY started_at DESC, id`, [ownerId, deviceId]),
      );
      return rows.map(toPeriod);
    },

    setFleetAnalytics(periodId, allowed, actorId) {
      return guard('record fleet-analytics consent', () =>
        sql.transaction(async (tx) => {
          const [row] = await tx.query<PeriodRow>(`UPDATE ownership_periods SET fleet_analytics = $2 WHERE id = $1 AND ended_at IS NULL RETURNING ${COLUMNS}`, [periodId, allowed]);
          if (!row) throw new ConflictError('period_ended', 'This ownership period has ended.');
          const period = toPeriod(row);
          await addTimeline(tx, { deviceId: period.deviceId, kind: 'fleet_consent', actor: actorId, subjectId: period.id, body: { fleetAnalytics: allowed } });
          return period;
        }),
      );
    },

    async fleetOptOuts() {
      const rows = await guard('read fleet consent', () => sql.query<{ device_id: string }>('SELECT device_id FROM ownership_periods WHERE ended_at IS NULL AND NOT fleet_analytics ORDER BY device_id'));
      return rows.map((r) => r.device_id);
    },
  };
}


