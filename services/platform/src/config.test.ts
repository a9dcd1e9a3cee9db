import { describe, expect, it } from 'vitest';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('uses defaults that run on a machine where 1883 is taken', () => {
    const c = loadConfig({});
    expect(c.mqttPort).toBe(1884);
    expect(c.httpPort).toBe(8080);
    expect(c.sim).toBe(true);
    expect(c.dataDir).toMatch(/\/data$/);
  });

  it('reads the documented env variables, and flags win over env', () => {
    const c = loadConfig({ PARLEY_DATA_DIR: '/tmp/x', PARLEY_MQTT_PORT: '0', PARLEY_HTTP_PORT: '9000', PARLEY_SIM: 'off' }, ['--http-port', '9001']);
    expect(c).toMatchObject({ dataDir: '/tmp/x', mqttPort: 0, httpPort: 9001, sim: false });
  });

  it('lists every invalid setting at once, by its variable name', () => {
    let message = '';
    try {
      loadConfig({ PARLEY_MQTT_PORT: '70000', PARLEY_HTTP_PORT: 'http', PARLEY_SIM: 'maybe' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('PARLEY_MQTT_PORT="70000"');
    expect(message).toContain('PARLEY_HTTP_PORT="http"');
    expect(message).toContain('PARLEY_SIM="maybe"');
  });

  it('rejects unknown flags', () => {
    expect(() => loadConfig({}, ['--mqtt-prot', '1'])).toThrow(/mqtt-prot/);
  });

  it('runs every role on the embedded engines when no URL is set', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ roles: ['broker', 'ingester', 'api', 'delivery'], databaseUrl: undefined, redisUrl: undefined, kafkaBrokers: undefined, clickhouseUrl: undefined });
  });

  it('reads the cluster variables', () => {
    const c = loadConfig({
      PARLEY_ROLES: 'ingester, api',
      PARLEY_DATABASE_URL: 'postgres://parley:s3cret@db:5432/parley',
      PARLEY_DATABASE_POOL_SIZE: '4',
      PARLEY_REDIS_URL: 'redis://:pw@redis:6379/0',
      PARLEY_REDIS_KEY_PREFIX: 'fleet-a:',
      PARLEY_KAFKA_BROKERS: 'k1:9092,k2:9092 , k3:9092',
      PARLEY_KAFKA_TOPIC: 'parley.uplinks',
      PARLEY_KAFKA_PARTITIONS: '24',
      PARLEY_CLICKHOUSE_URL: 'http://default:pw@ch:8123/parley',
    });
    expect(c).toMatchObject({ roles: ['ingester', 'api'], databasePoolSize: 4, redisKeyPrefix: 'fleet-a:', kafkaBrokers: ['k1:9092', 'k2:9092', 'k3:9092'], kafkaPartitions: 24 });
  });

  it('never echoes a URL that may carry a password, and names each bad one', () => {
    let message = '';
    try {
      loadConfig({ PARLEY_DATABASE_URL: 'mysql://u:hunter2@db/x', PARLEY_REDIS_URL: 'http://:hunter2@r', PARLEY_CLICKHOUSE_URL: 'ftp://u:hunter2@ch', PARLEY_KAFKA_BROKERS: 'no-port' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('PARLEY_DATABASE_URL=(value hidden)');
    expect(message).toContain('PARLEY_REDIS_URL=(value hidden)');
    expect(message).toContain('PARLEY_CLICKHOUSE_URL=(value hidden)');
    expect(message).toContain('PARLEY_KAFKA_BROKERS="no-port"');
    expect(message).not.toContain('hunter2');
  });

  it('requires the shared servers when a process runs only some roles', () => {
    expect(() => loadConfig({ PARLEY_ROLES: 'api' })).toThrow(/PARLEY_DATABASE_URL[\s\S]*PARLEY_CLICKHOUSE_URL/);
    expect(() => loadConfig({ PARLEY_ROLES: 'broker', PARLEY_DATABASE_URL: 'postgres://p@h/d' })).toThrow(/needs PARLEY_KAFKA_BROKERS/);
    expect(() => loadConfig({ PARLEY_ROLES: 'broker', PARLEY_DATABASE_URL: 'postgres://p@h/d', PARLEY_KAFKA_BROKERS: 'h:9092' })).not.toThrow();
    expect(() => loadConfig({ PARLEY_ROLES: 'mqtt' })).toThrow(/PARLEY_ROLES/);
  });
});
