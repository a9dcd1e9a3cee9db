/**
 * `npm run bench:query`: loads a synthetic fleet into the embedded store inside the engine
 * (INSERT … SELECT from numbers(), through the same tables and materialized views the ingester
 * feeds) and times the queries the issue names. Flags: --rows N (samples, default 10,000,000),
 * --devices N (default 10,000), --days N (default 30), --queries N (per query, default 50), --keep DIR.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { silentLogger } from '@parley/logger';
import { connectStore, openStore } from '@parley/store';
import { waitForMerges } from './history';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    devices: { type: 'string', default: '10000' },
    days: { type: 'string', default: '30' },
    queries: { type: 'string', default: '50' },
    keep: { type: 'string' },
  },
});
const ROWS = Number(values.rows);
const DEVICES = Number(values.devices);
const DAYS = Number(values.days);
const QUERIES = Number(values.queries);
const METRICS = ['cabinet.temp_c', 'freezer.temp_c', 'ambient.temp_c', 'compressor.power_w', 'compressor.duty_cycle', 'power_w', 'door.open', 'defrost.active'];
const say = (s: string) => process.stdout.write(s + '\n');

function percentiles(ms: number[]): { p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: s[Math.floor(s.length * 0.5)]!, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]! };
}

async function time(n: number, fn: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  await fn(-1); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  return percentiles(ms);
}

const dir = values.keep ?? (await mkdtemp(join(tmpdir(), 'parley-bench-query-')));
say(`bench:query — ${ROWS.toLocaleString('en')} samples, ${DEVICES.toLocaleString('en')} devices, ${DAYS} days; ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; store ${dir}`);
const store = await openStore({ location: { dataDir: dir }, log: silentLogger() });
// Bulk generation blocks may run long on a busy machine: no 30 s query cap on this connection.
const raw = await connectStore({ dataDir: dir, maxQuerySeconds: 3600 });
try {
  const uplinks = Math.ceil(ROWS / METRICS.length);
  const end = Date.now();
  const start = end - DAYS * 86_400_000;
  const perDevice = Math.ceil(uplinks / DEVICES);
  const interval = Math.floor((end - start) / perDevice);
  await raw.reader.command({
    query: `INSERT INTO devices SELECT concat('bench-', leftPad(toString(number), 6, '0')), ['fridge-x1', 'washer-w2', 'heatpump-h3'][number % 3 + 1], [if(number % 4 = 0, 'region:eu-west', 'region:us-east')], now64(3) FROM numbers(${DEVICES})`,
  });
  // Written around the store, so the dictionary the fleet rollup's view reads models from is reloaded here.
  await raw.reader.command({ query: 'SYSTEM RELOAD DICTIONARY device_models' });
  // One block per million messages keeps memory flat; each block runs the materialized views.
  const block = 1_000_000;
  let loaded = 0;
  const t0 = performance.now();
  for (let first = 0; first < uplinks; first += block) {
    const n = Math.min(block, uplinks - first);
    await raw.reader.command({
      query: `INSERT INTO uplinks
        SELECT concat('bench-', leftPad(toString(m % ${DEVICES}), 6, '0')) AS device_id,
               fromUnixTimestamp64Milli(toInt64(${start} + intDiv(m, ${DEVICES}) * ${interval} + (m % ${DEVICES}) * 7 % ${interval}), 'UTC') AS device_time,
               'bench' AS boot_id, toUInt32(intDiv(m, ${DEVICES}) + 1) AS seq,
               device_time + toIntervalMillisecond(50) AS received_at,
               if((m % ${DEVICES}) % 2 = 0, '1.4.2', '1.5.0') AS firmware, 1,
               ${JSON.stringify(METRICS).replaceAll('"', "'")} AS sample_metrics,
               arrayMap(i -> (cityHash64(m, i) % 10000) / 100.0, range(${METRICS.length})) AS sample_values,
               [] AS sample_offsets,
               if(m % 97 = 0, concat('{"events":[{"code":"', if(m % 2 = 0, 'compressor_fault', 'boot'), '","severity":"', if(m % 2 = 0, 'error', 'info'), '","t":', toString(toUnixTimestamp64Milli(device_time)), ',"message":"","attributes":{}}],"results":[]}'), '') AS extras,
               '' AS raw, concat('bench:', toString(m)) AS source
        FROM (SELECT number + ${first} AS m FROM numbers(${n}))`,
    });
    loaded += n;
    const s = (performance.now() - t0) / 1000;
    say(`  loaded ${(loaded * METRICS.length).toLocaleString('en')} samples in ${s.toFixed(1)} s (${Math.round((loaded * METRICS.length) / s).toLocaleString('en')} samples/s)`);
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  const samples = uplinks * METRICS.length;
  say(`load: ${samples.toLocaleString('en')} samples (${uplinks.toLocaleString('en')} messages) in ${loadSeconds.toFixed(1)} s = ${Math.round(samples / loadSeconds).toLocaleString('en')} samples/s (raw rows, fan-out views and hourly rollups)`);

  const device = (i: number) => `bench-${String(Math.abs((i * 7919) % DEVICES)).padStart(6, '0')}`;
  const readHistory = (i: number) => store.conversation({ deviceId: device(i), fromMs: 0, toMs: end + 86_400_000, limit: 500, order: 'desc' });
  const readSeries = (i: number) => store.metricSeries({ deviceId: device(i), metric: 'power_w', fromMs: start, toMs: end, bucketSeconds: 3600 });
  /** The per-device reads; each round (0: right after the load) reads other devices than the rounds before it. */
  const timeDeviceReads = async (round: number) => {
    const indent = round === 0 ? '' : '  ';
    const history = await time(QUERIES, (i) => readHistory(i + round * QUERIES));
    say(`${indent}per-device history (500-row conversation page): p50 ${history.p50.toFixed(1)} ms, p99 ${history.p99.toFixed(1)} ms`);
    const series = await time(QUERIES, (i) => readSeries(i + round * QUERIES));
    say(`${indent}per-device metric series (30 days, hourly): p50 ${series.p50.toFixed(1)} ms, p99 ${series.p99.toFixed(1)} ms`);
  };
  await timeDeviceReads(0);
  const fleetN = Math.max(5, Math.floor(QUERIES / 5));
  const fleetQuery = { metric: 'power_w', fromMs: start, toMs: end, excludeDevices: [], minDevices: 5, bucket: 'hour' } as const;
  const answeredBy = (await store.fleetMetric(fleetQuery)).source;
  await store.fleetRollupIdle();
  /** The fleet queries of the issue; `indent` marks the rounds after the first. */
  const timeFleetQueries = async (indent: string) => {
    const fleet = await time(fleetN, () => store.fleetMetric(fleetQuery));
    say(`${indent}fleet percentiles by firmware × hour over ${DAYS} days (${(await store.fleetMetric(fleetQuery)).source}-level rollup; first answer from the ${answeredBy}-level one): p50 ${fleet.p50.toFixed(0)} ms, p99 ${fleet.p99.toFixed(0)} ms`);
    const tagged = await time(fleetN, () => store.fleetMetric({ ...fleetQuery, tag: 'region:eu-west' }));
    say(`${indent}  the same from the per-device rollups (a tag filter: region:eu-west, a quarter of the fleet): p50 ${tagged.p50.toFixed(0)} ms, p99 ${tagged.p99.toFixed(0)} ms`);
    const compare = await time(fleetN, () => store.firmwareComparison({ versions: ['1.4.2', '1.5.0'], model: 'fridge-x1', fromMs: start, toMs: end, excludeDevices: [], minDevices: 5 }));
    say(`${indent}firmware comparison (fridge-x1, 1.4.2 vs 1.5.0): p50 ${compare.p50.toFixed(0)} ms, p99 ${compare.p99.toFixed(0)} ms`);
    const bench = await time(fleetN, () => store.cohortMeans({ model: 'fridge-x1', firmware: '1.4.2', fromMs: start, toMs: end, excludeDevices: [] }));
    say(`${indent}owner benchmark (cohort means, fridge-x1 1.4.2): p50 ${bench.p50.toFixed(0)} ms, p99 ${bench.p99.toFixed(0)} ms`);
  };
  await timeFleetQueries('');
  // The reads above ran while the engine was still merging the load's parts.
  const merged = await waitForMerges(store, 1_800_000, say);
  say(`after the merges ${merged.settled ? 'settled' : 'still running'} (${merged.seconds.toFixed(0)} s later, ${merged.parts} active parts):`);
  await timeDeviceReads(1);
  await timeFleetQueries('  ');
  // Migration 006 has the engine merge each finished month into one part an hour after its last
  // write; this round brings that state about at once, to show what a read of long history costs.
  const t1 = performance.now();
  const finished = await (
    await raw.reader.query({
      query: `SELECT DISTINCT table, partition_id FROM system.parts
              WHERE database = currentDatabase() AND active AND partition_id < toString(toYYYYMM(now('UTC'))) AND match(partition_id, '^[0-9]{6}$')`,
      format: 'JSONEachRow',
    })
  ).json<{ table: string; partition_id: string }>();
  for (const p of finished) await raw.reader.command({ query: `OPTIMIZE TABLE ${p.table} PARTITION ID '${p.partition_id}' FINAL` });
  say(`after merging the finished months into one part each (${finished.length} partitions, ${((performance.now() - t1) / 1000).toFixed(0)} s; what the engine does an hour after a month's last write):`);
  await timeDeviceReads(2);
  await timeFleetQueries('  ');
} finally {
  await raw.close();
  await store.close();
  if (!values.keep) await rm(dir, { recursive: true, force: true });
}
