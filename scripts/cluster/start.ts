/**
 * `npm run start:cluster`: the cluster mode on one machine, every role its own process.
 *
 *   Kafka (kafka-runner, or PARLEY_KAFKA_BROKERS) · PostgreSQL database `parley` (created if missing,
 *   or PARLEY_DATABASE_URL) · Redis (PARLEY_REDIS_URL, default redis://127.0.0.1:6379) · the store
 *   server (development stand-in for ClickHouse, or PARLEY_CLICKHOUSE_URL) · 2 brokers · 2 ingesters
 *   · 1 API · 2 simulators (one per broker)
 *
 * State lives in `.parley/cluster/` (ignored by git): Kafka's data and ports, the store, the
 * manufacturer token, the demo fleet. Running it again reuses all of it. Ctrl-C stops in order:
 * simulators, brokers (nothing new acknowledged), ingesters (after catching up), API, store, Kafka.
 *
 * Env: PARLEY_HTTP_PORT (8080), PARLEY_MQTT_PORT (1884; the second broker takes the next port),
 * PARLEY_STORE_PORT (8123), PARLEY_SIM_DEVICES (12), PARLEY_SIM_RATE (6, per simulator),
 * PARLEY_SIM=off, PARLEY_LOG_LEVEL (warn), PARLEY_CLUSTER_DIR.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeError, isAppError } from '@parley/errors';
import { startKafka, stopKafkaDir, type KafkaCluster } from '@parley/kafka-runner';
import { createRootLogger } from '@parley/logger';
import { ensureClusterFleet } from './demo-fleet';
import { checkDatabase, checkRedis, ensureDatabase } from './prerequisites';
import { isOurChild, startChild, type Child } from './processes';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = process.env;
const dir = resolve(env.PARLEY_CLUSTER_DIR ?? join(root, '.parley', 'cluster'));
const logLevel = env.PARLEY_LOG_LEVEL ?? 'warn';
const log = createRootLogger({ level: logLevel, destination: process.stderr, base: { script: 'start-cluster' } });

/** The manufacturer token every API process shares, generated once. */
async function clusterToken(): Promise<string> {
  if (env.PARLEY_MANUFACTURER_TOKEN) return env.PARLEY_MANUFACTURER_TOKEN;
  const file = join(dir, 'manufacturer-token');
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const token = `pm_${randomBytes(24).toString('base64url')}`;
  await writeFile(file, token, { mode: 0o600 });
  return token;
}

const PIDS_FILE = () => join(dir, 'pids.json');

/** Stops what a previous run that was killed left behind (its pids are recorded), so a re-run finds its ports free. */
async function stopLeftovers(): Promise<void> {
  const pids = (await readFile(PIDS_FILE(), 'utf8').then(JSON.parse, () => [])) as number[];
  for (const pid of pids) {
    if (await isOurChild(pid, root)) {
      process.stdout.write(`Stopping process ${pid} left over from an earlier run…\n`);
      process.kill(pid, 'SIGKILL');
    }
  }
  await stopKafkaDir(join(dir, 'kafka')).catch(() => []);
}

async function main(): Promise<number> {
  await mkdir(dir, { recursive: true });
  await stopLeftovers();
  const children: Child[] = [];
  // The children run in their own process groups; if this script dies anyway, they go with it.
  process.on('exit', () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    for (let i = 0; i < (kafka?.size ?? 0); i++) {
      const pid = kafka?.pid(i);
      if (pid) process.kill(pid, 'SIGKILL');
    }
  });
  let kafka: KafkaCluster | null = null;
  let stopping = false;

  /** Stops in dependency order; every step runs even if an earlier one failed. */
  const stopAll = async () => {
    stopping = true;
    const byName = (prefix: string) => children.filter((c) => c.name.startsWith(prefix));
    for (const group of ['sim', 'broker', 'ingester', 'api', 'store']) {
      await Promise.all(byName(group).map((c) => c.stop().catch(() => undefined)));
    }
    await kafka?.stop().catch(() => undefined);
  };
  const watch = (c: Child) => {
    children.push(c);
    void writeFile(PIDS_FILE(), JSON.stringify(children.map((x) => x.proc.pid)));
    void c.exited.then((code) => {
      if (stopping) return;
      process.stderr.write(`\n${c.name} exited unexpectedly (${code}); stopping the cluster.\n`);
      void stopAll().then(() => process.exit(1));
    });
    return c;
  };
  process.on('SIGINT', () => void (stopping ? undefined : stopAll().then(() => process.exit(0))));
  process.on('SIGTERM', () => void (stopping ? undefined : stopAll().then(() => process.exit(0))));

  try {
    // Prerequisites first, each failing with what to do.
    const redisUrl = env.PARLEY_REDIS_URL ?? 'redis://127.0.0.1:6379';
    await checkRedis(redisUrl);
    let databaseUrl = env.PARLEY_DATABASE_URL;
    if (databaseUrl) await checkDatabase(databaseUrl);
    else databaseUrl = await ensureDatabase(env.PARLEY_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'parley');

    let kafkaBrokers = env.PARLEY_KAFKA_BROKERS;
    if (!kafkaBrokers) {
      process.stdout.write('Starting Kafka (first run downloads ≈ 44 MB of jars from Maven Central)…\n');
      // Detached: a terminal Ctrl-C must not stop Kafka before the brokers and ingesters.
      kafka = await startKafka({ brokers: 1, dir: join(dir, 'kafka'), log, detached: true });
      kafkaBrokers = kafka.bootstrapServers.join(',');
    }

    let clickhouseUrl = env.PARLEY_CLICKHOUSE_URL;
    if (!clickhouseUrl) {
      const store = watch(
        await startChild('store', root, 'services/store-server/src/main.ts', [], { PARLEY_STORE_DATA_DIR: join(dir, 'store'), PARLEY_STORE_PORT: env.PARLEY_STORE_PORT ?? '8123', PARLEY_LOG_LEVEL: logLevel }, /Parley store server/),
      );
      clickhouseUrl = store.banner.URL!;
    }

    const token = await clusterToken();
    const mqttBase = Number(env.PARLEY_MQTT_PORT ?? 1884);
    const common = {
      PARLEY_LOG_LEVEL: logLevel,
      PARLEY_MANUFACTURER_TOKEN: token,
      PARLEY_DATABASE_URL: databaseUrl,
      PARLEY_REDIS_URL: redisUrl,
      PARLEY_KAFKA_BROKERS: kafkaBrokers,
      PARLEY_CLICKHOUSE_URL: clickhouseUrl,
      PARLEY_SIM: 'off',
    };
    const role = (name: string, roles: string, extra: Record<string, string> = {}) =>
      startChild(name, root, 'services/platform/src/main.ts', [], { ...common, PARLEY_ROLES: roles, PARLEY_DATA_DIR: join(dir, name), ...extra }, /Parley is running/).then(watch);

    // The API first: it migrates the registry and the store, and the fleet is provisioned through it.
    const api = await role('api', 'api', { PARLEY_HTTP_PORT: env.PARLEY_HTTP_PORT ?? '8080' });
    const brokers = await Promise.all([
      role('broker-1', 'broker', { PARLEY_MQTT_PORT: String(mqttBase) }),
      role('broker-2', 'broker', { PARLEY_MQTT_PORT: String(mqttBase === 0 ? 0 : mqttBase + 1) }),
    ]);
    // Delivery (owner-directed push) rides along with the ingesters: its own consumer group, its own leases.
    await Promise.all([role('ingester-1', 'ingester,delivery'), role('ingester-2', 'ingester,delivery')]);

    const simOn = !['off', '0', 'false', 'no'].includes(env.PARLEY_SIM ?? 'on');
    const simDevices = Number(env.PARLEY_SIM_DEVICES ?? 12);
    const simRate = env.PARLEY_SIM_RATE ?? '6';
    if (simOn && simDevices > 0) {
      const files = await ensureClusterFleet(dir, api.banner.API!, token, simDevices);
      await Promise.all(
        brokers.map((b, i) => startChild(`sim-${i + 1}`, root, 'firmware-sim/src/main.ts', ['--broker', b.banner.MQTT!, '--devices', files[i]!, '--rate', simRate, '--progress', '30s'], {}, null).then(watch)),
      );
    }

    process.stdout.write(
      [
        '',
        'Parley is running (cluster mode, one process per role).',
        `  API        ${api.banner.API}        (OpenAPI: ${api.banner.API}/openapi.json)`,
        `  MQTT       ${brokers.map((b) => b.banner.MQTT).join('  ')}   (devices may use either)`,
        `  Kafka      ${kafkaBrokers}${kafka ? `   (local, data in ${join(dir, 'kafka')})` : ''}`,
        `  Store      ${clickhouseUrl}${env.PARLEY_CLICKHOUSE_URL ? '' : '   (store server: development stand-in for ClickHouse)'}`,
        `  Registry   PostgreSQL database ${new URL(databaseUrl).pathname.slice(1)}`,
        `  Processes  store, api, broker-1, broker-2, ingester-1, ingester-2${simOn ? ', sim-1, sim-2' : ''}`,
        `  Simulator  ${simOn ? `${simDevices} devices, ${simRate} msgs/s per broker` : 'off'}`,
        `  Token      ${token}`,
        '',
        'Try:',
        `  curl -H 'Authorization: Bearer ${token}' '${api.banner.API}/v1/devices'`,
        `  curl '${api.banner.API}/readyz'`,
        '',
        'Ctrl-C stops everything in order.',
        '',
      ].join('\n'),
    );
    return await new Promise<number>(() => undefined);
  } catch (err) {
    process.stderr.write(`start:cluster: ${isAppError(err) ? err.message : err instanceof Error ? err.message : describeError(err)}\n`);
    await stopAll();
    return 1;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`start:cluster: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
