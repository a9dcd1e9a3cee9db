import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@parley/logger';
import { DownlinkDevices } from './downlink-devices';
import { connectStore, openStore, type DownlinkRow, type Store, type UplinkRow } from './index';

// chDB allows one data path per process: this file's stores all open one directory, in turn.
let dir: string;
let store: Store;
const log = silentLogger();
const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

const uplink = (deviceId: string, seq: number): UplinkRow => ({
  deviceId,
  bootId: 'boot-a',
  seq,
  deviceTimeMs: T0 + seq * 1000,
  receivedAtMs: T0 + seq * 1000 + 40,
  firmware: '1.0.0',
  schemaVersion: 1,
  samples: [{ metric: 'temp_c', value: seq, timeMs: T0 + seq * 1000 }],
  events: [],
  commandResults: [],
  raw: Buffer.from([seq]),
  source: `p0:${deviceId}:${seq}`,
});

const downlink = (deviceId: string, commandId: string, seq: number): DownlinkRow => ({
  deviceId,
  commandId,
  issuedAtMs: T0 + seq * 1000 + 500,
  expiresAtMs: null,
  kind: 'command',
  body: '{"name":"defrost"}',
  issuedBy: 'engineer:e1',
});

const kinds = async (deviceId: string) =>
  (await store.conversation({ deviceId, fromMs: 0, toMs: T0 + 86_400_000, limit: 100, order: 'asc' })).items.map((i) => `${i.kind}:${i.kind === 'uplink' ? i.seq : i.id}`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-downlink-devices-'));
  store = await openStore({ location: { dataDir: dir }, log });
});

afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('conversation reads skip the downlink source only for devices never sent one', () => {
  it('shows a downlink sent after the device was first read', async () => {
    await store.insertUplinks([uplink('dev-a', 1), uplink('dev-a', 2)]);
    expect(await kinds('dev-a')).toEqual(['uplink:1', 'uplink:2']);
    await store.insertDownlinks([downlink('dev-a', 'cmd-a', 1)]);
    expect(await kinds('dev-a')).toEqual(['uplink:1', 'downlink:cmd-a', 'uplink:2']);
  });

  it('shows downlinks stored before the store was opened', async () => {
    await store.insertUplinks([uplink('dev-b', 1), uplink('dev-b', 2)]);
    await store.insertDownlinks([downlink('dev-b', 'cmd-b', 1)]);
    await store.close();
    store = await openStore({ location: { dataDir: dir }, log });
    expect(await kinds('dev-b')).toEqual(['uplink:1', 'downlink:cmd-b', 'uplink:2']);
    expect(await kinds('dev-a')).toEqual(['uplink:1', 'downlink:cmd-a', 'uplink:2']);
  });

  it('knows which devices may have downlinks, and stops tracking beyond its limit or when others write', async () => {
    await store.close();
    const conn = await connectStore({ dataDir: dir });
    try {
      const tracked = await DownlinkDevices.load(conn.reader, true);
      expect([tracked.mayHave('dev-a'), tracked.mayHave('dev-b'), tracked.mayHave('dev-none')]).toEqual([true, true, false]);
      tracked.add(['dev-c']);
      expect(tracked.mayHave('dev-c')).toBe(true);

      // Two devices have downlinks: a limit of one is exceeded at load, a limit of three by adding two.
      expect((await DownlinkDevices.load(conn.reader, true, 1)).mayHave('dev-none')).toBe(true);
      const small = await DownlinkDevices.load(conn.reader, true, 3);
      expect(small.mayHave('dev-none')).toBe(false);
      small.add(['dev-c', 'dev-d']);
      expect(small.mayHave('dev-none')).toBe(true);

      // A store other processes write to (server mode) never skips.
      expect((await DownlinkDevices.load(conn.reader, false)).mayHave('dev-none')).toBe(true);
    } finally {
      await conn.close();
      store = await openStore({ location: { dataDir: dir }, log });
    }
  });
});
