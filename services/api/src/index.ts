export { buildApi, type ApiOptions } from './app';
export type { ApiDeps, DeviceDirectory, DeviceView, HealthReport } from './deps';
export type { Principal } from './principal';
