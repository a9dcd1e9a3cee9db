import type { FastifyRequest } from 'fastify';
import { ForbiddenError, NotFoundError } from '@parley/errors';
import type { DeviceRecord, Grant, OwnershipPeriod } from '@parley/registry';
import type { ApiDeps } from '../deps';
import { principalOf, type Principal } from '../principal';
import { requestJustification } from './justification';

/** Far enough ahead for "still open"; inside ClickHouse's DateTime64 range. */
export const OPEN_END_MS = Date.UTC(2200, 0, 1);

/** What one request may see of one device, after every check passed. */
export interface DeviceScope {
  device: DeviceRecord;
  principal: Principal;
  /** Server-time window [fromMs, toMs) of visible data; undefined = all (manufacturer, whole history). */
  window?: { fromMs: number; toMs: number };
  /** Granted metrics / event codes (`'*'` = all of that kind); undefined = no narrowing. */
  metrics?: string[];
  events?: string[];
  /** Grantees see only the granted uplink data: no downlinks, no relationship timeline. */
  uplinksOnly: boolean;
  /** The ownership period whose data this is (owner view, a grant, or a manufacturer read of one period). */
  period: OwnershipPeriod | null;
  grant: Grant | null;
  /** What goes into the access log: the justification, the grant's purpose, or "owner". */
  purpose: string;
}

/** Query parameters every per-device read accepts. */
export interface ScopeQuery {
  period?: string;
  grant?: string;
  justification?: string;
}

/** JSON-schema properties of {@link ScopeQuery}. */
export const scopeQuery = {
  period: { type: 'string', pattern: '^per_[0-9a-z]{16}$', description: 'Ownership period id (owners: one of yours; default: your latest)' },
  grant: { type: 'string', pattern: '^gr_[0-9a-z]{16}$', description: 'Grantees: which of your grants on this device to use (default: the newest active one)' },
  justification: { type: 'string', maxLength: 100, description: 'Manufacturer: why you read this (or header X-Parley-Justification), e.g. support-case:4711' },
} as const;

const noDevice = (id: string) => new NotFoundError('device_not_found', `No device "${id}" that you have access to.`);

function periodWindow(p: OwnershipPeriod): { fromMs: number; toMs: number } {
  return { fromMs: p.startedAt.getTime(), toMs: p.endedAt ? p.endedAt.getTime() : OPEN_END_MS };
}

/**
 * Decides what the caller may read of `deviceId` and records the read in the access log.
 * Owners see their own periods only; grantees their active grant's scope inside the granting
 * period; manufacturer engineers everything, with a stated justification — and for a device whose
 * owner opted out of fleet analytics, only with a support case.
 * Anyone without access gets the same 404 as for a device that does not exist.
 */
export async function deviceScope(deps: ApiDeps, req: FastifyRequest, deviceId: string, route: string, q: ScopeQuery): Promise<DeviceScope> {
  const principal = principalOf(req);
  const device = await deps.registry.getDevice(deviceId);
  if (!device) throw noDevice(deviceId);
  const scope = await resolve(deps, req, principal, device, q);
  await deps.registry.accessLog.record({
    deviceId,
    periodId: scope.period?.id ?? (await deps.registry.ownership.current(deviceId))?.id ?? null,
    accountId: principal.accountId,
    kind: principal.kind,
    role: principal.role,
    route,
    purpose: scope.purpose,
    grantId: scope.grant?.id ?? null,
  });
  return scope;
}

async function resolve(deps: ApiDeps, req: FastifyRequest, principal: Principal, device: DeviceRecord, q: ScopeQuery): Promise<DeviceScope> {
  const base = { device, principal, uplinksOnly: false, grant: null };
  if (principal.kind === 'owner') {
    const periods = await deps.registry.ownership.ofOwner(principal.ownerId, device.id);
    const period = q.period === undefined ? periods[0] : periods.find((p) => p.id === q.period);
    if (!period) {
      if (periods.length > 0) throw new NotFoundError('period_not_found', `Period "${q.period}" is not one of yours for this device; list yours at GET /v1/devices/${device.id}/ownership.`);
      throw noDevice(device.id);
    }
    return { ...base, window: periodWindow(period), period, purpose: 'owner' };
  }

  if (principal.kind === 'grantee') {
    const grants = await deps.registry.grants.activeFor(principal.accountId, device.id);
    const grant = q.grant === undefined ? grants[0] : grants.find((g) => g.id === q.grant);
    if (!grant) throw noDevice(device.id);
    const period = (await deps.registry.ownership.get(grant.periodId))!;
    const pw = periodWindow(period);
    const window = {
      fromMs: Math.max(pw.fromMs, grant.dataFrom?.getTime() ?? 0),
      toMs: Math.min(pw.toMs, grant.dataTo?.getTime() ?? OPEN_END_MS),
    };
    return { ...base, window, metrics: grant.metrics, events: grant.events, uplinksOnly: true, period, grant, purpose: grant.purpose };
  }

  const justification = requestJustification(req, q.justification);
  const current = await deps.registry.ownership.current(device.id);
  if (current && !current.fleetAnalytics && justification.kind !== 'support-case') {
    throw new ForbiddenError(
      'owner_opted_out',
      "This device's owner opted out of fleet analytics: per-device reads need a support case (justification support-case:<ref>).",
    );
  }
  let period: OwnershipPeriod | null = null;
  if (q.period !== undefined) {
    period = await deps.registry.ownership.get(q.period);
    if (!period || period.deviceId !== device.id) throw new NotFoundError('period_not_found', `Device ${device.id} has no ownership period "${q.period}".`);
  }
  return { ...base, ...(period ? { window: periodWindow(period) } : {}), period, purpose: justification.text };
}

/** Intersects a requested [fromMs, toMs) with the scope's window; null when they do not overlap. */
export function clip(range: { fromMs: number; toMs: number }, window: { fromMs: number; toMs: number } | undefined): { fromMs: number; toMs: number } | null {
  if (!window) return range;
  const fromMs = Math.max(range.fromMs, window.fromMs);
  const toMs = Math.min(range.toMs, window.toMs);
  return fromMs < toMs ? { fromMs, toMs } : null;
}
