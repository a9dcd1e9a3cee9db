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
});
