import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deleteKeys } from '@parley/broker/redis-testing';
import { describeError } from '@parley/errors';
import { freePorts, startKafka, type KafkaCluster } from '@parley/kafka-runner';
import type { Logger } from '@parley/logger';
import { startChild, type Child, type ChildEcho } from '../cluster/processes';
import { checkRedis, dropDatabase, ensureDatabase } from '../cluster/prerequisites';
import { soakApi } from './api-client';
import type { FaultName } from './args';
import { SoakProcess } from './soak-process';
import { ingestFigures, type FaultReport, type SoakTarget } from './target';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TOPIC = 'parley.soak';
const PARTITIONS = 4;

/** Whether `pid` is a live process (signal 0 only checks). */
function alive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The cluster mode on this machine, every part a process of its own: a 1-node Kafka
 * (kafka-runner) in `<dir>/kafka`, a fresh PostgreSQL database `parley_soak_<random>` (dropped at
 * the end), Redis under a key prefix of this run (deleted at the end), the store server (chDB behind
 * ClickHouse's HTTP interface), one API process, two broker processes and two ingester processes in
 * one consumer group — started from `main.ts` as `npm run start:cluster` starts them.
 *
 * Faults: `kafka` stops the Kafka node by pid (SIGTERM and SIGKILL in turn) and starts it again on
 * the same log dir; `broker` / `ingester` kill -9 one of the two (in turn) and restart it on the same
 * ports. The API process is never killed: it is the reconciliation's window on the store.
 */
export async function startClusterTarget(dir: string, echo: ChildEcho, log: Logger): Promise<SoakTarget> {
  const redisUrl = process.env.PARLEY_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const adminUrl = process.env.PARLEY_POSTGRES_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `parley_soak_${randomBytes(4).toString('hex')}`;
  const redisKeyPrefix = `parley-soak-${randomBytes(4).toString('hex')}:`;
  const cleanups: (() => Promise<unknown>)[] = [];
  const processes: SoakProcess[] = [];
  let store: Child | undefined;
  let kafka: KafkaCluster | undefined;
  const cleanUp = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  const killNow = () => {
    for (const p of processes) p.killNow();
    if (store && store.proc.exitCode === null && store.proc.signalCode === null) store.proc.kill('SIGKILL');
    const pid = kafka?.pid(0);
    if (pid) process.kill(pid, 'SIGKILL');
  };

  try {
    // Redis, PostgreSQL, Java/Maven (startKafka checks them first) at once: one run names every missing piece.
    const [redisR, dbR, kafkaR] = await Promise.allSettled([checkRedis(redisUrl), ensureDatabase(adminUrl, dbName), startKafka({ brokers: 1, dir: join(dir, 'kafka'), log })]);
    if (dbR.status === 'fulfilled') cleanups.push(() => dropDatabase(adminUrl, dbName));
    if (redisR.status === 'fulfilled') cleanups.push(() => deleteKeys(redisKeyPrefix, redisUrl));
    if (kafkaR.status === 'fulfilled') cleanups.push(() => kafkaR.value.stop());
    if (redisR.status !== 'fulfilled' || dbR.status !== 'fulfilled' || kafkaR.status !== 'fulfilled') {
      const reasons = [redisR, dbR, kafkaR].flatMap((r) => (r.status === 'rejected' ? [r.reason instanceof Error ? r.reason.message : describeError(r.reason)] : []));
      throw new Error(`the cluster soak cannot start:\n${reasons.map((r) => `  - ${r}`).join('\n')}`);
    }
    const databaseUrl = dbR.value;
    const startedKafka = (kafka = kafkaR.value);

    store = await startChild('store', root, 'services/store-server/src/main.ts', [], { PARLEY_STORE_DATA_DIR: join(dir, 'store'), PARLEY_STORE_PORT: '0', PARLEY_LOG_LEVEL: 'warn' }, /Parley store server/, 120_000, echo);
    const startedStore = store;
    cleanups.push(() => startedStore.stop());

    const [httpPort, mqtt1, mqtt2, metrics1, metrics2] = await freePorts('127.0.0.1', 5);
    const token = `pm_soak_${randomBytes(16).toString('hex')}`;
    const common = {
      PARLEY_MANUFACTURER_TOKEN: token,
      PARLEY_DATABASE_URL: databaseUrl,
      PARLEY_DATABASE_POOL_SIZE: '4',
      PARLEY_REDIS_URL: redisUrl,
      PARLEY_REDIS_KEY_PREFIX: redisKeyPrefix,
      PARLEY_KAFKA_BROKERS: startedKafka.bootstrapServers.join(','),
      PARLEY_KAFKA_TOPIC: TOPIC,
      PARLEY_KAFKA_PARTITIONS: String(PARTITIONS),
      PARLEY_CLICKHOUSE_URL: store.banner.URL!,
    };
    const role = async (name: string, roles: string, extra: Record<string, string>) => {
      const p = await SoakProcess.start(name, { ...common, PARLEY_ROLES: roles, PARLEY_DATA_DIR: join(dir, name), ...extra }, echo);
      processes.push(p);
      return p;
    };
    // Stopped in this order: brokers (nothing new acknowledged), ingesters (after catching up), API.
    const stopRoles = async (): Promise<string> => {
      const how: string[] = [];
      for (const group of ['broker', 'ingester', 'api']) {
        const stopping = processes.filter((p) => p.name.startsWith(group));
        how.push(...(await Promise.all(stopping.map(async (p) => `${p.name} ${(await p.stop()) ?? 'down'}`))));
      }
      return how.join(', ');
    };
    cleanups.push(stopRoles);
    // The API first: it migrates the registry and the store. Then one ingester creates the topic.
    const api = await role('api', 'api', { PARLEY_HTTP_PORT: String(httpPort) });
    const ingesters = [await role('ingester-1', 'ingester', { PARLEY_METRICS_PORT: String(metrics1) })];
    const brokers = await Promise.all([role('broker-1', 'broker', { PARLEY_MQTT_PORT: String(mqtt1) }), role('broker-2', 'broker', { PARLEY_MQTT_PORT: String(mqtt2) })]);
    ingesters.push(await role('ingester-2', 'ingester', { PARLEY_METRICS_PORT: String(metrics2) }));

    const count: Partial<Record<FaultName, number>> = {};
    let busy: string | undefined;
    const restartRole = async (fault: FaultName, p: SoakProcess): Promise<FaultReport> => {
      const pid = p.pid;
      const ms = await p.killAndRestart();
      return { fault, what: `kill -9 ${p.name} pid ${pid}, restarted as pid ${p.pid} on the same ports`, recoveryMs: ms };
    };
    const restartKafka = async (n: number): Promise<FaultReport> => {
      // Both a controlled shutdown and a crash, in turn.
      const signal = n % 2 === 0 ? 'SIGTERM' : 'SIGKILL';
      const pid = startedKafka.pid(0);
      const t0 = performance.now();
      await startedKafka.stopBroker(0, { signal });
      await startedKafka.startBroker(0);
      return { fault: 'kafka', what: `Kafka node pid ${pid} stopped with ${signal}, started again on the same log dir as pid ${startedKafka.pid(0)}`, recoveryMs: Math.round(performance.now() - t0) };
    };
    /** Asks the ingesters that answer; the lag is the group's (any one tells it), the p99 the worst window. */
    const figures = async () => {
      const answers = await Promise.all(
        ingesters.map(async (p) => {
          if (!p.up) return null;
          const res = await fetch(p.banner('Metrics'), { signal: AbortSignal.timeout(10_000) }).catch(() => null);
          return res?.ok ? ingestFigures(await res.text()) : null;
        }),
      );
      const got = answers.filter((a) => a !== null);
      const p99s = got.map((a) => a.p99Ms).filter((x) => x !== null);
      return { lag: got.find((a) => a.lag !== null)?.lag ?? null, p99Ms: p99s.length > 0 ? Math.max(...p99s) : null };
    };

    return {
      description: [
        `cluster: Kafka ${startedKafka.kafkaVersion} (1 node, pid ${startedKafka.pid(0)}, ${startedKafka.bootstrapServers.join(',')}, topic ${TOPIC} with ${PARTITIONS} partitions, log dir ${join(dir, 'kafka')})`,
        `  PostgreSQL database ${dbName} (fresh, dropped at the end), Redis ${redisUrl} under ${redisKeyPrefix}, store server ${store.banner.URL} (pid ${store.proc.pid})`,
        `  api pid ${api.pid} ${api.banner('API')}; brokers pids ${brokers.map((b) => `${b.pid} ${b.banner('MQTT')}`).join(', ')}; ingesters pids ${ingesters.map((i) => i.pid).join(', ')}`,
      ],
      mqttUrls: brokers.map((b) => b.banner('MQTT')),
      api: soakApi(api.banner('API'), () => token),
      async inject(fault) {
        const n = count[fault] ?? 0;
        count[fault] = n + 1;
        const target = fault === 'broker' ? brokers[n % 2]! : fault === 'ingester' ? ingesters[n % 2]! : undefined;
        if (fault !== 'kafka' && !target) throw new Error(`the cluster soak has no fault ${fault}`);
        busy = target?.name ?? 'kafka';
        try {
          return target ? await restartRole(fault, target) : await restartKafka(n);
        } finally {
          busy = undefined;
        }
      },
      lag: async () => (await figures()).lag,
      ingestP99Ms: async () => (await figures()).p99Ms,
      down: () => [
        ...processes.filter((p) => !p.up && p.name !== busy).map((p) => p.name),
        ...(startedStore.proc.exitCode !== null || startedStore.proc.signalCode !== null ? ['store'] : []),
        ...(busy !== 'kafka' && !alive(startedKafka.pid(0)) ? ['kafka'] : []),
      ],
      state: () => (busy ? `${busy} restarting` : 'up'),
      async stop() {
        const how = await stopRoles();
        await cleanUp();
        return `stopped: ${how}`;
      },
      killNow,
    };
  } catch (err) {
    killNow();
    await cleanUp();
    throw err;
  }
}
