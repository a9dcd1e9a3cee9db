import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { AppError } from '@parley/errors';
import type { Logger } from '@parley/logger';
import { DEFAULT_JAVA_OPTIONS, exited, isOurBroker, spawnBroker, stopPid } from './broker-process';
import { newClusterId, readClusterState, writeClusterState, type ClusterState, type NodeState } from './cluster-state';
import { formatFailedError, invalidOptionsError, KafkaRunnerErrorCode, startFailedError } from './errors';
import { ensureKafkaJars, type KafkaJars } from './kafka-jars';
import { waitForBrokers } from './readiness';
import { renderServerProperties, type NodeLayout } from './server-properties';
import { requireJava, run } from './tools';

/** Options of {@link startKafka}. */
export interface StartKafkaOptions {
  /** 1: a single broker+controller. 3: three of them, replication factor 3, `min.insync.replicas=2`. Default 1. */
  brokers?: 1 | 3;
  /**
   * Working directory (created): `cluster.json`, and per node `node-<id>/` with `server.properties`,
   * `server.log` and `data/`. Starting again on the same directory reuses its data and ports.
   */
  dir: string;
  log: Logger;
  /** Interface to listen on and advertise. Default 127.0.0.1. */
  host?: string;
  /**
   * First port: node i (0-based) listens for clients on `port + 2i` and for the controller quorum on
   * `port + 2i + 1`. Default: free ports picked at start.
   */
  port?: number;
  /** Jar cache root, see `ensureKafkaJars`. */
  cacheDir?: string;
  /** Replaces {@link DEFAULT_JAVA_OPTIONS}; `PARLEY_KAFKA_JAVA_OPTS` (space-separated) does the same. */
  javaOptions?: readonly string[];
  /** Extra/overriding `server.properties` entries for every node. */
  brokerConfig?: Record<string, string>;
  /** Level of the brokers' own `server.log` (slf4j-simple). Default `warn`. */
  brokerLogLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** How long one node may take to accept connections. Default 120 s. */
  startTimeoutMs?: number;
  /** Brokers outlive this process (the CLI); stop them with `stopKafkaDir` or the returned handle. Default false. */
  detached?: boolean;
}

/** A running local cluster. Node indexes are 0-based (`stopBroker(0)` stops node id 1). */
export interface KafkaCluster {
  /** `host:port` of every node, for kafkajs `brokers`. */
  readonly bootstrapServers: string[];
  readonly clusterId: string;
  readonly kafkaVersion: string;
  readonly dir: string;
  /** Number of nodes. */
  readonly size: number;
  /** Pid of node i's JVM, null while it is stopped. */
  pid(i: number): number | null;
  /**
   * Stops node i: SIGTERM (controlled shutdown) then SIGKILL after `timeoutMs` (default 15 s);
   * `signal: 'SIGKILL'` simulates a crash.
   */
  stopBroker(i: number, options?: { signal?: NodeJS.Signals; timeoutMs?: number }): Promise<void>;
  /** Starts node i again (same ports and data) and waits until the cluster lists it. */
  startBroker(i: number): Promise<void>;
  /**
   * Stops every node (SIGTERM, SIGKILL after 10 s). Idempotent. Tests that throw the data away may
   * pass `signal: 'SIGKILL'`: a 3-node controlled shutdown takes seconds.
   */
  stop(options?: { signal?: NodeJS.Signals }): Promise<void>;
}

const NODE_IDS_BASE = 1;

/**
 * Starts a local Apache Kafka (KRaft) cluster from the Maven jars: fetches them on first use,
 * formats each node's storage once, writes `server.properties`, starts the JVMs and resolves when
 * every node answers a metadata request listing all nodes.
 */
export async function startKafka(options: StartKafkaOptions): Promise<KafkaCluster> {
  const size = options.brokers ?? 1;
  if (size !== 1 && size !== 3) throw invalidOptionsError(`brokers must be 1 or 3 (got ${String(size)})`);
  if (options.port !== undefined && (!Number.isInteger(options.port) || options.port < 1 || options.port + 2 * size > 65535)) {
    throw invalidOptionsError(`port must be an integer between 1 and ${65535 - 2 * size} (got ${options.port})`);
  }
  const dir = resolve(options.dir);
  const host = options.host ?? '127.0.0.1';
  const log = options.log.child({ component: 'kafka-runner', dir });
  const [java, jars] = await Promise.all([requireJava(), ensureKafkaJars({ cacheDir: options.cacheDir, log: options.log })]);
  await mkdir(dir, { recursive: true });

  let state = await readClusterState(dir);
  if (state) {
    if (state.nodes.length !== size) {
      throw invalidOptionsError(`${dir} holds a ${state.nodes.length}-node cluster; start it with brokers: ${state.nodes.length} or use another dir`);
    }
    const running = state.nodes.filter((n) => n.pid !== null && isOurBroker(n.pid, n.propertiesFile));
    if (running.length > 0) {
      throw new AppError(KafkaRunnerErrorCode.alreadyRunning, `a Kafka cluster is already running in ${dir} (pids ${running.map((n) => n.pid).join(', ')}); stop it first`, {
        context: { dir },
      });
    }
  } else {
    const ports = options.port !== undefined ? Array.from({ length: 2 * size }, (_, i) => options.port! + i) : await freePorts(host, 2 * size);
    state = {
      kafkaVersion: jars.version,
      clusterId: newClusterId(),
      host,
      nodes: Array.from({ length: size }, (_, i) => {
        const nodeDir = join(dir, `node-${i + NODE_IDS_BASE}`);
        return {
          id: i + NODE_IDS_BASE,
          port: ports[2 * i]!,
          controllerPort: ports[2 * i + 1]!,
          pid: null,
          propertiesFile: join(nodeDir, 'server.properties'),
          logFile: join(nodeDir, 'server.log'),
        };
      }),
    };
  }
  state.kafkaVersion = jars.version;

  const cluster = new LocalKafkaCluster(dir, state, jars, java, options, log);
  await cluster.prepare();
  const started = Date.now();
  try {
    await Promise.all(state.nodes.map((_, i) => cluster.startBroker(i)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  log.info({ bootstrapServers: cluster.bootstrapServers, kafkaVersion: jars.version, ms: Date.now() - started }, 'Kafka cluster started');
  return cluster;
}

class LocalKafkaCluster implements KafkaCluster {
  private readonly children = new Map<number, ChildProcess>();
  private readonly javaOptions: readonly string[];

  constructor(
    readonly dir: string,
    private readonly state: ClusterState,
    private readonly jars: KafkaJars,
    private readonly java: string,
    private readonly options: StartKafkaOptions,
    private readonly log: Logger,
  ) {
    const fromEnv = process.env.PARLEY_KAFKA_JAVA_OPTS?.trim();
    this.javaOptions = options.javaOptions ?? (fromEnv ? fromEnv.split(/\s+/) : DEFAULT_JAVA_OPTIONS);
  }

  get bootstrapServers(): string[] {
    return this.state.nodes.map((n) => `${this.state.host}:${n.port}`);
  }
  get clusterId(): string {
    return this.state.clusterId;
  }
  get kafkaVersion(): string {
    return this.jars.version;
  }
  get size(): number {
    return this.state.nodes.length;
  }

  pid(i: number): number | null {
    return this.node(i).pid;
  }

  /** Writes every node's server.properties and formats storage that is not formatted yet. */
  async prepare(): Promise<void> {
    const layouts = this.layouts();
    await Promise.all(
      this.state.nodes.map(async (node, i) => {
        const layout = layouts[i]!;
        await mkdir(layout.dataDir, { recursive: true });
        await writeFile(node.propertiesFile, renderServerProperties(layout, layouts, this.options.brokerConfig));
        if (existsSync(join(layout.dataDir, 'meta.properties'))) return;
        const res = await run(
          this.java,
          [...this.javaOptions, '-cp', this.jars.classpath, 'kafka.tools.StorageTool', 'format', '-t', this.state.clusterId, '-c', node.propertiesFile],
          { timeoutMs: 120_000 },
        );
        if (res.code !== 0) throw formatFailedError(node.id, res.output.trim().split('\n').slice(-20).join('\n'));
      }),
    );
    await writeClusterState(this.dir, this.state);
  }

  async startBroker(i: number): Promise<void> {
    const node = this.node(i);
    if (node.pid !== null && isOurBroker(node.pid, node.propertiesFile)) return;
    const child = spawnBroker({
      java: this.java,
      classpath: this.jars.classpath,
      propertiesFile: node.propertiesFile,
      logFile: node.logFile,
      javaOptions: this.javaOptions,
      logLevel: this.options.brokerLogLevel ?? 'warn',
      detached: this.options.detached ?? false,
    });
    let spawnError: Error | null = null;
    child.once('error', (err) => (spawnError = err));
    if (child.pid === undefined) {
      await new Promise((r) => setImmediate(r));
      throw startFailedError(node.id, `java could not be started (${spawnError ?? 'no pid'})`, node.logFile, '');
    }
    node.pid = child.pid;
    this.children.set(i, child);
    await writeClusterState(this.dir, this.state);
    this.log.debug({ node: node.id, pid: child.pid, port: node.port }, 'Kafka node starting');

    const address = `${this.state.host}:${node.port}`;
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 120_000);
    try {
      // Each node waits for the whole voter set: a node alone cannot elect a controller, so
      // "node 1 answers" before nodes 2 and 3 are up would not mean the cluster can take writes.
      await waitForBrokers(
        address,
        this.state.nodes.filter((n) => n.pid !== null).map((n) => n.id),
        deadline,
        () => {
          if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`the JVM exited (${child.exitCode !== null ? `code ${child.exitCode}` : child.signalCode})`);
          }
        },
      );
    } catch (err) {
      throw startFailedError(node.id, (err as Error).message, node.logFile, await logTail(node.logFile));
    }
    this.log.debug({ node: node.id, pid: child.pid, address }, 'Kafka node ready');
  }

  async stopBroker(i: number, options: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<void> {
    const node = this.node(i);
    const pid = node.pid;
    if (pid === null) return;
    const child = this.children.get(i);
    if (child || isOurBroker(pid, node.propertiesFile)) {
      await stopPid(pid, { ...options, child, log: this.log });
    }
    if (child) await exited(child);
    this.children.delete(i);
    node.pid = null;
    await writeClusterState(this.dir, this.state);
    this.log.debug({ node: node.id, pid, signal: options.signal ?? 'SIGTERM' }, 'Kafka node stopped');
  }

  async stop(options: { signal?: NodeJS.Signals } = {}): Promise<void> {
    // All at once: one by one, the last voters would wait for a quorum that is already gone.
    await Promise.all(this.state.nodes.map((_, i) => this.stopBroker(i, { signal: options.signal, timeoutMs: 10_000 })));
  }

  private node(i: number): NodeState {
    const node = this.state.nodes[i];
    if (!node) throw invalidOptionsError(`no Kafka node ${i}: this cluster has nodes 0..${this.state.nodes.length - 1}`);
    return node;
  }

  private layouts(): NodeLayout[] {
    return this.state.nodes.map((n) => ({
      id: n.id,
      host: this.state.host,
      port: n.port,
      controllerPort: n.controllerPort,
      dataDir: join(this.dir, `node-${n.id}`, 'data'),
    }));
  }
}

/**
 * Stops a cluster started (detached) in `dir` by another process: SIGTERM to every recorded pid
 * that is still that broker, SIGKILL after `timeoutMs`. Returns the pids it stopped.
 */
export async function stopKafkaDir(dir: string, options: { timeoutMs?: number; log?: Logger } = {}): Promise<number[]> {
  const abs = resolve(dir);
  const state = await readClusterState(abs);
  if (!state) return [];
  const stopped: number[] = [];
  await Promise.all(
    state.nodes.map(async (n) => {
      if (n.pid !== null && isOurBroker(n.pid, n.propertiesFile)) {
        await stopPid(n.pid, { timeoutMs: options.timeoutMs ?? 15_000, log: options.log });
        stopped.push(n.pid);
      }
      n.pid = null;
    }),
  );
  await writeClusterState(abs, state);
  return stopped;
}

/** Picks `count` distinct free TCP ports on `host` (held open together so none repeats). */
export async function freePorts(host: string, count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((res, rej) => {
        server.once('error', rej);
        server.listen(0, host, () => res());
      });
      const addr = server.address();
      if (addr === null || typeof addr === 'string') throw new Error('no port from listen(0)');
      ports.push(addr.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

async function logTail(file: string, lines = 30): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
