export { buildApi, type ApiOptions } from './app';
export type { ApiDeps, ApiPolicy, CommandSender, HealthReport } from './deps';
export { createLiveFeed, type LiveFeed } from './live-feed';
export type { Principal } from './principal';
