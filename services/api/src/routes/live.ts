import type { FastifyPluginAsync } from 'fastify';
import { ConflictError, DependencyError } from '@parley/errors';
import { uplinkItem, type UplinkItem, type UplinkRow } from '@parley/store';
import { deviceScope, OPEN_END_MS, scopeQuery, type DeviceScope, type ScopeQuery } from '../access/device-scope';
import { relationshipItem } from '../conversation/page';
import type { ApiDeps } from '../deps';
import { deviceParams, errorResponses } from '../params';

const HEARTBEAT_MS = 15_000;
/** How often a live tail looks for new relationship entries (claims, grants, commands, inferences). */
const TIMELINE_POLL_MS = 2_000;

/** The conversation item of a freshly stored uplink, narrowed to what `scope` may see (null: nothing). */
export function liveItem(row: UplinkRow, scope: DeviceScope): UplinkItem | null {
  if (scope.window && (row.receivedAtMs < scope.window.fromMs || row.receivedAtMs >= scope.window.toMs)) return null;
  const m = scope.metrics && !scope.metrics.includes('*') ? new Set(scope.metrics) : null;
  const e = scope.events && !scope.events.includes('*') ? new Set(scope.events) : null;
  const samples = scope.metrics && scope.metrics.length === 0 ? [] : row.samples.filter((s) => !m || m.has(s.metric));
  const events = scope.events && scope.events.length === 0 ? [] : row.events.filter((x) => !e || e.has(x.code));
  if (scope.uplinksOnly && samples.length === 0 && events.length === 0) return null;
  return uplinkItem(row, { samples, events, commandResults: scope.uplinksOnly ? [] : row.commandResults });
}

export const liveRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Params: { id: string }; Querystring: ScopeQuery }>(
    '/v1/devices/:id/live',
    {
      config: { access: ['manufacturer', 'owner', 'grantee'] },
      schema: {
        summary: 'Live tail (Server-Sent Events): each uplink as soon as it is queryable, in the same shape as the conversation',
        description:
          'Events: "uplink" (data: a conversation item) as soon as it is queryable, "relationship" (claims, grants, inferences, disputes, command decisions and results; within about 2 s), and a comment line every 15 s as heartbeat. Same access rules as the conversation; grantees get uplinks only.',
        tags: ['conversation'],
        security: [{ bearer: [] }],
        params: deviceParams,
        querystring: { type: 'object', additionalProperties: false, properties: scopeQuery },
        response: errorResponses,
      },
    },
    async (req, reply) => {
      const scope = await deviceScope(deps, req, req.params.id, 'live', req.query);
      if (!deps.live) throw new DependencyError('live_unavailable', 'This API process has no live feed (it runs without an ingester); read the conversation instead.', { retryable: false });
      if (scope.period?.endedAt) throw new ConflictError('period_ended', 'That ownership period has ended; there is nothing live to follow in it.');
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      res.write(': connected\n\n');
      const unsubscribe = deps.live!.subscribe(scope.device.id, (row) => {
        const item = liveItem(row, scope);
        if (item) res.write(`event: uplink\nid: ${item['id'] as string}\ndata: ${JSON.stringify(item)}\n\n`);
      });
      const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      // Relationship entries live in the registry, written by whichever API process served the
      // change: polling it (one indexed query per tail) works the same in every mode.
      let after = { t: Date.now(), id: '0' };
      let polling = false;
      const poll = async () => {
        if (polling || scope.uplinksOnly) return;
        polling = true;
        try {
          const window = scope.window ?? { fromMs: 0, toMs: OPEN_END_MS };
          const entries = await deps.registry.timeline.list({ deviceId: scope.device.id, fromMs: window.fromMs, toMs: window.toMs, order: 'asc', limit: 100, after });
          for (const e of entries) {
            res.write(`event: relationship\nid: ${e.id}\ndata: ${JSON.stringify(relationshipItem(e))}\n\n`);
            after = { t: e.at.getTime(), id: e.id };
          }
        } catch (err) {
          req.log.warn({ err, deviceId: scope.device.id }, 'live tail: could not read the relationship timeline');
        } finally {
          polling = false;
        }
      };
      const timeline = setInterval(() => void poll(), TIMELINE_POLL_MS);
      timeline.unref();
      const close = () => {
        clearInterval(heartbeat);
        clearInterval(timeline);
        unsubscribe();
      };
      req.raw.on('close', close);
      res.on('error', close);
    },
  );
};
