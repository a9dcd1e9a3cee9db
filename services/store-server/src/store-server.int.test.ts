import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@parley/logger';
import { openStore, type Store, type UplinkRow } from '@parley/store';
import { createStoreServer, type StoreServer } from './index';

// chDB binds one data path per process: the whole file shares one server.
const log = silentLogger();
const PASSWORD = 'store-test-password';
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);
let dir: string;
let server: StoreServer;
let url: string;
let store: Store;
let client: ClickHouseClient;

function uplink(deviceId: string, seq: number): UplinkRow {
  const deviceTimeMs = T0 + seq * 1000;
  return {
    deviceId,
    bootId: 'boot-a',
    seq,
    deviceTimeMs,
    receivedAtMs: deviceTimeMs + 40,
    firmware: '1.0.0',
    schemaVersion: 1,
    samples: [{ metric: 'temp_c', value: seq, timeMs: deviceTimeMs }],
    events: seq === 2 ? [{ code: 'door_open', severity: 'warning', timeMs: deviceTimeMs, message: "door's\topen\\now", attributes: { door: 'fridge' } }] : [],
    commandResults: [],
    raw: Buffer.from([seq & 0xff, 0x0a, 0x09, 0x5c]),
    source: `p0:${seq}`,
  };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-store-server-'));
  server = createStoreServer({ dataDir: dir, log, password: PASSWORD });
  const port = await server.listen(0, '127.0.0.1');
  url = `http://127.0.0.1:${port}`;
  store = await openStore({ location: { url, password: PASSWORD }, log });
  client = createClient({ url, password: PASSWORD, log: { level: ClickHouseLogLevel.OFF }, clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
});

afterAll(async () => {
  await client?.close();
  await store?.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('store server (ClickHouse HTTP interface over chDB)', () => {
  it("runs the store's own server path unchanged: migrations, TabSeparated inserts, parameterized reads, FINAL de-duplication", async () => {
    expect(store.mode).toBe('server');
    expect(await store.ping()).toBe(true);
    await store.insertUplinks([uplink('dev-a', 1), uplink('dev-a', 2), uplink('dev-b', 1)]);
    await store.insertUplinks([uplink('dev-a', 2)]); // a re-delivery
    const page = await store.conversation({ deviceId: 'dev-a', fromMs: T0 - 3600_000, toMs: T0 + 3600_000, limit: 10, order: 'asc' });
    expect(page.items.map((i) => (i.kind === 'uplink' ? i.seq : -1))).toEqual([1, 2]);
    const second = page.items[1]!;
    if (second.kind !== 'uplink') throw new Error('unreachable');
    expect(second.events[0]?.message).toBe("door's\topen\\now");
    const series = await store.metricSeries({ deviceId: 'dev-a', metric: 'temp_c', fromMs: T0 - 3600_000, toMs: T0 + 3600_000, bucketSeconds: 3600 });
    expect(series.buckets.reduce((n, b) => n + b.count, 0)).toBe(2);
  });

  it('binds param_* values exactly as a server does, quotes, backslashes, tabs and arrays included', async () => {
    const tricky = "it's a \\ back\tslash\nand 'quotes' ; DROP TABLE uplinks";
    const rs = await client.query({
      query: 'SELECT {s:String} AS s, {a:Array(String)} AS a, {n:UInt32} + 1 AS n, {d:DateTime64(3)} AS d',
      query_params: { s: tricky, a: ["x'y", 'z\\w'], n: 41, d: new Date(T0) },
      format: 'JSONEachRow',
    });
    const [row] = await rs.json<{ s: string; a: string[]; n: number; d: string }>();
    expect(row).toEqual({ s: tricky, a: ["x'y", 'z\\w'], n: 42, d: '2026-01-15 12:00:00.000' });
  });

  it('answers errors the way a ClickHouse server does: code and message, the client raises them', async () => {
    await expect(client.query({ query: 'SELECT * FROM no_such_table', format: 'JSONEachRow' })).rejects.toMatchObject({ code: '60', type: 'UNKNOWN_TABLE' });
    await expect(client.command({ query: 'SELEC 1' })).rejects.toMatchObject({ code: '62' });
    await expect(client.query({ query: 'SELECT {missing:String}', format: 'JSONEachRow' })).rejects.toMatchObject({ code: '456' });
  });

  it('takes JSONEachRow inserts and commands, returns JSON, and answers /ping', async () => {
    await client.command({ query: 'CREATE TABLE IF NOT EXISTS kv (k String, v UInt32) ENGINE = MergeTree ORDER BY k' });
    await client.insert({ table: 'kv', values: [{ k: 'a', v: 1 }, { k: "b'\t", v: 2 }], format: 'JSONEachRow' });
    const rs = await client.query({ query: 'SELECT k, v FROM kv ORDER BY k', format: 'JSON' });
    expect((await rs.json<{ k: string; v: number }>()).data).toEqual([{ k: 'a', v: 1 }, { k: "b'\t", v: 2 }]);
    expect((await client.ping()).success).toBe(true);
    const raw = await fetch(`${url}/ping`);
    expect(await raw.text()).toBe('Ok.\n');
  });

  it('refuses a wrong password', async () => {
    const wrong = createClient({ url, password: 'nope', log: { level: ClickHouseLogLevel.OFF } });
    try {
      await expect(wrong.query({ query: 'SELECT 1', format: 'JSONEachRow' })).rejects.toMatchObject({ code: '516' });
    } finally {
      await wrong.close();
    }
  });
});
