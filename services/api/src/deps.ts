import type { Store } from '@parley/store';

/** A device as the API shows it. */
export interface DeviceView {
  id: string;
  model: string;
  firmware: string;
  status: string;
  createdAt: Date;
}

/** The slice of the registry the API uses. */
export interface DeviceDirectory {
  getDevice(id: string): Promise<DeviceView | null>;
  listDevices(q: { model?: string; limit: number; cursor?: string }): Promise<{ devices: DeviceView[]; nextCursor: string | null }>;
  provisionDevices(q: { model: string; firmware: string; count: number }): Promise<(DeviceView & { secret: string })[]>;
}

export interface HealthReport {
  ok: boolean;
  components: Record<string, { ok: boolean; detail?: string }>;
}

export interface ApiDeps {
  store: Store;
  devices: DeviceDirectory;
  /** Readiness of the platform's parts (store, log, broker). */
  health: () => Promise<HealthReport>;
}
