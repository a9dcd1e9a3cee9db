export { createBroker, type Broker, type BrokerOptions } from './app';
export { CONNACK } from './authenticate';
export { TOPIC_NOT_ALLOWED, PAYLOAD_TOO_LARGE } from './authorize-publish';
export { DEFAULT_LIMITS, type BrokerLimits, type BrokerStats, type DeviceAuthenticator } from './types';
export { DEFAULT_KEY_PREFIX, describeRedisUrl, type ClusterOptions } from './cluster';
