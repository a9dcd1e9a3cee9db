import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '@parley/errors';
import type { Sql } from '../db';
import { guard } from './guard';
import { newId } from './ids';
import { addTimeline } from './timeline';
import { NOTE_CATEGORIES, type FeedbackCountRow, type Note, type NoteCategory, type NoteContent, type NoteReply, type Notes, type NoteVersion } from './voice-types';

/** How far ahead of the server's clock a note may be pinned (the owner's clock may run ahead a little). */
const FUTURE_SLACK_MS = 5 * 60_000;
/** Longest span a note may cover. */
const MAX_SPAN_MS = 31 * 86_400_000;
const MAX_TEXT = 4000;

interface NoteRow {
  id: string;
  device_id: string;
  period_id: string;
  author_id: string;
  firmware: string;
  version: number;
  at: Date;
  until: Date | null;
  category: NoteCategory;
  text: string;
  status: 'open' | 'withdrawn';
  created_at: Date;
  updated_at: Date;
}

interface ReplyRow {
  id: string;
  note_id: string;
  author_id: string;
  author_kind: string;
  text: string;
  created_at: Date;
}

const toReply = (r: ReplyRow): NoteReply => ({ id: r.id, authorId: r.author_id, authorKind: r.author_kind, text: r.text, createdAt: new Date(r.created_at) });

export function noteText(value: unknown, code = 'invalid_note_text'): string {
  const t = typeof value === 'string' ? value.trim() : '';
  if (t.length < 1 || t.length > MAX_TEXT) throw new ValidationError(code, `The text must have 1 to ${MAX_TEXT} characters.`);
  return t;
}

/** Checks category, text and the pinned moment against the period [start, end) and the clock. */
function validateContent(c: NoteContent, period: { started_at: Date; ended_at: Date | null }): Required<NoteContent> & { category: NoteCategory } {
  if (!(NOTE_CATEGORIES as readonly string[]).includes(c.category)) {
    throw new ValidationError('invalid_note_category', `"category" is one of: ${NOTE_CATEGORIES.join(', ')}.`);
  }
  const text = noteText(c.text);
  const at = c.at.getTime();
  const until = c.until ? c.until.getTime() : null;
  const latest = Math.min(Date.now() + FUTURE_SLACK_MS, period.ended_at ? new Date(period.ended_at).getTime() : Infinity);
  if (!Number.isFinite(at) || at < new Date(period.started_at).getTime() || at > latest) {
    throw new ValidationError('invalid_note_time', '"at" must lie inside your ownership of the device and not in the future.');
  }
  if (until !== null && (!Number.isFinite(until) || until < at || until > latest || until - at > MAX_SPAN_MS)) {
    throw new ValidationError('invalid_note_time', '"until" must be at or after "at", not in the future, and at most 31 days after "at".');
  }
  return { at: c.at, until: c.until ?? null, category: c.category as NoteCategory, text };
}

export function sqlNotes(sql: Sql): Notes {
  async function load(rows: NoteRow[], db: Sql = sql): Promise<Note[]> {
    if (rows.length === 0) return [];
    const replies = await db.query<ReplyRow>('SELECT * FROM note_replies WHERE note_id = ANY($1::text[]) ORDER BY created_at, id', [rows.map((r) => r.id)]);
    return rows.map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      periodId: r.period_id,
      authorId: r.author_id,
      firmware: r.firmware,
      version: r.version,
      at: new Date(r.at),
      until: r.until ? new Date(r.until) : null,
      category: r.category,
      text: r.status === 'withdrawn' ? null : r.text,
      status: r.status,
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
      replies: replies.filter((x) => x.note_id === r.id).map(toReply),
    }));
  }

  const one = async (db: Sql, id: string, lock = false): Promise<Note | null> =>
    (await load(await db.query<NoteRow>(`SELECT * FROM notes WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]), db))[0] ?? null;

  /**
   * The note's one timeline entry mirrors its current version and thread, at the pinned moment:
   * the conversation shows the note where it happened, and everything about it stays inside the
   * period it was written in (a reply never lands in a later owner's window).
   */
  async function mirror(tx: Sql, note: Note): Promise<void> {
    await tx.query(`UPDATE timeline SET at = $3, body = $4 WHERE device_id = $1 AND kind = 'note' AND subject_id = $2`, [note.deviceId, note.id, note.at, JSON.stringify(timelineBody(note))]);
  }

  async function newVersion(id: string, authorId: string, change: (current: NoteRow) => Promise<{ content: Required<NoteContent>; status: 'open' | 'withdrawn' }>): Promise<Note> {
    return guard('change a note', () =>
      sql.transaction(async (tx) => {
        const [row] = await tx.query<NoteRow & { started_at: Date; ended_at: Date | null }>(
          `SELECT n.*, p.started_at, p.ended_at FROM notes n JOIN ownership_periods p ON p.id = n.period_id WHERE n.id = $1 FOR UPDATE OF n`,
          [id],
        );
        if (!row) throw new NotFoundError('note_not_found', `No note "${id}".`);
        if (row.author_id !== authorId) throw new ForbiddenError('note_not_yours', 'Only the author of a note can edit or withdraw it; add a reply instead.');
        if (row.ended_at) throw new ConflictError('period_ended', 'The ownership this note belongs to has ended; it can no longer be changed.');
        if (row.status === 'withdrawn') throw new ConflictError('note_withdrawn', 'This note was withdrawn; write a new one instead.');
        const { content, status } = await change(row);
        const version = row.version + 1;
        await tx.query(
          'INSERT INTO note_versions (note_id, version, at, until, category, text, status, author_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [id, version, content.at, content.until, content.category, content.text, status, authorId],
        );
        await tx.query('UPDATE notes SET version = $2, at = $3, until = $4, category = $5, text = $6, status = $7, updated_at = now() WHERE id = $1', [
          id,
          version,
          content.at,
          content.until,
          content.category,
          content.text,
          status,
        ]);
        const note = (await one(tx, id))!;
        await mirror(tx, note);
        return note;
      }),
    );
  }

  return {
    async create(n) {
      return guard('add a note', () =>
        sql.transaction(async (tx) => {
          const [period] = await tx.query<{ device_id: string; started_at: Date; ended_at: Date | null; firmware: string }>(
            `SELECT p.device_id, p.started_at, p.ended_at, d.firmware FROM ownership_periods p JOIN devices d ON d.id = p.device_id WHERE p.id = $1 FOR UPDATE OF p`,
            [n.periodId],
          );
          if (!period) throw new NotFoundError('period_not_found', `No ownership period "${n.periodId}".`);
          if (period.ended_at) throw new ConflictError('period_ended', 'Notes are added while you own the device.');
          const c = validateContent(n, period);
          const id = newId('nt');
          await tx.query(
            `INSERT INTO notes (id, device_id, period_id, author_id, firmware, version, at, until, category, text, status) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $9, 'open')`,
            [id, period.device_id, n.periodId, n.authorId, period.firmware, c.at, c.until, c.category, c.text],
          );
          await tx.query(`INSERT INTO note_versions (note_id, version, at, until, category, text, status, author_id) VALUES ($1, 1, $2, $3, $4, $5, 'open', $6)`, [
            id,
            c.at,
            c.until,
            c.category,
            c.text,
            n.authorId,
          ]);
          const note = (await one(tx, id))!;
          await addTimeline(tx, { deviceId: note.deviceId, kind: 'note', actor: n.authorId, subjectId: id, body: timelineBody(note), at: note.at });
          return note;
        }),
      );
    },

    get(id) {
      return guard('read a note', () => one(sql, id));
    },

    ofDevice(deviceId, fromMs, toMs) {
      return guard('list notes', async () =>
        load(await sql.query<NoteRow>('SELECT * FROM notes WHERE device_id = $1 AND at >= $2 AND at < $3 ORDER BY at DESC, id', [deviceId, new Date(fromMs), new Date(toMs)])),
      );
    },

    edit(id, authorId, content) {
      return newVersion(id, authorId, async (row) => ({ content: validateContent(content, row as NoteRow & { started_at: Date; ended_at: Date | null }), status: 'open' }));
    },

    withdraw(id, authorId) {
      return newVersion(id, authorId, async (row) => ({ content: { at: row.at, until: row.until, category: row.category, text: row.text }, status: 'withdrawn' }));
    },

    async reply(r) {
      const text = noteText(r.text, 'invalid_reply');
      return guard('reply to a note', () =>
        sql.transaction(async (tx) => {
          const note = await one(tx, r.noteId, true);
          if (!note) throw new NotFoundError('note_not_found', `No note "${r.noteId}".`);
          await tx.query('INSERT INTO note_replies (id, note_id, author_id, author_kind, text) VALUES ($1, $2, $3, $4, $5)', [newId('nr'), r.noteId, r.authorId, r.authorKind, text]);
          const updated = (await one(tx, r.noteId))!;
          await mirror(tx, updated);
          return updated;
        }),
      );
    },

    history(id) {
      return guard('read a note history', async () =>
        (
          await sql.query<{ version: number; at: Date; until: Date | null; category: NoteCategory; text: string; status: 'open' | 'withdrawn'; author_id: string; created_at: Date }>(
            'SELECT * FROM note_versions WHERE note_id = $1 ORDER BY version',
            [id],
          )
        ).map(
          (v): NoteVersion => ({
            version: v.version,
            at: new Date(v.at),
            until: v.until ? new Date(v.until) : null,
            category: v.category,
            text: v.text,
            status: v.status,
            authorId: v.author_id,
            createdAt: new Date(v.created_at),
          }),
        ),
      );
    },

    counts(q) {
      return guard('count feedback', async () => {
        const all = await sql.query<{ t: Date; category: NoteCategory; model: string; firmware: string; notes: string | number; devices: string | number }>(
          `SELECT date_trunc($1, n.at, 'UTC') AS t, n.category, d.model, n.firmware, count(*) AS notes, count(DISTINCT n.device_id) AS devices
           FROM notes n JOIN devices d ON d.id = n.device_id JOIN ownership_periods p ON p.id = n.period_id
           WHERE n.status = 'open' AND n.at >= $2 AND n.at < $3 AND p.fleet_analytics AND NOT (n.device_id = ANY($4::text[]))
             AND ($5::text IS NULL OR d.model = $5) AND ($6::text IS NULL OR n.firmware = $6) AND ($7::text IS NULL OR $7 = ANY(d.tags))
           GROUP BY 1, 2, 3, 4
           ORDER BY 1, 5 DESC, 2, 3, 4`,
          [q.bucket, new Date(q.fromMs), new Date(q.toMs), [...q.excludeDevices], q.model ?? null, q.firmware ?? null, q.tag ?? null],
        );
        const kept = all.filter((r) => Number(r.devices) >= q.minDevices);
        return {
          rows: kept.map(
            (r): FeedbackCountRow => ({ time: new Date(r.t).toISOString(), category: r.category, model: r.model, firmware: r.firmware, notes: Number(r.notes), devices: Number(r.devices) }),
          ),
          suppressedGroups: all.length - kept.length,
        };
      });
    },
  };
}

/** What the conversation shows of a note: its current version and the thread (no text once withdrawn). */
function timelineBody(n: Note): Record<string, unknown> {
  return {
    noteId: n.id,
    version: n.version,
    status: n.status,
    category: n.category,
    text: n.text,
    at: n.at.toISOString(),
    until: n.until?.toISOString() ?? null,
    replies: n.replies.map((r) => ({ id: r.id, authorId: r.authorId, authorKind: r.authorKind, text: r.text, createdAt: r.createdAt.toISOString() })),
  };
}
