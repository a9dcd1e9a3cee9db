import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ValidationError } from '@parley/errors';
import { robustZ } from '../insight/analyze';
import { requireFleetJustification } from '../access/justification';
import { syncDeviceDimension } from '../fleet/device-dimension';
import { fleetRequest, fleetScopeProps, fleetSummaryProps, type FleetScopeQs } from '../fleet/scope';
import type { ApiDeps } from '../deps';
import { errorResponses, rangeQuery } from '../params';

export const fleetRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const scopeProps = fleetScopeProps;
  type ScopeQs = FleetScopeQs;

  /** Justification, dimension sync and the consenting scope every fleet route shares. */
  async function fleetScope(req: FastifyRequest<{ Querystring: ScopeQs }>) {
    const scope = await fleetRequest(deps, req);
    if (req.query.model || req.query.tag) await syncDeviceDimension(deps.registry, deps.store, req.log);
    return scope;
  }

  app.get<{ Params: { metric: string }; Querystring: ScopeQs & { bucket?: 'all' | 'hour' | 'day' } }>(
    '/v1/fleet/metrics/:metric',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'One metric across the consenting fleet, per firmware version (and hour or day): devices, samples, min/avg/max, p50/p95/p99',
        description:
          'Read from hourly rollups (the range is widened to whole hours; quantiles are t-digest approximations). ' +
          'Devices whose owner opted out of fleet analytics are left out. A group with fewer than k devices (k-anonymity floor, ' +
          'PARLEY_K_ANONYMITY) is suppressed and only counted. Needs justification fleet-analytics or quality-investigation.',
        tags: ['fleet'],
        security: [{ bearer: [] }],
        params: { type: 'object', properties: { metric: { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$', maxLength: 64 } }, required: ['metric'] },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...scopeProps, bucket: { type: 'string', enum: ['all', 'hour', 'day'], default: 'all' } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              metric: { type: 'string' },
              bucket: { type: 'string' },
              ...fleetSummaryProps,
              source: {
                type: 'string',
                enum: ['fleet', 'device'],
                description:
                  'Which rollup answered: the fleet-level one (fast; device counts exact up to about 200, within about 2 % above) or the per-device one ' +
                  '(used for tag filters and while a consent change or erasure is being applied to the fleet rollup)',
              },
              groups: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    time: { type: ['string', 'null'], format: 'date-time' },
                    firmware: { type: 'string' },
                    devices: { type: 'integer' },
                    samples: { type: 'integer' },
                    min: { type: 'number' },
                    avg: { type: 'number' },
                    max: { type: 'number' },
                    p50: { type: 'number' },
                    p95: { type: 'number' },
                    p99: { type: 'number' },
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
      const scope = await fleetScope(req);
      const summary = await deps.store.fleetMetric({ ...scope, metric: req.params.metric, minDevices: deps.policy.kAnonymity, bucket: req.query.bucket ?? 'all' });
      return {
        ...summary,
        from: new Date(scope.fromMs).toISOString(),
        to: new Date(scope.toMs).toISOString(),
        minDevices: deps.policy.kAnonymity,
        excludedDevices: scope.excludeDevices.length,
      };
    },
  );

  app.get<{ Querystring: ScopeQs & { versions: string; metric?: string } }>(
    '/v1/fleet/firmware-comparison',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'Firmware versions side by side: devices, device-days, errors and reboots per device-day, error-free hours',
        description: 'The question every rollout asks, from the hourly rollups. Opt-outs excluded; a version run by fewer than k devices is suppressed (null figures).',
        tags: ['fleet'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['versions'],
          properties: {
            ...rangeQuery,
            model: scopeProps.model,
            tag: scopeProps.tag,
            justification: scopeProps.justification,
            versions: { type: 'string', pattern: '^[0-9A-Za-z.+-]{1,32}(,[0-9A-Za-z.+-]{1,32}){0,7}$', description: 'Comma-separated, e.g. 1.4.2,1.5.0' },
            metric: { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$', maxLength: 64, description: "Also compare this metric's distribution (p50/p95/p99, mean) per version" },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              from: { type: 'string', format: 'date-time' },
              to: { type: 'string', format: 'date-time' },
              minDevices: { type: 'integer' },
              versions: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    firmware: { type: 'string' },
                    devices: { type: ['integer', 'null'] },
                    deviceDays: { type: ['integer', 'null'] },
                    deviceHours: { type: ['integer', 'null'] },
                    errorsPerDeviceDay: { type: ['number', 'null'] },
                    rebootsPerDeviceDay: { type: ['number', 'null'] },
                    stableHoursShare: { type: ['number', 'null'] },
                    distribution: {
                      type: ['object', 'null'],
                      properties: { samples: { type: 'integer' }, min: { type: 'number' }, avg: { type: 'number' }, max: { type: 'number' }, p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' } },
                    },
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
      const scope = await fleetScope(req);
      const health = await deps.store.firmwareComparison({ ...scope, versions: req.query.versions.split(','), minDevices: deps.policy.kAnonymity });
      const dist = req.query.metric ? await deps.store.fleetMetric({ ...scope, metric: req.query.metric, minDevices: deps.policy.kAnonymity, bucket: 'all' }) : null;
      const versions = health.map((h) => {
        const g = dist?.groups.find((x) => x.firmware === h.firmware);
        return { ...h, distribution: g ? { samples: g.samples, min: g.min, avg: g.avg, max: g.max, p50: g.p50, p95: g.p95, p99: g.p99 } : null };
      });
      return { from: new Date(scope.fromMs).toISOString(), to: new Date(scope.toMs).toISOString(), minDevices: deps.policy.kAnonymity, versions };
    },
  );

  app.get<{ Querystring: { hours?: number; model?: string; tag?: string; justification?: string } }>(
    '/v1/fleet/activity',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'Known devices that reported in the last N hours, and those that went silent (consenting devices)',
        tags: ['fleet'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            hours: { type: 'integer', minimum: 1, maximum: 24 * 90, default: 24 },
            model: scopeProps.model,
            tag: scopeProps.tag,
            justification: scopeProps.justification,
          },
        },
        response: {
          200: { type: 'object', properties: { hours: { type: 'integer' }, devices: { type: 'integer' }, active: { type: 'integer' }, silent: { type: 'integer' } } },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      requireFleetJustification(req, req.query.justification);
      await syncDeviceDimension(deps.registry, deps.store, req.log);
      const hours = req.query.hours ?? 24;
      const activity = await deps.store.fleetActivity({
        hours,
        nowMs: Date.now(),
        excludeDevices: await deps.registry.ownership.fleetOptOuts(),
        ...(req.query.model ? { model: req.query.model } : {}),
        ...(req.query.tag ? { tag: req.query.tag } : {}),
      });
      return { hours, ...activity };
    },
  );

  app.get<{ Querystring: ScopeQs & { bucket?: 'all' | 'hour' | 'day' } }>(
    '/v1/fleet/events',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'Event codes across the consenting fleet, by severity and firmware (and hour or day: an error-rate trend), with the devices behind each (groups under k suppressed)',
        tags: ['fleet'],
        security: [{ bearer: [] }],
        querystring: { type: 'object', additionalProperties: false, properties: { ...scopeProps, bucket: { type: 'string', enum: ['all', 'hour', 'day'], default: 'all' } } },
        response: {
          200: {
            type: 'object',
            properties: {
              suppressedGroups: { type: 'integer' },
              events: {
                type: 'array',
                items: { type: 'object', properties: { time: { type: ['string', 'null'], format: 'date-time' }, code: { type: 'string' }, severity: { type: 'string' }, firmware: { type: 'string' }, events: { type: 'integer' }, devices: { type: 'integer' } } },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      const r = await deps.store.eventBreakdown({ ...(await fleetScope(req)), minDevices: deps.policy.kAnonymity, bucket: req.query.bucket ?? 'all' });
      return { suppressedGroups: r.suppressedGroups, events: r.rows };
    },
  );

  app.get<{ Querystring: ScopeQs & { by: 'error-rate' | 'deviation'; metric?: string; n?: number } }>(
    '/v1/fleet/outliers',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'Top-N consenting devices by error rate, or by deviation of a metric from their cohort (robust z-score)',
        tags: ['fleet'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['by'],
          properties: {
            ...scopeProps,
            by: { type: 'string', enum: ['error-rate', 'deviation'] },
            metric: { type: 'string', pattern: '^[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*$', maxLength: 64 },
            n: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              by: { type: 'string' },
              devices: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    deviceId: { type: 'string' },
                    firmware: { type: 'string' },
                    errors: { type: 'integer' },
                    deviceDays: { type: 'integer' },
                    errorsPerDay: { type: 'number' },
                    mean: { type: 'number' },
                    cohortMedian: { type: 'number' },
                    z: { type: 'number' },
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
      const scope = await fleetScope(req);
      const n = req.query.n ?? 10;
      if (req.query.by === 'error-rate') return { by: 'error-rate', devices: await deps.store.topErrorDevices({ ...scope, limit: n }) };
      if (!req.query.metric) throw new ValidationError('metric_required', 'Outliers by deviation need "metric", e.g. metric=power_w.');
      const means = await deps.store.deviceMeans({ ...scope, metric: req.query.metric });
      if (means.length < deps.policy.kAnonymity) return { by: 'deviation', devices: [] };
      const { median: cohortMedian, z } = robustZ(means.map((m) => m.mean));
      const ranked = means.map((m, i) => ({ ...m, cohortMedian, z: z[i]! })).sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || a.deviceId.localeCompare(b.deviceId));
      return { by: 'deviation', devices: ranked.slice(0, n) };
    },
  );

  app.get<{ Querystring: { hours?: number; model?: string; tag?: string; limit?: number; justification?: string } }>(
    '/v1/fleet/silent',
    {
      config: { access: ['manufacturer'] },
      schema: {
        summary: 'Which consenting known devices went silent (nothing in the last N hours), longest silent first, with when they were last heard',
        tags: ['fleet'],
        security: [{ bearer: [] }],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            hours: { type: 'integer', minimum: 1, maximum: 24 * 90, default: 24 },
            model: scopeProps.model,
            tag: scopeProps.tag,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            justification: scopeProps.justification,
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              hours: { type: 'integer' },
              devices: { type: 'array', items: { type: 'object', properties: { deviceId: { type: 'string' }, model: { type: 'string' }, lastHour: { type: ['string', 'null'], format: 'date-time' } } } },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (req) => {
      requireFleetJustification(req, req.query.justification);
      await syncDeviceDimension(deps.registry, deps.store, req.log);
      const hours = req.query.hours ?? 24;
      const devices = await deps.store.silentDevices({
        sinceMs: Date.now() - hours * 3_600_000,
        excludeDevices: await deps.registry.ownership.fleetOptOuts(),
        limit: req.query.limit ?? 100,
        ...(req.query.model ? { model: req.query.model } : {}),
        ...(req.query.tag ? { tag: req.query.tag } : {}),
      });
      return { hours, devices };
    },
  );
};
