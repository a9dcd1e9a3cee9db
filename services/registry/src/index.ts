/**
 * `@parley/registry`: devices, their credentials and state. Depend on the {@link Registry}
 * interface; open one with {@link openRegistry} (PostgreSQL when a database URL is configured, else
 * the embedded PGlite) or {@link createRegistry} over any {@link Sql}. The contract suite for
 * implementations is `@parley/registry/contract`, throw-away PostgreSQL databases are
 * `@parley/registry/postgres-testing` (both tests only).
 */
export type { DevicePage, DeviceRecord, DeviceStatus, ListDevicesQuery, ProvisionedDevice, ProvisionRequest, Registry } from './registry';
export { createRegistry } from './sql-registry';
export { openEmbeddedRegistry, type EmbeddedRegistryOptions } from './embedded';
export { LOCK_FILE_NAME, openPglite, pgliteSql, type PgliteOptions, type Sql } from './db';
export { openRegistry, openPostgresRegistry, type OpenRegistryOptions, type PostgresRegistryOptions } from './open-registry';
export { describePostgresUrl, openPostgres, type PostgresOptions } from './postgres';
export { loadMigrations, migrate, type Migration } from './migrate';
export { DEVICE_ID_PATTERN, isDeviceId } from './device-id';
export { FIRMWARE_PATTERN, MAX_PAGE_LIMIT, MAX_PROVISION_COUNT, MAX_TAGS, MODEL_PATTERN, TAG_PATTERN } from './validate';
export type * from './relationships/types';
export type * from './relationships/destination-types';
export { destinationHost } from './relationships/destinations';
export type * from './relationships/voice-types';
export { IDEA_STATUSES, NOTE_CATEGORIES } from './relationships/voice-types';
export { ID_PATTERN, normalizeCode } from './relationships/ids';
export { timelineId } from './relationships/timeline';
export { CLAIM_MAX_FAILURES, CLAIM_WINDOW_SECONDS } from './relationships/ownership';
export { newId } from './relationships/ids';
