import { Readable } from 'node:stream';
import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError, ValidationError } from '@parley/errors';
import { newId } from '@parley/registry';
import { deviceScope, scopeQuery } from '../access/device-scope';
import type { ApiDeps } from '../deps';
import { CSV_COLUMNS, csvLine } from '../export/csv';
import { csvRows, exportRecords } from '../export/records';
import { deviceParams, errorResponses } from '../params';
import { principalOf } from '../principal';
import { receiptSchema } from '../schemas';

export const exportRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Params: { id: string }; Querystring: { format?: 'jsonl' | 'csv'; period?: string } }>(
    '/v1/devices/:id/export',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Download everything from your ownership period: conversation, samples, grants, receipts, access log, inferences, commands',
        description: 'Streamed (JSON Lines: one {"type": …} record per line; or CSV: one row per sample/event/…), so large exports never sit in memory.',
        tags: ['export'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { format: { type: 'string', enum: ['jsonl', 'csv'], default: 'jsonl' }, period: scopeQuery.period },
        },
        response: errorResponses,
      },
    },
    async (req, reply) => {
      const scope = await deviceScope(deps, req, req.params.id, 'export', req.query);
      const csv = req.query.format === 'csv';
      const records = exportRecords(deps, scope);
      const lines = async function* () {
        if (csv) yield CSV_COLUMNS.join(',') + '\r\n';
        for await (const r of records) {
          if (csv) for (const row of csvRows(r)) yield csvLine(row);
          else yield JSON.stringify(r) + '\n';
        }
      };
      const name = `parley-${scope.device.id}-${scope.period!.id}.${csv ? 'csv' : 'jsonl'}`;
      reply
        .header('content-type', csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="${name}"`)
        .header('cache-control', 'no-store');
      return reply.send(Readable.from(lines(), { objectMode: false }));
    },
  );

  app.post<{ Params: { id: string }; Body: { confirm: string; period?: string } }>(
    '/v1/devices/:id/erase',
    {
      config: { access: ['owner:owner'] },
      schema: {
        summary: 'Erase your ownership period: its telemetry, conversation, grants, access log and personal data; returns a deletion receipt',
        description:
          'Ends the period first if you still own the device (like a release, but nothing of the period remains). Send {"confirm": "<device id>"}. ' +
          'Fleet aggregates computed earlier from consenting data may remain; the durable log keeps raw payloads until its retention (default 7 days) removes them.',
        tags: ['export'],
        security: [{ bearer: [] }],
        params: deviceParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['confirm'],
          properties: { confirm: { type: 'string', maxLength: 128 }, period: scopeQuery.period },
        },
        response: { 200: { type: 'object', properties: { receipt: receiptSchema } }, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (p.kind !== 'owner') throw new Error('unreachable');
      const periods = await deps.registry.ownership.ofOwner(p.ownerId, req.params.id);
      const chosen = req.body.period === undefined ? periods[0] : periods.find((x) => x.id === req.body.period);
      if (!chosen) throw new NotFoundError('device_not_found', `No device "${req.params.id}" (or period) of yours.`);
      if (req.body.confirm !== req.params.id) throw new ValidationError('confirmation_required', `Erasure cannot be undone: send {"confirm": "${req.params.id}"} to confirm.`);
      const period = await deps.registry.erasure.end(chosen.id, p.accountId);
      const window = { fromMs: period.startedAt.getTime(), toMs: period.endedAt!.getTime() };
      const telemetry = await deps.store.eraseDeviceWindow({ deviceId: period.deviceId, ...window });
      const { counts } = await deps.registry.erasure.erase(period.id);
      const receipt = await deps.registry.grants.addReceipt({
        id: newId('rcpt'),
        kind: 'deletion',
        deviceId: period.deviceId,
        periodId: period.id,
        granteeId: null,
        body: {
          type: 'deletion-receipt',
          deviceId: period.deviceId,
          periodId: period.id,
          window: { from: period.startedAt.toISOString(), to: period.endedAt!.toISOString() },
          requestedBy: p.accountId,
          erasedAt: new Date().toISOString(),
          deleted: { telemetry, registry: counts },
          retained: [
            'the ownership period record itself (id, device, start, end, "erased") so later owners stay separated',
            'fleet aggregates computed earlier from consenting data (no per-device rows)',
            'raw payloads in the durable log until its retention deletes them (PARLEY_LOG_RETENTION_HOURS, default 168)',
          ],
        },
      });
      req.log.info({ deviceId: period.deviceId, period: period.id, telemetry, registry: counts }, 'ownership period erased');
      return { receipt };
    },
  );
};
