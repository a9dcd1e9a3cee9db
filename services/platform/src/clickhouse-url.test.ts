import { describe, expect, it } from 'vitest';
import { clickHouseLocation, describeClickHouseUrl } from './clickhouse-url';

describe('ClickHouse URL', () => {
  it('splits credentials and database off the server URL', () => {
    expect(clickHouseLocation('https://parley:p%40ss@ch.example:8443/telemetry')).toEqual({ url: 'https://ch.example:8443', database: 'telemetry', username: 'parley', password: 'p@ss' });
    expect(clickHouseLocation('http://127.0.0.1:8123')).toEqual({ url: 'http://127.0.0.1:8123' });
  });

  it('describes a URL without its password and refuses anything else, never echoing it', () => {
    expect(describeClickHouseUrl('http://u:secret@h:8123/db')).toBe('http://u@h:8123/db');
    for (const bad of ['ftp://u:secret@h', 'not a url secret', 'http://u:secret@h:8123/db?async_insert=1', 'http://h:8123/a/b']) {
      expect(() => describeClickHouseUrl(bad)).toThrow();
      try {
        describeClickHouseUrl(bad);
      } catch (err) {
        expect((err as Error).message).not.toContain('secret');
      }
    }
  });
});
