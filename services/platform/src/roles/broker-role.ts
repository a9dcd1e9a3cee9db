import { readFile } from 'node:fs/promises';
import { createBroker, type Broker } from '@parley/broker';
import type { TelemetryLog } from '@parley/log';
import type { Logger } from '@parley/logger';
import type { Registry } from '@parley/registry';
import type { PlatformConfig } from '../config';
import { portError } from './port-error';

/** Options shared by every broker this process builds (listening or downlink-only). */
export function brokerOptions(config: PlatformConfig, registry: Registry, logger: Logger) {
  return {
    devices: registry,
    logger,
    limits: {
      maxPayloadBytes: config.maxPayloadBytes,
      maxPacketBytes: config.maxPacketBytes,
      connectsPerMinute: config.connectsPerMinute,
      connectBurst: Math.max(1, Math.ceil(config.connectsPerMinute / 2)),
      authFailuresPerMinute: config.authFailuresPerMinute,
      connectTimeoutMs: config.mqttConnectTimeoutMs,
    },
    cluster: config.redisUrl ? { redisUrl: config.redisUrl, keyPrefix: config.redisKeyPrefix } : undefined,
  };
}

/**
 * The broker role: devices connect here; each publish is appended to the log before its PUBACK.
 * With a Redis URL it shares sessions and downlink routing with the other brokers. With
 * PARLEY_TLS_CERT/KEY it also listens for MQTT over TLS on PARLEY_MQTTS_PORT; the plaintext port
 * stays (bind it to loopback to keep it for local clients only).
 */
export async function startBrokerRole(
  config: PlatformConfig,
  deps: { log: TelemetryLog; registry: Registry; logger: Logger },
): Promise<{ broker: Broker; mqttPort: number; mqttsPort?: number }> {
  const broker = await createBroker({ ...brokerOptions(config, deps.registry, deps.logger), log: deps.log });
  try {
    const mqttPort = await broker.listen(config.mqttPort, config.mqttHost).catch((err: unknown) => {
      throw portError(err, 'PARLEY_MQTT_PORT');
    });
    if (config.tlsCert && config.tlsKey) {
      const tls = { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey), ...(config.tlsClientCa ? { clientCa: await readFile(config.tlsClientCa) } : {}) };
      const mqttsPort = await broker.listenTls(config.mqttsPort, config.mqttHost, tls).catch((err: unknown) => {
        throw portError(err, 'PARLEY_MQTTS_PORT');
      });
      return { broker, mqttPort, mqttsPort };
    }
    return { broker, mqttPort };
  } catch (err) {
    await broker.close().catch(() => undefined);
    throw err;
  }
}
