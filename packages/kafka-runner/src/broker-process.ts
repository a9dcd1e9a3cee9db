import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@parley/logger';

/**
 * JVM flags for a broker on a small (2-core) machine where start-up time matters more than peak
 * throughput: a small heap, the serial collector (no GC threads competing for the two cores), C1
 * only (reaches steady state in seconds; costs peak throughput — pass your own `javaOptions` for
 * benchmarks), no perf-data file in /tmp.
 */
export const DEFAULT_JAVA_OPTIONS: readonly string[] = Object.freeze([
  '-Xms128m',
  '-Xmx512m',
  '-XX:+UseSerialGC',
  '-XX:TieredStopAtLevel=1',
  '-XX:-UsePerfData',
  '-Djava.awt.headless=true',
]);

/** slf4j-simple settings: warnings and the few lifecycle lines that say where the broker is. */
function loggingProperties(level: string): string[] {
  return [
    `-Dorg.slf4j.simpleLogger.defaultLogLevel=${level}`,
    '-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info',
    '-Dorg.slf4j.simpleLogger.log.kafka.server.BrokerServer=info',
    '-Dorg.slf4j.simpleLogger.showDateTime=true',
    "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSSZ",
    '-Dorg.slf4j.simpleLogger.logFile=System.out',
  ];
}

export interface SpawnBrokerOptions {
  java: string;
  classpath: string;
  propertiesFile: string;
  /** stdout+stderr of the JVM are appended here. */
  logFile: string;
  javaOptions: readonly string[];
  /** slf4j level of the broker's own log file. */
  logLevel: string;
  /**
   * true: the broker outlives this process (the CLI). false: a watchdog kills it within ~1 s if
   * this process dies without stopping it (a test worker killed by a timeout must not leave a JVM
   * holding ports and half a GiB on a 2-core machine).
   */
  detached: boolean;
}

/** Brokers started attached to this process; killed if the process exits without stopping them. */
const attached = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts `java -cp … kafka.Kafka server.properties` and returns the child (its pid is what `stop` needs). */
export function spawnBroker(o: SpawnBrokerOptions): ChildProcess {
  const out = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(o.java, [...o.javaOptions, ...loggingProperties(o.logLevel), '-cp', o.classpath, 'kafka.Kafka', o.propertiesFile], {
      stdio: ['ignore', out, out],
      detached: o.detached,
    });
  } finally {
    closeSync(out);
  }
  if (o.detached) {
    child.unref();
  } else {
    attached.add(child);
    child.once('exit', () => attached.delete(child));
    installExitHook();
    if (child.pid !== undefined) startWatchdog(child.pid);
  }
  return child;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of attached) child.kill('SIGKILL');
  });
}

/**
 * A detached `sh` loop that polls this process and the broker once a second and kills the broker
 * (TERM, then KILL after 5 s) when this process is gone. It exits by itself once the broker has.
 * Signals that skip Node's 'exit' handlers (SIGKILL, SIGTERM without a handler) are the reason.
 */
function startWatchdog(brokerPid: number): void {
  const script =
    'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; ' +
    'if kill -0 "$2" 2>/dev/null; then kill -TERM "$2"; sleep 5; kill -KILL "$2" 2>/dev/null; fi';
  const dog = spawn('sh', ['-c', script, 'parley-kafka-watchdog', String(process.pid), String(brokerPid)], { stdio: 'ignore', detached: true });
  dog.on('error', () => undefined);
  dog.unref();
}

/** Whether a process with this pid exists (a zombie counts until it is reaped). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is still the broker started with `propertiesFile` (and not an unrelated process
 * that got the pid after the broker died). Without /proc (macOS) it trusts the pid.
 */
export function isOurBroker(pid: number, propertiesFile: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(propertiesFile);
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * Stops a broker by pid: `signal` (SIGTERM: controlled shutdown, the log is closed cleanly), then
 * SIGKILL if it is still running after `timeoutMs`. Resolves once the process is gone.
 */
export async function stopPid(pid: number, options: { signal?: NodeJS.Signals; timeoutMs?: number; child?: ChildProcess; log?: Logger } = {}): Promise<void> {
  const signal = options.signal ?? 'SIGTERM';
  const gone = options.child ? exited(options.child) : null;
  if (!send(pid, signal)) return;
  if (await waitGone(pid, gone, options.timeoutMs ?? 15_000)) return;
  options.log?.warn({ pid, signal, timeoutMs: options.timeoutMs ?? 15_000 }, 'Kafka broker did not stop in time; killing it');
  send(pid, 'SIGKILL');
  await waitGone(pid, gone, 10_000);
}

/** Resolves when the child has exited (immediately if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function send(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

async function waitGone(pid: number, gone: Promise<void> | null, timeoutMs: number): Promise<boolean> {
  if (gone) {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const ok = await Promise.race([gone.then(() => true as const), timedOut]);
    clearTimeout(timer);
    return ok;
  }
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (!isAlive(pid)) return true;
    await sleep(50);
  }
  return !isAlive(pid);
}
