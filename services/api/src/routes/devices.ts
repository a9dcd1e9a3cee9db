import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError } from '@parley/errors';
import type { DeviceRecord } from '@parley/registry';
import type { ApiDeps } from '../deps';
import { deviceParams, errorResponses } from '../params';

const tagsSchema = { type: 'array', maxItems: 16, items: { type: 'string', pattern: '^[a-z0-9][a-z0-9_.:-]{0,63}$' } } as const;

export const deviceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    model: { type: 'string' },
    firmware: { type: 'string' },
    status: { type: 'string', enum: ['active', 'disabled'] },
    tags: { type: 'array', items: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'model', 'firmware', 'status', 'tags', 'createdAt'],
} as const;

export const deviceView = (d: DeviceRecord) => ({ id: d.id, model: d.model, firmware: d.firmware, status: d.status, tags: d.tags, createdAt: d.createdAt.toISOString() });

/** Looks a device up or answers 404 — every per-device route starts here. */
export async function requireDevice(deps: ApiDeps, id: string): Promise<DeviceRecord> {
  const device = await deps.registry.getDevice(id);
  if (!device) throw new NotFoundError('device_not_found', `No device with id "${id}". List devices with GET /v1/devices.`);
  return device;
}

export const deviceRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.get<{ Querystring: { model?: string; limit?: number; cursor?: string } }>(
    '/v1/devices',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'List provisioned devices',
        tags: ['devices'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            model: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,47}$' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            cursor: { type: 'string', maxLength: 200 },
          },
        },
        response: {
          200: { type: 'object', properties: { devices: { type: 'array', items: deviceSchema }, nextCursor: { type: ['string', 'null'] } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const { model, limit = 100, cursor } = req.query;
      const page = await deps.registry.listDevices({ limit, ...(model ? { model } : {}), ...(cursor ? { cursor } : {}) });
      return { devices: page.devices.map(deviceView), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/devices/:id',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'One device',
        tags: ['devices'],
        security: [{ bearer: [] }],
        params: deviceParams,
        response: { 200: deviceSchema, ...errorResponses },
      },
    },
    async (req) => deviceView(await requireDevice(deps, req.params.id)),
  );

  app.post<{ Body: { model: string; firmware: string; count: number; tags?: string[] } }>(
    '/v1/devices',
    {
      config: { access: ['manufacturer:admin'] },
      schema: {
        summary: 'Provision devices; returns their secrets and claim codes once',
        tags: ['devices'],
        security: [{ bearer: [] }],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['model', 'firmware', 'count'],
          properties: {
            model: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,47}$' },
            firmware: { type: 'string', minLength: 1, maxLength: 32 },
            count: { type: 'integer', minimum: 1, maximum: 10000 },
            tags: { ...tagsSchema, description: 'Cohort tags for every device, e.g. ["region:eu-west", "cohort:beta"]' },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              devices: {
                type: 'array',
                items: {
                  ...deviceSchema,
                  properties: { ...deviceSchema.properties, secret: { type: 'string' }, claimCode: { type: 'string', description: 'One-time code the owner claims the device with (print it on the box)' } },
                  required: [...deviceSchema.required, 'secret', 'claimCode'],
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const created = await deps.registry.provisionDevices(req.body);
      // The device dimension lets fleet queries filter by model inside ClickHouse.
      await deps.store.upsertDevices(created.map((d) => ({ deviceId: d.id, model: d.model, tags: d.tags })));
      req.log.info({ model: req.body.model, count: created.length }, 'devices provisioned');
      reply.status(201);
      return { devices: created.map((d) => ({ ...deviceView(d), secret: d.secret, claimCode: d.claimCode })) };
    },
  );

  app.put<{ Params: { id: string }; Body: { tags: string[] } }>(
    '/v1/devices/:id/tags',
    {
      config: { access: ['manufacturer:operator'] },
      schema: {
        summary: "Replace a device's cohort tags (region, cohort, installer …) used by fleet analytics",
        tags: ['devices'],
        security: [{ bearer: [] }],
        params: deviceParams,
        body: { type: 'object', additionalProperties: false, required: ['tags'], properties: { tags: tagsSchema } },
        response: { 200: deviceSchema, ...errorResponses },
      },
    },
    async (req) => {
      const device = await deps.registry.setTags(req.params.id, req.body.tags);
      await deps.store.upsertDevices([{ deviceId: device.id, model: device.model, tags: device.tags }]);
      return deviceView(device);
    },
  );
};
