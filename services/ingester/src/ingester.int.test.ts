import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openFileLog, toUplinkRecord, type TelemetryLog } from '@parley/log';
import { silentLogger } from '@parley/logger';
import { openStore, type Store } from '@parley/store';
import { tempDir, testUplinkBytes, waitFor } from '@parley/testkit';
import { startIngester } from './index';

const logger = silentLogger();
let dir: string;
let log: TelemetryLog;
let store: Store;

beforeAll(async () => {
  dir = await tempDir('parley-ingester-');
  log = await openFileLog({ dir: join(dir, 'log'), log: logger });
  store = await openStore({ location: { dataDir: join(dir, 'clickhouse') }, log: logger });
});

afterAll(async () => {
  await log?.close();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

const record = (deviceId: string, payload: Uint8Array, verdict = 'ok', detail = '') =>
  toUplinkRecord({ deviceId, topic: `devices/${deviceId}/up`, receivedAtMs: Date.now(), verdict, detail }, Buffer.from(payload));

describe('ingester', () => {
  it('retries a batch whose insert failed, commits only after success, and stores it once', async () => {
    // The real store, with its first two uplink inserts failing as a broken connection would.
    let failuresLeft = 2;
    const flaky: Store = Object.assign(Object.create(store) as Store, {
      insertEncodedUplinks: async (body: Uint8Array, rows: number) => {
        if (failuresLeft-- > 0) throw new Error('simulated ClickHouse outage');
        return store.insertEncodedUplinks(body, rows);
      },
    });
    await log.append([1, 2, 3].map((seq) => record('dev-retry', testUplinkBytes('dev-retry', seq))));
    const lagBefore = (await log.lag('ingester-retry')).lag;
    expect(lagBefore).toBe(3n);
    const ingester = await startIngester({ log, store: flaky, logger, group: 'ingester-retry', maxBatchWaitMs: 5 });
    try {
      await waitFor('the batch to be stored', async () => (await log.lag('ingester-retry')).lag === 0n, 30_000);
      expect(ingester.stats().failedBatches).toBe(2);
      expect(ingester.stats().uplinks).toBe(3);
    } finally {
      await ingester.stop();
    }
    const page = await store.conversation({ deviceId: 'dev-retry', fromMs: 0, toMs: Date.now() + 60_000, limit: 10, order: 'asc' });
    expect(page.items.map((i) => (i.kind === 'uplink' ? i.seq : -1))).toEqual([1, 2, 3]);
  });

  it('stores a large batch in chunks and, when a later chunk fails, stores the whole batch again without a visible duplicate', async () => {
    // Chunks of two: [1, 2] [undecodable, 3] [4]; the second chunk's insert fails once.
    let uplinkInserts = 0;
    const flaky: Store = Object.assign(Object.create(store) as Store, {
      insertEncodedUplinks: async (body: Uint8Array, rows: number) => {
        if (++uplinkInserts === 2) throw new Error('simulated ClickHouse outage');
        return store.insertEncodedUplinks(body, rows);
      },
    });
    // A log of its own, so the batch holds exactly these records.
    const own = await openFileLog({ dir: join(dir, 'log-chunked'), log: logger });
    const dlq = await openFileLog({ dir: join(dir, 'dead-letters-chunked'), log: logger });
    try {
      await own.append([
        record('dev-chunk', testUplinkBytes('dev-chunk', 1)),
        record('dev-chunk', testUplinkBytes('dev-chunk', 2)),
        record('dev-chunk', Buffer.from([0xff, 0xfe]), 'ok'),
        record('dev-chunk', testUplinkBytes('dev-chunk', 3)),
        record('dev-chunk', testUplinkBytes('dev-chunk', 4)),
      ]);
      const ingester = await startIngester({ log: own, store: flaky, logger, group: 'ingester-chunked', maxBatchWaitMs: 5, chunkRecords: 2, deadLetterLog: dlq });
      try {
        await waitFor('the batch to be stored', async () => (await own.lag('ingester-chunked')).lag === 0n, 30_000);
        // One failed attempt, then the batch whole: 3 chunk inserts + 3 again, less the one that failed.
        expect(ingester.stats()).toMatchObject({ failedBatches: 1, batches: 1, records: 5, uplinks: 4, deadLetters: 1 });
        expect(uplinkInserts).toBe(5);
      } finally {
        await ingester.stop();
      }
      const page = await store.conversation({ deviceId: 'dev-chunk', fromMs: 0, toMs: Date.now() + 60_000, limit: 10, order: 'asc' });
      expect(page.items.map((i) => (i.kind === 'uplink' ? i.seq : -1))).toEqual([1, 2, 3, 4]);
      const dl = await store.deadLetters({ deviceId: 'dev-chunk', fromMs: 0, toMs: Date.now() + 60_000, limit: 10 });
      expect(dl.items.map((i) => i.reason)).toEqual(['decode_failed']);
      // The dead-letter log gets the chunk's rejected record itself, not the one at its index in the batch.
      const got: string[] = [];
      const consumer = await dlq.consume({ group: 'inspect', maxBatchRecords: 100, maxBatchWaitMs: 5, handler: async (b) => void got.push(...b.records.map((r) => r.value.toString('hex'))) });
      await waitFor('the dead letter in the dead-letter log', () => got.length >= 1, 10_000);
      await consumer.stop();
      expect(got).toEqual(['fffe']);
    } finally {
      await dlq.close();
      await own.close();
    }
  });

  it('turns broker-rejected and undecodable records into dead letters with their reason', async () => {
    await log.append([
      record('dev-dl', Buffer.from([0x01, 0x02]), 'payload_too_large', 'payload is 99999 bytes; the limit is 2'),
      record('dev-dl', Buffer.from([0xff, 0xff, 0xff]), 'ok'), // accepted by an older broker, undecodable here
      record('dev-dl', testUplinkBytes('someone-else', 1), 'ok'),
    ]);
    const ingester = await startIngester({ log, store, logger, group: 'ingester-dl', maxBatchWaitMs: 5 });
    try {
      await waitFor('all records ingested', async () => (await log.lag('ingester-dl')).lag === 0n, 30_000);
    } finally {
      await ingester.stop();
    }
    const dl = await store.deadLetters({ deviceId: 'dev-dl', fromMs: 0, toMs: Date.now() + 60_000, limit: 10 });
    expect(dl.items.map((i) => i.reason).sort()).toEqual(['decode_failed', 'device_id_mismatch', 'payload_too_large']);
    expect(dl.items.find((i) => i.reason === 'payload_too_large')?.detail).toContain('99999 bytes');
  });

  it('stores the same and reports the same whether records are converted on a worker thread or on this one', async () => {
    const seen: Record<string, { firmware: string[]; results: string[]; live: number[] }> = {};
    for (const convertOn of ['worker', 'main'] as const) {
      const deviceId = `dev-convert-${convertOn}`;
      const got = (seen[convertOn] = { firmware: [] as string[], results: [] as string[], live: [] as number[] });
      await log.append([
        record(deviceId, testUplinkBytes(deviceId, 1, { firmware: '1.0' })),
        record(deviceId, testUplinkBytes(deviceId, 2, { firmware: '1.1', commandResults: [{ commandId: 'c-1', status: 'succeeded', timeMs: 0, detail: '' }] })),
        record(deviceId, Buffer.from([0xff, 0xff]), 'ok'),
      ]);
      const ingester = await startIngester({
        log,
        store,
        logger,
        group: `ingester-convert-${convertOn}`,
        maxBatchWaitMs: 5,
        convertOn,
        onFirmware: async (id, fw) => void (id === deviceId && got.firmware.push(fw)),
        onCommandResults: async (id, results) => void (id === deviceId && got.results.push(...results.map((r) => r.commandId))),
        onStored: (rows) => got.live.push(...rows.map((r) => r.seq)),
        storedFor: () => new Set([deviceId]),
      });
      try {
        await waitFor('all records ingested', async () => (await log.lag(`ingester-convert-${convertOn}`)).lag === 0n, 30_000);
      } finally {
        await ingester.stop();
      }
      const page = await store.conversation({ deviceId, fromMs: 0, toMs: Date.now() + 60_000, limit: 10, order: 'asc' });
      expect(page.items.map((i) => (i.kind === 'uplink' ? `${i.seq}:${i.firmware}:${i.samples[0]?.value}` : '?'))).toEqual(['1:1.0:1', '2:1.1:2']);
      const dl = await store.deadLetters({ deviceId, fromMs: 0, toMs: Date.now() + 60_000, limit: 10 });
      expect(dl.items.map((i) => i.reason)).toEqual(['decode_failed']);
    }
    expect(seen['worker']).toEqual({ firmware: ['1.0', '1.1'], results: ['c-1'], live: [1, 2] });
    expect(seen['main']).toEqual(seen['worker']);
  });

  it('also appends every rejected record, as logged, to a dead-letter log when one is given', async () => {
    const dlq = await openFileLog({ dir: join(dir, 'dead-letters'), log: logger });
    try {
      await log.append([
        record('dev-dlq', testUplinkBytes('dev-dlq', 1)),
        record('dev-dlq', Buffer.from([0x09]), 'payload_too_large', 'too big'),
        record('dev-dlq', Buffer.from([0xff, 0xff]), 'ok'),
      ]);
      const ingester = await startIngester({ log, store, logger, group: 'ingester-dlq', maxBatchWaitMs: 5, deadLetterLog: dlq });
      try {
        await waitFor('the batch to be stored', async () => (await log.lag('ingester-dlq')).lag === 0n, 30_000);
      } finally {
        await ingester.stop();
      }
      const got: { value: string; verdict: string | undefined }[] = [];
      const consumer = await dlq.consume({
        group: 'inspect',
        maxBatchRecords: 100,
        maxBatchWaitMs: 5,
        handler: async (b) => {
          for (const r of b.records) if (r.key === 'dev-dlq') got.push({ value: r.value.toString('hex'), verdict: r.headers['verdict'] });
        },
      });
      await waitFor('the dead letters in the dead-letter log', () => got.length >= 2, 10_000);
      await consumer.stop();
      expect(got).toEqual([
        { value: '09', verdict: 'payload_too_large' },
        { value: 'ffff', verdict: 'ok' },
      ]);
    } finally {
      await dlq.close();
    }
  });
});
