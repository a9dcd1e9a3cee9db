export { startPlatform, type Platform } from './app';
export { loadConfig, ConfigSchema, ENV, USAGE, type PlatformConfig } from './config';
export { ensureDemoFleet, DEMO_MODELS, type DeviceCredentials } from './demo-fleet';
export { startRoles, type RunningRoles } from './roles/start-roles';
