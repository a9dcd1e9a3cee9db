import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, isAppError } from '@parley/errors';
import type { Note, NoteContent } from '@parley/registry';
import { clip, deviceScope, OPEN_END_MS, scopeQuery, type DeviceScope, type ScopeQuery } from '../access/device-scope';
import { currentOwnPeriod } from '../access/owner-period';
import type { ApiDeps } from '../deps';
import { deviceParams, errorResponses, parseRange, parseTime, rangeQuery, timeParam } from '../params';
import { principalOf } from '../principal';
import { idParams } from '../schemas';
import { noteCategory, noteSchema, noteVersionSchema, voiceText } from '../voice-schemas';

const METRIC = { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$', maxLength: 64 } as const;
/** Buckets in a note's telemetry context at most (a note may span up to 31 days). */
const CONTEXT_BUCKETS = 240;

type ContentBody = { at: string; until?: string | null; category: string; text: string };
const contentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['at', 'category', 'text'],
  properties: {
    at: { ...timeParam, description: 'The moment the note is about (ISO 8601 or epoch ms), inside your ownership, not in the future' },
    until: { anyOf: [timeParam, { type: 'null' }], description: 'End of the span the note is about (optional, at most 31 days after at)' },
    category: noteCategory,
    text: voiceText(4000),
  },
} as const;

function content(b: ContentBody): NoteContent {
  return { at: new Date(parseTime('at', b.at, NaN)), until: b.until ? new Date(parseTime('until', b.until, NaN)) : null, category: b.category, text: b.text };
}

const noteQuery = { type: 'object', additionalProperties: false, properties: { justification: scopeQuery.justification } } as const;
const noteIdParams = idParams('noteId');

export const noteRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  /**
   * The note and what the caller may see of it: the scope of its own ownership period (owners of
   * that period; engineers with a justification, logged). Anyone else gets `note_not_found`.
   */
  async function noteScope(req: FastifyRequest<{ Params: { noteId: string }; Querystring: { justification?: string } }>, route: string): Promise<{ note: Note; scope: DeviceScope }> {
    const missing = () => new NotFoundError('note_not_found', `No note "${req.params.noteId}" that you have access to.`);
    const note = await deps.registry.notes.get(req.params.noteId);
    if (!note) throw missing();
    try {
      const scope = await deviceScope(deps, req, note.deviceId, route, { period: note.periodId, ...(req.query.justification ? { justification: req.query.justification } : {}) });
      return { note, scope };
    } catch (err) {
      throw isAppError(err) && err.status === 404 ? missing() : err;
    }
  }

  app.post<{ Params: { id: string }; Body: ContentBody }>(
    '/v1/devices/:id/notes',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Pin a note to a moment (or span) of your device\'s timeline: it joins the conversation both sides see',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: deviceParams,
        body: contentBody,
        response: { 201: noteSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const period = await currentOwnPeriod(deps, p, req.params.id);
      reply.status(201);
      return deps.registry.notes.create({ ...content(req.body), periodId: period.id, authorId: p.accountId });
    },
  );

  app.get<{ Params: { id: string }; Querystring: ScopeQuery & { from?: string; to?: string } }>(
    '/v1/devices/:id/notes',
    {
      config: { access: ['owner', 'manufacturer'] },
      schema: {
        summary: "A device's notes with their replies, current versions (owners: their period's)",
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: { type: 'object', additionalProperties: false, properties: { ...rangeQuery, period: scopeQuery.period, justification: scopeQuery.justification } },
        response: { 200: { type: 'object', properties: { notes: { type: 'array', items: noteSchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      const range = parseRange(req.query);
      const scope = await deviceScope(deps, req, req.params.id, 'notes', req.query);
      const w = clip(range, scope.window);
      return { notes: w ? await deps.registry.notes.ofDevice(req.params.id, w.fromMs, w.toMs) : [] };
    },
  );

  app.put<{ Params: { noteId: string }; Querystring: { justification?: string }; Body: ContentBody }>(
    '/v1/notes/:noteId',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Edit your note: a new version (the conversation shows it; the history keeps the earlier ones)',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: noteIdParams,
        querystring: noteQuery,
        body: contentBody,
        response: { 200: noteSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { note } = await noteScope(req, 'notes/edit');
      return deps.registry.notes.edit(note.id, principalOf(req).accountId, content(req.body));
    },
  );

  app.delete<{ Params: { noteId: string }; Querystring: { justification?: string } }>(
    '/v1/notes/:noteId',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Withdraw your note: the conversation shows it as withdrawn, the history keeps what it said',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: noteIdParams,
        querystring: noteQuery,
        response: { 200: noteSchema, ...errorResponses },
      },
    },
    async (req) => {
      const { note } = await noteScope(req, 'notes/withdraw');
      return deps.registry.notes.withdraw(note.id, principalOf(req).accountId);
    },
  );

  app.post<{ Params: { noteId: string }; Querystring: { justification?: string }; Body: { text: string } }>(
    '/v1/notes/:noteId/replies',
    {
      config: { access: ['owner:co-owner', 'manufacturer:operator'] },
      schema: {
        summary: "Reply to a note: engineers (with a justification) and the note's household while it owns the device",
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: noteIdParams,
        querystring: noteQuery,
        body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: voiceText(4000) } },
        response: { 201: noteSchema, ...errorResponses },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const { note, scope } = await noteScope(req, 'notes/reply');
      if (p.kind === 'owner' && scope.period?.endedAt) throw new ConflictError('period_ended', 'You no longer own this device; its notes can no longer be answered by you.');
      reply.status(201);
      return deps.registry.notes.reply({ noteId: note.id, authorId: p.accountId, authorKind: p.kind, text: req.body.text });
    },
  );

  app.get<{ Params: { noteId: string }; Querystring: { justification?: string } }>(
    '/v1/notes/:noteId/history',
    {
      config: { access: ['owner', 'manufacturer'] },
      schema: {
        summary: 'Every version of a note, oldest first (withdrawn ones included)',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: noteIdParams,
        querystring: noteQuery,
        response: { 200: { type: 'object', properties: { noteId: { type: 'string' }, versions: { type: 'array', items: noteVersionSchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      const { note } = await noteScope(req, 'notes/history');
      return { noteId: note.id, versions: await deps.registry.notes.history(note.id) };
    },
  );

  app.get<{ Params: { noteId: string }; Querystring: { justification?: string; metric?: string; minutes?: number } }>(
    '/v1/notes/:noteId/context',
    {
      config: { access: ['owner', 'manufacturer'] },
      schema: {
        summary: 'The telemetry around a note: the metrics reported from `minutes` before to `minutes` after it, and one metric in buckets',
        tags: ['owner voice'],
        security: [{ bearer: [] }],
        params: noteIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            justification: scopeQuery.justification,
            metric: { ...METRIC, description: 'Also return this metric in time buckets (min/avg/max/last)' },
            minutes: { type: 'integer', minimum: 1, maximum: 1440, default: 10 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              note: noteSchema,
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
              metrics: { type: 'array', items: { type: 'object', properties: { metric: { type: 'string' }, count: { type: 'integer' } } } },
              series: {
                type: ['object', 'null'],
                properties: {
                  metric: { type: 'string' },
                  bucketSeconds: { type: 'integer' },
                  buckets: {
                    type: 'array',
                    items: { type: 'object', properties: { time: { type: 'string' }, count: { type: 'integer' }, min: { type: 'number' }, avg: { type: 'number' }, max: { type: 'number' }, last: { type: 'number' } } },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { note, scope } = await noteScope(req, 'notes/context');
      const margin = (req.query.minutes ?? 10) * 60_000;
      const fromMs = note.at.getTime() - margin;
      const toMs = (note.until ?? note.at).getTime() + margin;
      const window = scope.window ?? { fromMs: 0, toMs: OPEN_END_MS };
      const bucketSeconds = Math.max(10, Math.ceil((toMs - fromMs) / 1000 / CONTEXT_BUCKETS));
      const q = { deviceId: note.deviceId, fromMs, toMs, window };
      const [metrics, series] = await Promise.all([
        deps.store.deviceMetrics(q),
        req.query.metric ? deps.store.metricSeries({ ...q, metric: req.query.metric, bucketSeconds }) : Promise.resolve(null),
      ]);
      return {
        note,
        from: new Date(fromMs).toISOString(),
        to: new Date(toMs).toISOString(),
        metrics,
        series: series ? { metric: series.metric, bucketSeconds: series.bucketSeconds, buckets: series.buckets } : null,
      };
    },
  );
};
