/**
 * A local Apache Kafka (KRaft) for the cluster mode, from Maven Central jars — no Docker.
 *
 *   npm run kafka -- start [--brokers 1|3] [--dir D] [--port P] [--host H]
 *   npm run kafka -- stop [--dir D]
 *   npm run kafka -- status [--dir D]
 *   npm run kafka -- fetch
 *
 * `start` runs the brokers in the background (they outlive this command) and prints the bootstrap
 * servers; `stop` stops them by pid. The default dir is `.parley/kafka` in the repository (ignored
 * by git); starting again on the same dir keeps its topics and ports.
 * Env: PARLEY_KAFKA_DIR (default dir), PARLEY_KAFKA_CACHE (jar cache, default ~/.cache/parley),
 * PARLEY_KAFKA_JAVA_OPTS (JVM flags instead of the small-machine defaults), PARLEY_LOG_LEVEL.
 * The work is in @parley/kafka-runner; this file only parses arguments and prints.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { describeError, isAppError } from '@parley/errors';
import { describeCluster, ensureKafkaJars, isOurBroker, readClusterState, startKafka, stopKafkaDir } from '@parley/kafka-runner';
import { createRootLogger } from '@parley/logger';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const USAGE = 'usage: kafka start [--brokers 1|3] [--dir D] [--port P] [--host H] | stop [--dir D] | status [--dir D] | fetch';

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      brokers: { type: 'string', default: '1' },
      dir: { type: 'string', default: process.env.PARLEY_KAFKA_DIR ?? join(root, '.parley', 'kafka') },
      port: { type: 'string' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  const dir = resolve(values.dir);
  const log = createRootLogger({ level: process.env.PARLEY_LOG_LEVEL ?? 'info', destination: process.stderr, base: { script: 'kafka' } });

  switch (command) {
    case 'fetch': {
      const started = Date.now();
      const jars = await ensureKafkaJars({ log });
      process.stdout.write(`Apache Kafka ${jars.version}: ${jars.libDir} (${jars.fetched ? `downloaded in ${((Date.now() - started) / 1000).toFixed(1)} s` : 'cached'})\n`);
      return 0;
    }
    case 'start': {
      const brokers = Number(values.brokers);
      if (brokers !== 1 && brokers !== 3) throw new Error(`--brokers must be 1 or 3 (got ${values.brokers})`);
      const port = values.port === undefined ? undefined : Number(values.port);
      const started = Date.now();
      const cluster = await startKafka({ brokers, dir, log, port, host: values.host, detached: true, brokerLogLevel: 'info' });
      const servers = cluster.bootstrapServers.join(',');
      process.stdout.write(
        `Apache Kafka ${cluster.kafkaVersion}, ${cluster.size} node(s), ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n` +
          `  bootstrap servers: ${servers}\n` +
          `  pids: ${cluster.bootstrapServers.map((_, i) => cluster.pid(i)).join(', ')}\n` +
          `  logs: ${dir}/node-*/server.log\n` +
          `  PARLEY_KAFKA_BROKERS=${servers}\n`,
      );
      return 0;
    }
    case 'stop': {
      const stopped = await stopKafkaDir(dir, { log });
      process.stdout.write(stopped.length > 0 ? `stopped Kafka pids ${stopped.join(', ')}\n` : `no Kafka running in ${dir}\n`);
      return 0;
    }
    case 'status': {
      const state = await readClusterState(dir);
      if (!state) {
        process.stdout.write(`no Kafka cluster in ${dir}\n`);
        return 1;
      }
      let up = 0;
      for (const n of state.nodes) {
        const running = n.pid !== null && isOurBroker(n.pid, n.propertiesFile);
        if (running) up++;
        process.stdout.write(`  node ${n.id}: ${state.host}:${n.port} ${running ? `running (pid ${n.pid})` : 'stopped'}\n`);
      }
      if (up > 0) {
        try {
          const view = await describeCluster(state.nodes.map((n) => `${state.host}:${n.port}`));
          process.stdout.write(`  cluster ${view.clusterId}: brokers [${view.nodeIds.join(', ')}], controller ${view.controller}\n`);
        } catch (err) {
          process.stdout.write(`  not answering metadata requests: ${describeError(err)}\n`);
          return 1;
        }
      }
      return up === state.nodes.length ? 0 : 1;
    }
    default:
      process.stderr.write(`unknown command '${command}'\n${USAGE}\n`);
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kafka: ${isAppError(err) ? `[${err.code}] ` : ''}${describeError(err)}\n`);
    process.exit(1);
  },
);
