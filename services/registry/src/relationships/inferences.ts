import { NotFoundError, ValidationError } from '@parley/errors';
import type { Sql } from '../db';
import { guard } from './guard';
import { newId } from './ids';
import { addTimeline } from './timeline';
import type { Evidence, Inference, InferenceNote, Inferences, InferenceStatus } from './types';

const CODE_PATTERN = /^[a-z][a-z0-9_.-]{1,63}$/;
const EVIDENCE_KINDS = new Set(['uplink', 'metric', 'event', 'url']);
const RESPONSE_STATUSES = new Set<InferenceStatus>(['upheld', 'corrected', 'withdrawn']);

interface Row {
  id: string;
  device_id: string;
  code: string;
  title: string;
  detail: string;
  evidence: Evidence[];
  status: InferenceStatus;
  author_id: string;
  created_at: Date;
  updated_at: Date;
}

interface NoteRow {
  id: string;
  inference_id: string;
  kind: InferenceNote['kind'];
  body: string;
  author_id: string;
  author_kind: string;
  created_at: Date;
}

const toNote = (r: NoteRow): InferenceNote => ({ id: r.id, kind: r.kind, body: r.body, authorId: r.author_id, authorKind: r.author_kind, createdAt: new Date(r.created_at) });

function text(field: string, value: string, max: number): string {
  const t = typeof value === 'string' ? value.trim() : '';
  if (t.length < 1 || t.length > max) throw new ValidationError('invalid_inference', `"${field}" must have 1 to ${max} characters.`);
  return t;
}

function validateEvidence(evidence: Evidence[]): Evidence[] {
  if (!Array.isArray(evidence) || evidence.length === 0 || evidence.length > 50) {
    throw new ValidationError('invalid_evidence', 'An inference needs 1 to 50 pieces of evidence ({kind: uplink|metric|event|url, ref}); nothing is a hidden note.');
  }
  return evidence.map((e) => {
    if (!EVIDENCE_KINDS.has(e.kind) || typeof e.ref !== 'string' || e.ref.length < 1 || e.ref.length > 500) {
      throw new ValidationError('invalid_evidence', 'Each piece of evidence is {kind: uplink|metric|event|url, ref (1–500 characters), from?, to?, note?}.');
    }
    return { kind: e.kind, ref: e.ref, ...(e.from ? { from: e.from } : {}), ...(e.to ? { to: e.to } : {}), ...(e.note ? { note: String(e.note).slice(0, 500) } : {}) };
  });
}

export function sqlInferences(sql: Sql): Inferences {
  async function load(rows: Row[], db: Sql = sql): Promise<Inference[]> {
    if (rows.length === 0) return [];
    const notes = await db.query<NoteRow>('SELECT * FROM inference_notes WHERE inference_id = ANY($1::text[]) ORDER BY created_at, id', [rows.map((r) => r.id)]);
    return rows.map((r) => ({
      id: r.id,
      deviceId: r.device_id,
      code: r.code,
      title: r.title,
      detail: r.detail,
      evidence: r.evidence,
      status: r.status,
      authorId: r.author_id,
      createdAt: new Date(r.created_at),
      updatedAt: new Date(r.updated_at),
      notes: notes.filter((n) => n.inference_id === r.id).map(toNote),
    }));
  }

  const get = async (id: string) => (await load(await sql.query<Row>('SELECT * FROM inferences WHERE id = $1', [id])))[0] ?? null;

  return {
    async create(i) {
      if (!CODE_PATTERN.test(i.code)) throw new ValidationError('invalid_inference', '"code" is a short machine name such as "door_seal_degraded".');
      const title = text('title', i.title, 200);
      const detail = text('detail', i.detail, 4000);
      const evidence = validateEvidence(i.evidence);
      return guard('record an inference', () =>
        sql.transaction(async (tx) => {
          const id = newId('inf');
          await tx.query(`INSERT INTO inferences (id, device_id, code, title, detail, evidence, status, author_id) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)`, [
            id,
            i.deviceId,
            i.code,
            title,
            detail,
            JSON.stringify(evidence),
            i.authorId,
          ]);
          await addTimeline(tx, { deviceId: i.deviceId, kind: 'inference', actor: i.authorId, subjectId: id, body: { inferenceId: id, code: i.code, title, detail, evidence, status: 'open' } });
          return (await load(await tx.query<Row>('SELECT * FROM inferences WHERE id = $1', [id]), tx))[0]!;
        }),
      );
    },

    get(id) {
      return guard('read an inference', () => get(id));
    },

    ofDevice(deviceId, fromMs, toMs) {
      return guard('list inferences', async () =>
        load(
          await sql.query<Row>('SELECT * FROM inferences WHERE device_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at DESC, id', [
            deviceId,
            new Date(fromMs),
            new Date(toMs),
          ]),
        ),
      );
    },

    async addNote(n) {
      const body = text('body', n.body, 4000);
      if (n.status !== undefined && (n.kind !== 'response' || !RESPONSE_STATUSES.has(n.status))) {
        throw new ValidationError('invalid_status', 'Only a manufacturer response sets a status, one of: upheld, corrected, withdrawn.');
      }
      return guard('add a note', () =>
        sql.transaction(async (tx) => {
          const [inf] = await tx.query<Row>('SELECT * FROM inferences WHERE id = $1 FOR UPDATE', [n.inferenceId]);
          if (!inf) throw new NotFoundError('inference_not_found', `No inference "${n.inferenceId}".`);
          const id = newId('note');
          await tx.query('INSERT INTO inference_notes (id, inference_id, kind, body, author_id, author_kind) VALUES ($1, $2, $3, $4, $5, $6)', [
            id,
            n.inferenceId,
            n.kind,
            body,
            n.authorId,
            n.authorKind,
          ]);
          const status: InferenceStatus = n.kind === 'dispute' ? 'disputed' : (n.status ?? inf.status);
          if (status !== inf.status) await tx.query('UPDATE inferences SET status = $2, updated_at = now() WHERE id = $1', [n.inferenceId, status]);
          await addTimeline(tx, {
            deviceId: inf.device_id,
            kind: n.kind === 'dispute' ? 'inference_disputed' : n.kind === 'annotation' ? 'inference_annotated' : 'inference_response',
            actor: n.authorId,
            subjectId: n.inferenceId,
            body: { inferenceId: n.inferenceId, noteId: id, body, status },
          });
          return (await load(await tx.query<Row>('SELECT * FROM inferences WHERE id = $1', [n.inferenceId]), tx))[0]!;
        }),
      );
    },
  };
}
