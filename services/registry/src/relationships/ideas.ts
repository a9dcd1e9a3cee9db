import { ConflictError, NotFoundError, ValidationError } from '@parley/errors';
import type { Sql } from '../db';
import { validateModel } from '../validate';
import { guard } from './guard';
import { cohortBreakdown, tallies } from './idea-cohorts';
import { newId } from './ids';
import { noteText } from './notes';
import { IDEA_STATUSES, type Idea, type IdeaComment, type IdeaDetail, type Ideas, type IdeaStatus, type IdeaUpdate, type VoteValue } from './voice-types';

/** Votes are frozen once the manufacturer closed the idea. */
const CLOSED = new Set<IdeaStatus>(['shipped', 'declined']);

interface IdeaRow {
  id: string;
  model: string;
  title: string;
  body: string;
  status: IdeaStatus;
  author_kind: 'manufacturer' | 'owner';
  created_at: Date;
  updated_at: Date;
}

interface UpdateRow {
  id: string;
  idea_id: string;
  status: IdeaStatus;
  message: string;
  created_at: Date;
}

function title(value: string): string {
  const t = typeof value === 'string' ? value.trim() : '';
  if (t.length < 3 || t.length > 200) throw new ValidationError('invalid_idea', '"title" must have 3 to 200 characters.');
  return t;
}

/** The open period `periodId` and its device's model, firmware and tags; refuses ended periods. */
async function openPeriod(tx: Sql, periodId: string): Promise<{ device_id: string; owner_id: string; model: string; firmware: string; tags: string[] }> {
  const [p] = await tx.query<{ device_id: string; owner_id: string; ended_at: Date | null; model: string; firmware: string; tags: string[] }>(
    'SELECT p.device_id, p.owner_id, p.ended_at, d.model, d.firmware, d.tags FROM ownership_periods p JOIN devices d ON d.id = p.device_id WHERE p.id = $1',
    [periodId],
  );
  if (!p) throw new NotFoundError('period_not_found', `No ownership period "${periodId}".`);
  if (p.ended_at) throw new ConflictError('period_ended', 'Only current owners take part; this ownership has ended.');
  return p;
}

async function ideaRow(tx: Sql, id: string, lock = false): Promise<IdeaRow> {
  const [row] = await tx.query<IdeaRow>(`SELECT * FROM ideas WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  if (!row) throw new NotFoundError('idea_not_found', `No idea "${id}".`);
  return row;
}

/** The idea of the period's device model, open for votes. */
async function votable(tx: Sql, ideaId: string, periodId: string) {
  const idea = await ideaRow(tx, ideaId);
  const period = await openPeriod(tx, periodId);
  if (period.model !== idea.model) throw new NotFoundError('idea_not_found', `No idea "${ideaId}" for this device's model.`);
  if (CLOSED.has(idea.status)) throw new ConflictError('idea_closed', `This idea is ${idea.status}; its votes are final.`);
  return { idea, period };
}

export function sqlIdeas(sql: Sql): Ideas {
  async function load(db: Sql, rows: IdeaRow[], k: number): Promise<Idea[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const t = await tallies(db, ids, k);
    const updates = await db.query<UpdateRow>('SELECT * FROM idea_updates WHERE idea_id = ANY($1::text[]) ORDER BY created_at, id', [ids]);
    return rows.map((r) => ({
      id: r.id,
      model: r.model,
      title: r.title,
      body: r.body,
      status: r.status,
      authorKind: r.author_kind,
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
      tally: t.get(r.id)!,
      updates: updates.filter((u) => u.idea_id === r.id).map((u): IdeaUpdate => ({ id: u.id, status: u.status, message: u.message, createdAt: new Date(u.created_at) })),
    }));
  }

  return {
    async create(i, k) {
      const model = validateModel(i.model);
      const t = title(i.title);
      const body = noteText(i.body, 'invalid_idea');
      return guard('propose an idea', () =>
        sql.transaction(async (tx) => {
          if (i.authorKind === 'owner') {
            const period = await openPeriod(tx, i.periodId ?? '');
            if (period.model !== model) throw new ValidationError('invalid_model', `Your device is a ${period.model}; ideas you propose are for its model.`);
          }
          const id = newId('idea');
          await tx.query(`INSERT INTO ideas (id, model, title, body, status, author_id, author_kind, period_id) VALUES ($1, $2, $3, $4, 'proposed', $5, $6, $7)`, [
            id,
            model,
            t,
            body,
            i.authorId,
            i.authorKind,
            i.authorKind === 'owner' ? i.periodId : null,
          ]);
          return (await load(tx, [await ideaRow(tx, id)], k))[0]!;
        }),
      );
    },

    get(id, viewer, k) {
      return guard('read an idea', async () => {
        const [row] = await sql.query<IdeaRow>('SELECT * FROM ideas WHERE id = $1', [id]);
        if (!row) return null;
        const [idea] = await load(sql, [row], k);
        const comments = await sql.query<{ id: string; author_id: string; author_kind: string; owner_id: string | null; text: string; created_at: Date }>(
          `SELECT c.id, c.author_id, c.author_kind, p.owner_id, c.text, c.created_at FROM idea_comments c LEFT JOIN ownership_periods p ON p.id = c.period_id
           WHERE c.idea_id = $1 ORDER BY c.created_at, c.id`,
          [id],
        );
        const myVotes = viewer.ownerId
          ? await sql.query<{ device_id: string; value: VoteValue }>(
              `SELECT v.device_id, v.value FROM idea_votes v JOIN ownership_periods p ON p.id = v.period_id
               WHERE v.idea_id = $1 AND p.owner_id = $2 AND p.ended_at IS NULL ORDER BY v.device_id`,
              [id, viewer.ownerId],
            )
          : [];
        return {
          ...idea!,
          comments: comments.map(
            (c): IdeaComment => ({
              id: c.id,
              authorKind: c.author_kind,
              mine: c.author_id === viewer.accountId || (viewer.ownerId !== undefined && c.owner_id === viewer.ownerId),
              text: c.text,
              createdAt: new Date(c.created_at),
            }),
          ),
          myVotes: myVotes.map((v) => ({ deviceId: v.device_id, value: v.value })),
        } satisfies IdeaDetail;
      });
    },

    list(q, k) {
      if (q.status !== undefined && !IDEA_STATUSES.includes(q.status)) throw new ValidationError('invalid_status', `"status" is one of: ${IDEA_STATUSES.join(', ')}.`);
      return guard('list ideas', async () =>
        load(
          sql,
          await sql.query<IdeaRow>('SELECT * FROM ideas WHERE ($1::text[] IS NULL OR model = ANY($1::text[])) AND ($2::text IS NULL OR status = $2) ORDER BY created_at DESC, id LIMIT 500', [
            q.models ?? null,
            q.status ?? null,
          ]),
          k,
        ),
      );
    },

    async vote(v) {
      if (v.value !== 'up' && v.value !== 'down') throw new ValidationError('invalid_vote', '"value" is "up" or "down".');
      await guard('vote', () =>
        sql.transaction(async (tx) => {
          const { period } = await votable(tx, v.ideaId, v.periodId);
          await tx.query(
            `INSERT INTO idea_votes (idea_id, period_id, device_id, owner_id, account_id, value, firmware, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[])
             ON CONFLICT (idea_id, period_id) DO UPDATE SET value = excluded.value, account_id = excluded.account_id, firmware = excluded.firmware, tags = excluded.tags, updated_at = now()`,
            [v.ideaId, v.periodId, period.device_id, period.owner_id, v.accountId, v.value, period.firmware, period.tags],
          );
        }),
      );
    },

    async unvote(ideaId, periodId) {
      await guard('withdraw a vote', () =>
        sql.transaction(async (tx) => {
          await votable(tx, ideaId, periodId);
          const gone = await tx.query('DELETE FROM idea_votes WHERE idea_id = $1 AND period_id = $2 RETURNING 1', [ideaId, periodId]);
          if (gone.length === 0) throw new NotFoundError('vote_not_found', 'This device has no vote on that idea.');
        }),
      );
    },

    async comment(c) {
      const text = noteText(c.text, 'invalid_comment');
      return guard('comment on an idea', () =>
        sql.transaction(async (tx) => {
          const idea = await ideaRow(tx, c.ideaId);
          if (c.periodId !== undefined && (await openPeriod(tx, c.periodId)).model !== idea.model) throw new NotFoundError('idea_not_found', `No idea "${c.ideaId}" for this device's model.`);
          const id = newId('ic');
          const [row] = await tx.query<{ created_at: Date }>('INSERT INTO idea_comments (id, idea_id, period_id, author_id, author_kind, text) VALUES ($1, $2, $3, $4, $5, $6) RETURNING created_at', [
            id,
            c.ideaId,
            c.periodId ?? null,
            c.authorId,
            c.authorKind,
            text,
          ]);
          return { id, authorKind: c.authorKind, mine: true, text, createdAt: new Date(row!.created_at) };
        }),
      );
    },

    async update(u, k) {
      if (!IDEA_STATUSES.includes(u.status)) throw new ValidationError('invalid_status', `"status" is one of: ${IDEA_STATUSES.join(', ')}.`);
      const message = noteText(u.message, 'invalid_update');
      return guard('update an idea', () =>
        sql.transaction(async (tx) => {
          const idea = await ideaRow(tx, u.ideaId, true);
          const id = newId('iu');
          await tx.query('INSERT INTO idea_updates (id, idea_id, status, message, author_id) VALUES ($1, $2, $3, $4, $5)', [id, idea.id, u.status, message, u.authorId]);
          await tx.query('UPDATE ideas SET status = $2, updated_at = now() WHERE id = $1', [idea.id, u.status]);
          // Every owned device of the model, not only the voters': an entry only on voters' devices
          // would tell the manufacturer, who sees the same conversation, how each household voted.
          await tx.query(
            `INSERT INTO timeline (device_id, kind, actor, subject_id, body)
             SELECT p.device_id, 'idea_update', $1, $2, $3 FROM ownership_periods p JOIN devices d ON d.id = p.device_id
             WHERE p.ended_at IS NULL AND d.model = $4`,
            [u.authorId, idea.id, JSON.stringify({ ideaId: idea.id, title: idea.title, status: u.status, message }), idea.model],
          );
          return (await load(tx, [await ideaRow(tx, idea.id)], k))[0]!;
        }),
      );
    },

    cohorts(ideaId, by, k) {
      return guard('count votes by cohort', async () => {
        await ideaRow(sql, ideaId);
        return cohortBreakdown(sql, ideaId, by, k);
      });
    },
  };
}
