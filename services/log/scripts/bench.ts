/**
 * Append throughput of the file log the way the broker drives it: many concurrent callers, one
 * record per append() call, fsync on. Prints records/s and p50/p99 append latency.
 *
 *   npx tsx services/log/scripts/bench.ts [--records 200000] [--size 200] [--concurrency 500] [--no-fsync] [--dir /tmp/x]
 *
 * Exits non-zero if an append fails or a record read back does not match.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '@parley/logger';
import { openFileLog } from '../src/index';

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    size: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '500' },
    'no-fsync': { type: 'boolean', default: false },
    dir: { type: 'string' },
  },
});
const total = Number(values.records);
const size = Number(values.size);
const concurrency = Number(values.concurrency);
const fsync = !values['no-fsync'];

const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'parley-log-bench-')));
const log = await openFileLog({ dir, log: silentLogger(), fsync });
const payload = Buffer.alloc(size, 7);
const latencies = new Float64Array(total);
let issued = 0;

async function worker(): Promise<void> {
  while (issued < total) {
    const i = issued++;
    const started = performance.now();
    await log.append([{ key: `device-${i % 1000}`, value: payload, headers: { verdict: 'ok' } }]);
    latencies[i] = performance.now() - started;
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, worker));
const seconds = (performance.now() - started) / 1000;

// Read everything back once, so the figure is for records that really are there.
let read = 0;
const consumer = await log.consume({
  group: 'bench',
  maxBatchRecords: 10_000,
  maxBatchWaitMs: 0,
  handler: async (batch) => {
    for (const r of batch.records) if (!r.value.equals(payload)) throw new Error(`record ${r.offset} differs`);
    read += batch.records.length;
  },
});
while ((await log.lag('bench')).lag > 0n) await new Promise((r) => setTimeout(r, 20));
await consumer.stop();
await log.close();
if (!values.dir) await rm(dir, { recursive: true, force: true });

const sorted = Array.from(latencies).sort((a, b) => a - b);
const pct = (p: number): string => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(2);
console.log(
  JSON.stringify({
    records: total,
    recordBytes: size,
    concurrency,
    fsync,
    seconds: Number(seconds.toFixed(2)),
    recordsPerSecond: Math.round(total / seconds),
    appendLatencyMs: { p50: Number(pct(0.5)), p99: Number(pct(0.99)), max: Number(pct(1)) },
    readBack: read,
  }),
);
if (read !== total) {
  console.error(`read back ${read} of ${total} records`);
  process.exit(1);
}
