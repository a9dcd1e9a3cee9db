/**
 * What bench:e2e measures against: the embedded platform in this process, or the cluster mode —
 * Kafka, the store server and a broker process, with the ingester in this process (so its
 * latency figures are read the same way as in the embedded mode).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafka, type KafkaCluster } from '@parley/kafka-runner';
import type { Logger } from '@parley/logger';
import { loadConfig, startPlatform, startRoles } from '@parley/platform';
import type { Registry } from '@parley/registry';
import type { Store } from '@parley/store';
import { dropDatabase, ensureDatabase } from '../cluster/prerequisites';
import { startChild, type Child } from '../cluster/processes';

const root = fileURLToPath(new URL('../../', import.meta.url));

export interface BenchTarget {
  readonly description: string;
  readonly mqttUrl: string;
  readonly registry: Registry;
  readonly store: Store;
  /** Log records accepted by the broker(s) so far (cumulative). */
  accepted(): Promise<number>;
  lag(): Promise<bigint>;
  resetLatency(): void;
  latency(): { p50: number | null; p99: number | null };
  /** Processes whose CPU and memory count as the platform's. */
  pids(): number[];
  drain(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

const quiet = { PARLEY_SIM: 'off', PARLEY_LOG_LEVEL: 'warn', PARLEY_MQTT_PORT: '0', PARLEY_HTTP_PORT: '0', PARLEY_STATUS_INTERVAL_MS: '0', PARLEY_CONNECTS_PER_MINUTE: '100000' };

export async function embeddedTarget(dataDir: string, logger: Logger): Promise<BenchTarget> {
  const config = { ...loadConfig({ ...process.env, ...quiet, PARLEY_DATA_DIR: dataDir }), connectsPerMinute: 100_000, statusIntervalMs: 0 };
  const p = await startPlatform(config, logger);
  return {
    description: 'embedded: one process (Aedes, file log, ingester, chDB, PGlite)',
    mqttUrl: p.mqttUrl,
    registry: p.registry,
    store: p.store,
    accepted: async () => p.broker.stats().accepted,
    lag: async () => (await p.log.lag('ingester')).lag,
    resetLatency: () => p.ingester.resetLatency(),
    latency: () => ({ p50: p.ingester.stats().latencyP50Ms, p99: p.ingester.stats().latencyP99Ms }),
    pids: () => [process.pid],
    drain: (ms) => p.drain(ms),
    stop: () => p.stop(),
  };
}

/**
 * The cluster mode on this machine: a 1-node Kafka (kafka-runner), a throw-away PostgreSQL
 * database, the store server (chDB behind ClickHouse's HTTP interface), one broker process, and the
 * ingester in this process. Everything shares the same 2 cores as the simulator.
 */
export async function clusterTarget(dataDir: string, logger: Logger, partitions: number): Promise<BenchTarget> {
  const adminUrl = process.env.PARLEY_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `parley_bench_${randomBytes(4).toString('hex')}`;
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    const databaseUrl = await ensureDatabase(adminUrl, dbName);
    cleanups.push(() => dropDatabase(adminUrl, dbName));
    const kafka: KafkaCluster = await startKafka({ brokers: 1, dir: join(dataDir, 'kafka'), log: logger });
    cleanups.push(() => kafka.stop({ signal: 'SIGKILL' }));
    const store: Child = await startChild('store', root, 'services/store-server/src/main.ts', [], { PARLEY_STORE_DATA_DIR: join(dataDir, 'store'), PARLEY_STORE_PORT: '0', PARLEY_LOG_LEVEL: 'warn' }, /Parley store server/);
    cleanups.push(() => store.stop());
    const env = {
      ...quiet,
      PARLEY_DATABASE_URL: databaseUrl,
      PARLEY_KAFKA_BROKERS: kafka.bootstrapServers.join(','),
      PARLEY_KAFKA_TOPIC: 'parley.bench',
      PARLEY_KAFKA_PARTITIONS: String(partitions),
      PARLEY_CLICKHOUSE_URL: store.banner.URL!,
      PARLEY_INGEST_BATCH_RECORDS: process.env.PARLEY_INGEST_BATCH_RECORDS ?? '20000',
      PARLEY_INGEST_BATCH_WAIT_MS: process.env.PARLEY_INGEST_BATCH_WAIT_MS ?? '100',
    };
    // The ingester first: it creates the topic and migrates the store.
    const running = await startRoles(loadConfig({ ...env, PARLEY_ROLES: 'ingester', PARLEY_DATA_DIR: join(dataDir, 'ingester') }), logger);
    cleanups.push(() => running.stop());
    const broker = await startChild('broker', root, 'services/platform/src/main.ts', [], { ...env, PARLEY_ROLES: 'broker', PARLEY_DATA_DIR: join(dataDir, 'broker') }, /Parley is running/);
    cleanups.push(() => broker.stop());
    const ingester = running.ingester!;
    const log = running.log!;
    return {
      description: `cluster: broker process → Kafka 4.3.1 (1 node, ${partitions} partitions) → ingester (this process) → store server (chDB over HTTP); registry on PostgreSQL`,
      mqttUrl: broker.banner.MQTT!,
      registry: running.registry,
      store: running.store!,
      // Every accepted publish is one record: consumed so far plus still waiting.
      accepted: async () => ingester.stats().records + Number((await log.lag('ingester')).lag),
      lag: async () => (await log.lag('ingester')).lag,
      resetLatency: () => ingester.resetLatency(),
      latency: () => ({ p50: ingester.stats().latencyP50Ms, p99: ingester.stats().latencyP99Ms }),
      pids: () => [process.pid, broker.proc.pid!, store.proc.pid!, ...Array.from({ length: kafka.size }, (_, i) => kafka.pid(i)).filter((p): p is number => p !== null)],
      drain: async (ms) => {
        const deadline = Date.now() + ms;
        while (Date.now() < deadline) {
          if ((await log.lag('ingester')).lag === 0n) return true;
          await new Promise((r) => setTimeout(r, 100));
        }
        return false;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Resident set size of a process in bytes (Linux), 0 when gone. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

