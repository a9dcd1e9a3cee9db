import type { FastifyPluginAsync } from 'fastify';
import { NotFoundError } from '@parley/errors';
import type { ApiDeps, DeviceView } from '../deps';
import { deviceParams, errorResponses } from '../params';

const deviceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    model: { type: 'string' },
    firmware: { type: 'string' },
    status: { type: 'string', enum: ['active', 'disabled'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
  required: ['id', 'model', 'firmware', 'status', 'createdAt'],
} as const;

const view = (d: DeviceView) => ({ id: d.id, model: d.model, firmware: d.firmware, status: d.status, createdAt: d.createdAt.toISOString() });

/** Looks a device up or answers 404 — every per-device route starts here. */
export async function requireDevice(deps: ApiDeps, id: string): Promise<DeviceView> {
  const device = await deps.devices.getDevice(id);
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
      const page = await deps.devices.listDevices({ limit, ...(model ? { model } : {}), ...(cursor ? { cursor } : {}) });
      return { devices: page.devices.map(view), nextCursor: page.nextCursor };
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
    async (req) => view(await requireDevice(deps, req.params.id)),
  );

  app.post<{ Body: { model: string; firmware: string; count: number } }>(
    '/v1/devices',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'Provision devices; returns their secrets once',
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
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              devices: {
                type: 'array',
                items: { ...deviceSchema, properties: { ...deviceSchema.properties, secret: { type: 'string' } }, required: [...deviceSchema.required, 'secret'] },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req, reply) => {
      const created = await deps.devices.provisionDevices(req.body);
      req.log.info({ model: req.body.model, count: created.length }, 'devices provisioned');
      reply.status(201);
      return { devices: created.map((d) => ({ ...view(d), secret: d.secret })) };
    },
  );
};
