import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError } from '@parley/errors';
import { checkDestinationUrl } from '@parley/delivery';
import type { Destination } from '@parley/registry';
import { currentOwnPeriod, ownPeriods } from '../access/owner-period';
import type { ApiDeps } from '../deps';
import { deviceParams, errorResponses, pageQuery } from '../params';
import { principalOf, type Principal } from '../principal';
import { idParams, receiptSchema, time, timeOrNull } from '../schemas';

const names = { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 64 } } as const;

export const destinationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    deviceId: { type: 'string' },
    periodId: { type: 'string' },
    kind: { type: 'string', enum: ['webhook', 'mqtt'] },
    name: { type: 'string' },
    purpose: { type: 'string' },
    url: { type: 'string' },
    topic: { type: ['string', 'null'] },
    username: { type: ['string', 'null'] },
    hasPassword: { type: 'boolean' },
    metrics: { type: 'array', items: { type: 'string' } },
    events: { type: 'array', items: { type: 'string' } },
    createdBy: { type: 'string' },
    createdAt: time,
    endedAt: timeOrNull,
    endReason: { type: ['string', 'null'] },
    receiptId: { type: 'string' },
    status: { type: 'string', enum: ['active', 'deleted', 'ended'] },
    delivery: {
      type: 'object',
      description: 'How deliveries are going: queue length and age (lag), counters, the last error and the next retry',
      properties: {
        pending: { type: 'integer' },
        dead: { type: 'integer' },
        oldestPendingAt: timeOrNull,
        lagSeconds: { type: 'number', description: 'Age of the oldest pending record (0 when nothing waits)' },
        delivered: { type: 'integer' },
        failedAttempts: { type: 'integer' },
        deadLettered: { type: 'integer' },
        skipped: { type: 'integer' },
        lastDeliveredAt: timeOrNull,
        lastError: { type: ['string', 'null'] },
        lastErrorAt: timeOrNull,
        retryAt: timeOrNull,
      },
    },
  },
} as const;

const deadLetterSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    source: { type: 'string', description: 'Log position of the record' },
    receivedAt: time,
    message: { type: 'object', additionalProperties: true, description: 'The record as it was sent' },
    attempts: { type: 'integer' },
    lastError: { type: ['string', 'null'] },
    deadAt: timeOrNull,
  },
} as const;

interface DestinationBody {
  kind: 'webhook' | 'mqtt';
  name: string;
  url: string;
  topic?: string;
  username?: string;
  password?: string;
  metrics?: string[];
  events?: string[];
  purpose?: string;
}

/** The owner's view: plus the lag in seconds, computed at answer time. */
const view = (d: Destination) => ({
  ...d,
  delivery: { ...d.delivery, lagSeconds: d.delivery.oldestPendingAt ? Math.max(0, (Date.now() - d.delivery.oldestPendingAt.getTime()) / 1000) : 0 },
});

/**
 * The destination if it belongs to one of the caller's household's periods (`current`: the open
 * one — changes need current ownership); otherwise the same 404 as for one that does not exist.
 */
async function ownDestination(deps: ApiDeps, p: Principal, id: string, current: boolean): Promise<Destination> {
  const destination = await deps.registry.destinations.get(id);
  const period = destination ? await deps.registry.ownership.get(destination.periodId) : null;
  if (!destination || !period || p.kind !== 'owner' || period.ownerId !== p.ownerId || (current && period.endedAt)) {
    throw new NotFoundError('destination_not_found', `No destination "${id}" of yours${current ? ' on a device you own now' : ''}.`);
  }
  return destination;
}

export const destinationRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const policy = { allowInsecure: deps.policy.deliveryAllowInsecureTargets ?? false };
  const destinationParams = idParams('destinationId');

  app.post<{ Params: { id: string }; Body: DestinationBody }>(
    '/v1/devices/:id/destinations',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: "Push this device's stream to an HTTPS webhook or an MQTT topic you choose",
        description:
          'Every accepted uplink the platform receives from now until you delete the destination or your ownership ends, narrowed to the listed ' +
          'metrics and event codes ("*" = all), is sent in order: a webhook gets signed POSTs (header Parley-Signature: t=<unix>,v1=<hex HMAC-SHA256 of ' +
          '"<t>.<body>"> with the secret returned here once), an MQTT destination one QoS 1 publish per record on your topic. A consent receipt is issued.',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: deviceParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['kind', 'name', 'url'],
          properties: {
            kind: { type: 'string', enum: ['webhook', 'mqtt'] },
            name: { type: 'string', minLength: 1, maxLength: 80 },
            url: { type: 'string', minLength: 1, maxLength: 2048, description: 'webhook: https://…; mqtt: mqtts://host[:port]' },
            topic: { type: 'string', minLength: 1, maxLength: 256, description: 'mqtt: the topic to publish on (no wildcards)' },
            username: { type: 'string', minLength: 1, maxLength: 256 },
            password: { type: 'string', minLength: 1, maxLength: 1024 },
            metrics: names,
            events: names,
            purpose: { type: 'string', minLength: 3, maxLength: 200 },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              destination: destinationSchema,
              receipt: receiptSchema,
              secret: { type: 'string', description: 'webhook: the signing secret, shown only here' },
            },
          },
          ...errorResponses,
          409: errorResponses[400],
        },
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      const period = await currentOwnPeriod(deps, p, req.params.id);
      const b = req.body;
      const url = checkDestinationUrl(b.kind, b.url, policy);
      const { destination, receipt, secret } = await deps.registry.destinations.create({
        periodId: period.id,
        kind: b.kind,
        name: b.name,
        url,
        ...(b.topic !== undefined ? { topic: b.topic } : {}),
        ...(b.username !== undefined ? { username: b.username } : {}),
        ...(b.password !== undefined ? { password: b.password } : {}),
        metrics: b.metrics ?? [],
        events: b.events ?? [],
        ...(b.purpose !== undefined ? { purpose: b.purpose } : {}),
        createdBy: p.accountId,
      });
      req.log.info({ deviceId: destination.deviceId, destination: destination.id, kind: destination.kind }, 'destination created');
      reply.status(201);
      return { destination: view(destination), receipt, ...(secret ? { secret } : {}) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id/destinations',
    {
      config: { access: ['owner'] },
      schema: {
        summary: "Where this device's data is pushed in your period(s), newest first, with delivery status",
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: deviceParams,
        response: { 200: { type: 'object', properties: { destinations: { type: 'array', items: destinationSchema } } }, ...errorResponses },
      },
    },
    async (req) => {
      const periods = await ownPeriods(deps, principalOf(req), req.params.id);
      const destinations = (await Promise.all(periods.map((x) => deps.registry.destinations.ofPeriod(x.id)))).flat();
      return { destinations: destinations.map(view) };
    },
  );

  app.get<{ Params: { destinationId: string } }>(
    '/v1/destinations/:destinationId',
    {
      config: { access: ['owner'] },
      schema: {
        summary: 'One destination with its delivery status: pending records and their age (lag), failures, the last error, the next retry',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: destinationParams,
        response: { 200: destinationSchema, ...errorResponses },
      },
    },
    async (req) => view(await ownDestination(deps, principalOf(req), req.params.destinationId, false)),
  );

  app.delete<{ Params: { destinationId: string } }>(
    '/v1/destinations/:destinationId',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Stop pushing: nothing more is queued or sent; waiting records and dead letters are dropped',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: destinationParams,
        response: { 200: destinationSchema, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      await ownDestination(deps, p, req.params.destinationId, true);
      return view(await deps.registry.destinations.remove(req.params.destinationId, p.accountId));
    },
  );

  app.get<{ Params: { destinationId: string }; Querystring: { limit?: number; cursor?: string } }>(
    '/v1/destinations/:destinationId/dead-letters',
    {
      config: { access: ['owner'] },
      schema: {
        summary: 'Records the destination did not take (after the last retry, or refused with a 4xx), newest first',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: destinationParams,
        querystring: pageQuery(500),
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: deadLetterSchema }, nextCursor: { type: ['string', 'null'] } } }, ...errorResponses },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const destination = await ownDestination(deps, p, req.params.destinationId, false);
      const page = await deps.registry.destinations.deadLetters({ destinationId: destination.id, limit: req.query.limit ?? 100, ...(req.query.cursor ? { before: req.query.cursor } : {}) });
      // Dead letters are the device's data: reading them is a read like any other.
      await deps.registry.accessLog.record({
        deviceId: destination.deviceId,
        periodId: destination.periodId,
        accountId: p.accountId,
        kind: p.kind,
        role: p.role,
        route: 'destination-dead-letters',
        purpose: 'owner',
        grantId: null,
      });
      return page;
    },
  );

  app.post<{ Params: { destinationId: string }; Body: { ids?: string[] } | undefined }>(
    '/v1/destinations/:destinationId/replay',
    {
      config: { access: ['owner:co-owner'] },
      schema: {
        summary: 'Send dead letters again (the listed ids, or all): they go ahead of newer records, in their original order',
        tags: ['sharing'],
        security: [{ bearer: [] }],
        params: destinationParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', pattern: '^[0-9]{1,18}$' } } },
        },
        response: { 200: { type: 'object', properties: { replayed: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (req) => {
      const destination = await ownDestination(deps, principalOf(req), req.params.destinationId, true);
      return { replayed: await deps.registry.destinations.replay(destination.id, req.body?.ids) };
    },
  );
};
