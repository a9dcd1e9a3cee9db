import { NotFoundError } from '@parley/errors';
import type { OwnershipPeriod } from '@parley/registry';
import type { ApiDeps } from '../deps';
import type { Principal } from '../principal';

/**
 * Every period of the device the caller's household held (newest first); none is the same 404 as
 * for a device that does not exist. Previous owners keep access to their own periods.
 */
export async function ownPeriods(deps: ApiDeps, principal: Principal, deviceId: string): Promise<OwnershipPeriod[]> {
  const periods = principal.kind === 'owner' ? await deps.registry.ownership.ofOwner(principal.ownerId, deviceId) : [];
  if (periods.length === 0) throw new NotFoundError('device_not_found', `No device "${deviceId}" that you have access to.`);
  return periods;
}

/**
 * The device's open ownership period if the caller's household holds it; otherwise the same 404 as
 * for a device that does not exist (a previous owner has no more say over the device).
 */
export async function currentOwnPeriod(deps: ApiDeps, principal: Principal, deviceId: string): Promise<OwnershipPeriod> {
  const period = principal.kind === 'owner' ? await deps.registry.ownership.current(deviceId) : null;
  if (!period || principal.kind !== 'owner' || period.ownerId !== principal.ownerId) {
    throw new NotFoundError('device_not_found', `No device "${deviceId}" that your household currently owns.`);
  }
  return period;
}
