/**
 * `@parley/registry`: devices, their credentials and state. Depend on the {@link Registry}
 * interface; open one with {@link openEmbeddedRegistry} (PGlite) or {@link createRegistry} over any
 * {@link Sql}. The contract suite for implementations is `@parley/registry/contract` (tests only).
 */
export type { DevicePage, DeviceRecord, DeviceStatus, ListDevicesQuery, ProvisionedDevice, ProvisionRequest, Registry } from './registry';
export { createRegistry } from './sql-registry';
export { openEmbeddedRegistry, type EmbeddedRegistryOptions } from './embedded';
export { LOCK_FILE_NAME, openPglite, pgliteSql, type PgliteOptions, type Sql } from './db';
export { loadMigrations, migrate, type Migration } from './migrate';
export { DEVICE_ID_PATTERN, isDeviceId } from './device-id';
export { FIRMWARE_PATTERN, MAX_PAGE_LIMIT, MAX_PROVISION_COUNT, MODEL_PATTERN } from './validate';
