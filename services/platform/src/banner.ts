import type { PlatformConfig } from './config';
import type { RunningRoles } from './roles/start-roles';

/**
 * What a process of the cluster mode prints once it is ready: its roles, the adapters in use
 * (never a URL: they may carry passwords) and where it listens. `Parley is running` starts it and
 * an empty line ends it, so scripts and tests can wait for it.
 */
export function clusterBanner(config: PlatformConfig, running: RunningRoles): string {
  const lines = [
    '',
    `Parley is running (roles: ${running.roles.join(', ')}).`,
    `  Log        ${running.log ? running.modes.log : '-'}`,
    `  Store      ${running.store ? running.modes.store : '-'}`,
    `  Registry   ${running.modes.registry}`,
    ...(running.broker ? [`  Broker     ${running.modes.broker}`, `  MQTT       ${running.mqttUrl}`] : []),
    ...(running.api ? [`  API        ${running.httpUrl}        (OpenAPI: ${running.httpUrl}/openapi.json)`] : []),
    ...(running.ingester ? [`  Ingester   consumer group "ingester", batches of up to ${config.ingestBatchRecords} records`] : []),
    ...(running.metricsUrl ? [`  Metrics    ${running.metricsUrl}`] : []),
    `  Data dir   ${config.dataDir}`,
    ...(running.token ? [`  Token      ${running.token}`] : []),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
