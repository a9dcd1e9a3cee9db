/**
 * Fixtures for the cluster-mode tests (tests only): the shared servers (a local Kafka, a throw-away
 * PostgreSQL database, a Redis key prefix, the store server) and Parley role processes spawned
 * from `main.ts` exactly as `npm run start:cluster` runs them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { deleteKeys, requireRedis, TEST_REDIS_URL } from '@parley/broker/redis-testing';
import { startKafka, type KafkaCluster } from '@parley/kafka-runner';
import { silentLogger } from '@parley/logger';
import { createTestDatabase, type TestDatabase } from '@parley/registry/postgres-testing';
import { tempDir } from '@parley/testkit';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A spawned Node process that printed its banner. */
export interface Spawned {
  readonly name: string;
  readonly proc: ChildProcess;
  /** `URL`-like lines of the banner: `API`, `MQTT`, `Token`, `URL` (store server). */
  readonly banner: Record<string, string>;
  output(): string;
  exited: Promise<number | string>;
  /** SIGTERM and wait (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<void>;
  kill9(): Promise<void>;
  /** Resident set size in bytes (Linux), or null once exited. */
  rss(): Promise<number | null>;
}

/** Starts `script` with `env` and resolves when its banner (ended by an empty line) is complete. */
export function spawnProcess(name: string, script: string, env: Record<string, string>, ready: RegExp, timeoutMs = 60_000): Promise<Spawned> {
  const proc = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, PARLEY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const spawned = (banner: Record<string, string>): Spawned => ({
    name,
    proc,
    banner,
    output: () => out,
    exited,
    async stop(graceMs = 15_000) {
      if (!alive()) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => alive() && proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
    async kill9() {
      if (alive()) proc.kill('SIGKILL');
      await exited;
    },
    async rss() {
      if (!alive() || proc.pid === undefined) return null;
      const status = await readFile(`/proc/${proc.pid}/status`, 'utf8').catch(() => '');
      const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      return kb ? Number(kb) * 1024 : null;
    },
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const start = out.search(ready);
      if (start < 0) return;
      const rest = out.slice(start);
      const end = rest.indexOf('\n\n');
      if (end < 0) return;
      clearTimeout(timer);
      const banner: Record<string, string> = {};
      for (const line of rest.slice(0, end).split('\n')) {
        const m = /^\s+(\S+)\s+(\S+)/.exec(line);
        if (m) banner[m[1]!] = m[2]!;
      }
      resolve(spawned(banner));
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${out}`));
    });
  });
}

/** The shared servers of one test file, and the env that points role processes at them. */
export interface ClusterServers {
  readonly kafka: KafkaCluster;
  readonly database: TestDatabase;
  readonly store: Spawned;
  readonly storeUrl: string;
  readonly redisKeyPrefix: string;
  readonly token: string;
  /** Env for a role process running `roles` (plus `extra`). */
  env(roles: string, extra?: Record<string, string>): Record<string, string>;
  /** Starts a Parley process with `roles`. */
  spawnRoles(name: string, roles: string, extra?: Record<string, string>): Promise<Spawned>;
  /** Stops every process spawned here and the servers, and removes their data. */
  close(): Promise<void>;
}

/**
 * Starts a 1-node Kafka, a throw-away PostgreSQL database and the store server (and checks Redis),
 * in parallel. Everything is torn down by `close()`, processes first.
 */
export async function startClusterServers(options: { partitions?: number } = {}): Promise<ClusterServers> {
  const dirs: string[] = [];
  const processes: Spawned[] = [];
  const kafkaDir = await tempDir('parley-cluster-kafka-');
  const storeDir = await tempDir('parley-cluster-store-');
  dirs.push(kafkaDir, storeDir);
  const redisKeyPrefix = `parley-test-${process.pid}-${randomBytes(4).toString('hex')}:`;
  const token = `test-${randomBytes(16).toString('hex')}`;
  const started = await Promise.allSettled([
    startKafka({ brokers: 1, dir: kafkaDir, log: silentLogger() }),
    createTestDatabase(),
    spawnProcess('store-server', 'services/store-server/src/main.ts', { PARLEY_STORE_DATA_DIR: storeDir, PARLEY_STORE_PORT: '0' }, /Parley store server/),
    requireRedis(),
  ]);
  const [kafkaR, dbR, storeR, redisR] = started;
  const cleanup = async () => {
    for (const p of processes.splice(0).reverse()) await p.kill9();
    if (storeR.status === 'fulfilled') await storeR.value.stop();
    if (kafkaR.status === 'fulfilled') await kafkaR.value.stop({ signal: 'SIGKILL' });
    if (dbR.status === 'fulfilled') await dbR.value.drop().catch(() => undefined);
    await deleteKeys(redisKeyPrefix).catch(() => undefined);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  };
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed || kafkaR.status !== 'fulfilled' || dbR.status !== 'fulfilled' || storeR.status !== 'fulfilled' || redisR.status !== 'fulfilled') {
    await cleanup();
    throw (failed as PromiseRejectedResult).reason;
  }
  const kafka = kafkaR.value;
  const database = dbR.value;
  const store = storeR.value;
  const storeUrl = store.banner.URL!;
  const env = (roles: string, extra: Record<string, string> = {}): Record<string, string> => ({
    PARLEY_ROLES: roles,
    PARLEY_MQTT_PORT: '0',
    PARLEY_HTTP_PORT: '0',
    PARLEY_SIM: 'off',
    PARLEY_STATUS_INTERVAL_MS: '0',
    PARLEY_CONNECTS_PER_MINUTE: '600',
    PARLEY_INGEST_BATCH_WAIT_MS: '20',
    PARLEY_MANUFACTURER_TOKEN: token,
    PARLEY_DATABASE_URL: database.url,
    PARLEY_DATABASE_POOL_SIZE: '4',
    PARLEY_REDIS_URL: TEST_REDIS_URL,
    PARLEY_REDIS_KEY_PREFIX: redisKeyPrefix,
    PARLEY_KAFKA_BROKERS: kafka.bootstrapServers.join(','),
    PARLEY_KAFKA_TOPIC: 'parley.test',
    PARLEY_KAFKA_PARTITIONS: String(options.partitions ?? 4),
    PARLEY_CLICKHOUSE_URL: storeUrl,
    ...extra,
  });
  return {
    kafka,
    database,
    store,
    storeUrl,
    redisKeyPrefix,
    token,
    env,
    async spawnRoles(name, roles, extra = {}) {
      const dataDir = await tempDir(`parley-cluster-${name}-`);
      dirs.push(dataDir);
      const p = await spawnProcess(name, 'services/platform/src/main.ts', { PARLEY_DATA_DIR: dataDir, ...env(roles, extra) }, /Parley is running/);
      processes.push(p);
      return p;
    },
    close: cleanup,
  };
}

/** The manufacturer's calls against a spawned API process. */
export function apiClient(httpUrl: string, token: string) {
  async function call(method: string, path: string, body?: unknown): Promise<any> {
    const res = await fetch(httpUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'x-parley-justification': 'quality-investigation:cluster-test', ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  return {
    call,
    async provision(count: number): Promise<{ id: string; secret: string }[]> {
      return (await call('POST', '/v1/devices', { model: 'fridge-x1', firmware: '1.4.2', count })).devices;
    },
    /** Every uplink of a device in the store, as `bootId/seq` keys, in query order (duplicates kept). */
    async storedKeys(deviceId: string): Promise<string[]> {
      const keys: string[] = [];
      let cursor = '';
      for (;;) {
        const page = await call('GET', `/v1/devices/${deviceId}/conversation?order=asc&limit=1000&from=0${cursor ? `&cursor=${cursor}` : ''}`);
        for (const i of page.items as { kind: string; bootId: string; seq: number }[]) if (i.kind === 'uplink') keys.push(`${i.bootId}/${i.seq}`);
        if (!page.nextCursor) return keys;
        cursor = page.nextCursor;
      }
    },
  };
}
