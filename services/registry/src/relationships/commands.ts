import { ConflictError, NotFoundError, ValidationError } from '@parley/errors';
import type { Sql } from '../db';
import { guard } from './guard';
import { newId } from './ids';
import { addTimeline } from './timeline';
import type { Command, CommandKind, Commands, CommandState, NewCommand } from './types';

const CLASS_PATTERN = /^[a-z][a-z0-9_.-]{1,47}$/;
const KINDS = new Set<CommandKind>(['command', 'config', 'firmware_offer']);

interface Row {
  id: string;
  device_id: string;
  period_id: string | null;
  class: string;
  kind: CommandKind;
  body: Record<string, unknown>;
  reason: string;
  emergency: boolean;
  state: CommandState;
  approval: Command['approval'];
  proposed_by: string;
  proposed_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  sent_at: Date | null;
  result_at: Date | null;
  result_detail: string | null;
  expires_at: Date;
}

const date = (d: Date | null) => (d ? new Date(d) : null);
const toCommand = (r: Row): Command => ({
  id: r.id,
  deviceId: r.device_id,
  periodId: r.period_id,
  class: r.class,
  kind: r.kind,
  body: r.body,
  reason: r.reason,
  emergency: r.emergency,
  // A command nobody decided on (or delivered) before it expired is expired, whatever the row says.
  state: (r.state === 'pending' || r.state === 'approved') && new Date(r.expires_at).getTime() <= Date.now() ? 'expired' : r.state,
  approval: r.approval,
  proposedBy: r.proposed_by,
  proposedAt: new Date(r.proposed_at),
  decidedBy: r.decided_by,
  decidedAt: date(r.decided_at),
  sentAt: date(r.sent_at),
  resultAt: date(r.result_at),
  resultDetail: r.result_detail,
  expiresAt: new Date(r.expires_at),
});

const summary = (c: Command) => ({ commandId: c.id, class: c.class, kind: c.kind, state: c.state, approval: c.approval, emergency: c.emergency, reason: c.reason, body: c.body });

export function sqlCommands(sql: Sql): Commands {
  const one = async (tx: Sql, id: string, lock = false) => {
    const rows = await tx.query<Row>(`SELECT * FROM commands WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ? toCommand(rows[0]) : null;
  };

  return {
    async propose(c: NewCommand) {
      if (!CLASS_PATTERN.test(c.class)) throw new ValidationError('invalid_command', '"class" is a short name such as "defrost" or "config.eco".');
      if (!KINDS.has(c.kind)) throw new ValidationError('invalid_command', '"kind" is command, config or firmware_offer.');
      const reason = c.reason.trim();
      if (reason.length < 3 || reason.length > 500) throw new ValidationError('invalid_command', 'State the reason for the command in 3 to 500 characters; the owner reads it.');
      if (c.expiresAt.getTime() <= Date.now()) throw new ValidationError('invalid_command', '"expiresAt" must be in the future.');
      return guard('propose a command', () =>
        sql.transaction(async (tx) => {
          const [period] = await tx.query<{ id: string }>('SELECT id FROM ownership_periods WHERE device_id = $1 AND ended_at IS NULL', [c.deviceId]);
          let approval: Command['approval'] = null;
          if (!period) approval = 'unowned';
          else if (c.emergency) approval = 'emergency';
          else if ((await tx.query('SELECT 1 FROM command_policies WHERE period_id = $1 AND class = $2', [period.id, c.class])).length > 0) approval = 'policy';
          const id = newId('cmd');
          const [row] = await tx.query<Row>(
            `INSERT INTO commands (id, device_id, period_id, class, kind, body, reason, emergency, state, approval, proposed_by, decided_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, CASE WHEN $10::text IS NULL THEN NULL ELSE now() END, $12) RETURNING *`,
            [id, c.deviceId, period?.id ?? null, c.class, c.kind, JSON.stringify(c.body), reason, c.emergency, approval ? 'approved' : 'pending', approval, c.proposedBy, c.expiresAt],
          );
          const command = toCommand(row!);
          await addTimeline(tx, { deviceId: c.deviceId, kind: 'command_proposed', actor: c.proposedBy, subjectId: id, body: summary(command) });
          return command;
        }),
      );
    },

    get(id) {
      return guard('read a command', () => one(sql, id));
    },

    async ofDevice(deviceId, fromMs, toMs) {
      return (
        await guard('list commands', () =>
          sql.query<Row>('SELECT * FROM commands WHERE device_id = $1 AND proposed_at >= $2 AND proposed_at < $3 ORDER BY proposed_at DESC, id', [deviceId, new Date(fromMs), new Date(toMs)]),
        )
      ).map(toCommand);
    },

    decide(id, decision, actorId) {
      return guard('decide on a command', () =>
        sql.transaction(async (tx) => {
          const c = await one(tx, id, true);
          if (!c) throw new NotFoundError('command_not_found', `No command "${id}".`);
          if (c.state !== 'pending') throw new ConflictError('command_not_pending', `This command is ${c.state}; only pending commands can be approved or declined.`);
          const state = decision === 'approve' ? 'approved' : 'declined';
          const [row] = await tx.query<Row>(`UPDATE commands SET state = $2, approval = $3, decided_by = $4, decided_at = now() WHERE id = $1 RETURNING *`, [
            id,
            state,
            decision === 'approve' ? 'owner' : null,
            actorId,
          ]);
          const updated = toCommand(row!);
          await addTimeline(tx, { deviceId: c.deviceId, kind: decision === 'approve' ? 'command_approved' : 'command_declined', actor: actorId, subjectId: id, body: summary(updated) });
          return updated;
        }),
      );
    },

    markSent(id) {
      return guard('record a sent command', () =>
        sql.transaction(async (tx) => {
          const [row] = await tx.query<Row>(`UPDATE commands SET state = 'sent', sent_at = now() WHERE id = $1 AND state = 'approved' RETURNING *`, [id]);
          if (!row) throw new ConflictError('command_not_approved', 'Only an approved command can be sent.');
          const c = toCommand(row);
          await addTimeline(tx, { deviceId: c.deviceId, kind: 'command_sent', actor: 'platform', subjectId: id, body: summary(c) });
          return c;
        }),
      );
    },

    async recordResult(deviceId, id, status, detail, atMs) {
      // `accepted` (and unknown statuses) are progress reports: they are in the conversation, but the
      // command stays `sent` until it succeeded or failed.
      if (!/^(ok|succeeded|failed|rejected|expired)$/i.test(status)) return null;
      const state: CommandState = /^(ok|succeeded)$/i.test(status) ? 'acked' : 'failed';
      return guard('record a command result', () =>
        sql.transaction(async (tx) => {
          const [row] = await tx.query<Row>(
            `UPDATE commands SET state = $3, result_at = $4, result_detail = $5 WHERE id = $1 AND device_id = $2 AND state IN ('sent', 'approved') RETURNING *`,
            [id, deviceId, state, new Date(atMs), `${status}${detail ? `: ${detail}` : ''}`.slice(0, 500)],
          );
          if (!row) return null;
          const c = toCommand(row);
          await addTimeline(tx, { deviceId, kind: state === 'acked' ? 'command_acked' : 'command_failed', actor: deviceId, subjectId: id, body: { ...summary(c), result: c.resultDetail } });
          return c;
        }),
      );
    },

    async policies(periodId) {
      return (await guard('read policies', () => sql.query<{ class: string }>('SELECT class FROM command_policies WHERE period_id = $1 ORDER BY class', [periodId]))).map((r) => r.class);
    },

    async setPolicy(periodId, commandClass, autoApprove, actorId) {
      if (!CLASS_PATTERN.test(commandClass)) throw new ValidationError('invalid_command', 'A command class is a short name such as "defrost".');
      return guard('set a policy', () =>
        sql.transaction(async (tx) => {
          const [period] = await tx.query<{ device_id: string }>('SELECT device_id FROM ownership_periods WHERE id = $1 AND ended_at IS NULL', [periodId]);
          if (!period) throw new ConflictError('period_ended', 'This ownership period has ended.');
          if (autoApprove) await tx.query('INSERT INTO command_policies (period_id, class) VALUES ($1, $2) ON CONFLICT DO NOTHING', [periodId, commandClass]);
          else await tx.query('DELETE FROM command_policies WHERE period_id = $1 AND class = $2', [periodId, commandClass]);
          await addTimeline(tx, { deviceId: period.device_id, kind: 'command_policy', actor: actorId, body: { class: commandClass, autoApprove } });
          return (await tx.query<{ class: string }>('SELECT class FROM command_policies WHERE period_id = $1 ORDER BY class', [periodId])).map((r) => r.class);
        }),
      );
    },
  };
}
