import type { FastifyRequest } from 'fastify';
import { requireFleetJustification } from '../access/justification';
import type { ApiDeps } from '../deps';
import { MAX_FLEET_RANGE_DAYS, parseRange, rangeQuery } from '../params';
import { principalOf } from '../principal';

/** Query parameters every fleet route takes (JSON-schema properties). */
export const fleetScopeProps = {
  ...rangeQuery,
  model: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{1,47}$' },
  tag: { type: 'string', pattern: '^[a-z0-9][a-z0-9_.:-]{0,63}$', description: 'Cohort tag, e.g. region:eu-west' },
  firmware: { type: 'string', maxLength: 32 },
  justification: { type: 'string', maxLength: 100 },
} as const;

export type FleetScopeQs = { from?: string; to?: string; model?: string; tag?: string; firmware?: string; justification?: string };

/** Response properties of a k-anonymous fleet aggregate: its range, floor, and what was left out. */
export const fleetSummaryProps = {
  from: { type: 'string', format: 'date-time' },
  to: { type: 'string', format: 'date-time' },
  minDevices: { type: 'integer' },
  excludedDevices: { type: 'integer', description: 'Opted-out devices left out' },
  suppressedGroups: { type: 'integer' },
} as const;

/** The consenting scope of a fleet query: range, opted-out devices to leave out, filters. */
export interface FleetScope {
  fromMs: number;
  toMs: number;
  excludeDevices: string[];
  model?: string;
  tag?: string;
  firmware?: string;
}

/**
 * What every fleet route does first: a fleet justification (logged here — fleet reads touch no
 * single device's data, so they are not in an owner's access log), the range, and the opt-outs.
 */
export async function fleetRequest(deps: ApiDeps, req: FastifyRequest<{ Querystring: FleetScopeQs }>): Promise<FleetScope> {
  const justification = requireFleetJustification(req, req.query.justification);
  req.log.info({ route: req.routeOptions.url, justification: justification.text, account: principalOf(req).accountId }, 'fleet query');
  const { fromMs, toMs } = parseRange(req.query, Date.now(), MAX_FLEET_RANGE_DAYS);
  return {
    fromMs,
    toMs,
    excludeDevices: await deps.registry.ownership.fleetOptOuts(),
    ...(req.query.model ? { model: req.query.model } : {}),
    ...(req.query.tag ? { tag: req.query.tag } : {}),
    ...(req.query.firmware ? { firmware: req.query.firmware } : {}),
  };
}
