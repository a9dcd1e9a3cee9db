import type { ClickHouseClient } from '@clickhouse/client';

/** Above this many devices the set is dropped (memory) and every conversation read asks the engine. */
export const MAX_TRACKED_DEVICES = 100_000;

/**
 * Which devices may have been sent a downlink, so that the conversation of a device that never was
 * skips the downlink source: a second source in the read costs the engine ≈ 4 ms of a ≈ 17 ms
 * 500-item page (bench:e2e history, 10M samples), and most devices are never sent anything.
 *
 * Only where every downlink write passes through this process: the embedded store, whose data
 * directory is locked to it. A server store is written by other processes too, so there every read
 * asks the engine. Errs one way only: a device is listed before its first downlink is inserted and
 * stays listed after its downlinks are erased.
 */
export class DownlinkDevices {
  private constructor(
    private devices: Set<string> | null,
    private readonly max: number,
  ) {}

  /** Every device (`tracked` false, or more than `max` devices have downlinks) may have downlinks. */
  static async load(client: ClickHouseClient, tracked: boolean, max = MAX_TRACKED_DEVICES): Promise<DownlinkDevices> {
    if (!tracked) return new DownlinkDevices(null, max);
    const rs = await client.query({ query: 'SELECT DISTINCT device_id FROM downlinks LIMIT {n:UInt32}', query_params: { n: max + 1 }, format: 'JSONCompactEachRow' });
    const ids = (await rs.json<[string]>()).map(([id]) => id);
    return new DownlinkDevices(ids.length > max ? null : new Set(ids), max);
  }

  /** False only when the device has certainly never been sent a downlink. */
  mayHave(deviceId: string): boolean {
    return this.devices === null || this.devices.has(deviceId);
  }

  /** Call before the insert starts, so that no read after it completes can miss its rows. */
  add(deviceIds: Iterable<string>): void {
    if (this.devices === null) return;
    for (const id of deviceIds) this.devices.add(id);
    if (this.devices.size > this.max) this.devices = null;
  }
}
