import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** `<dir>/cluster.json`: what `status`/`stop` from another process (the CLI) need to find the brokers. */
export const STATE_FILE = 'cluster.json';

export interface NodeState {
  id: number;
  port: number;
  controllerPort: number;
  /** Pid of the running JVM, null when stopped. */
  pid: number | null;
  propertiesFile: string;
  logFile: string;
}

export interface ClusterState {
  kafkaVersion: string;
  clusterId: string;
  host: string;
  nodes: NodeState[];
}

export async function readClusterState(dir: string): Promise<ClusterState | null> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return JSON.parse(text) as ClusterState;
}

/** Replaces the state file atomically (temp + rename), so a concurrent reader never sees half of it. */
export async function writeClusterState(dir: string, state: ClusterState): Promise<void> {
  const tmp = join(dir, `${STATE_FILE}.${randomBytes(4).toString('hex')}.tmp`);
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, join(dir, STATE_FILE));
}

/**
 * A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (what
 * `kafka-storage random-uuid` prints). Ids starting with '-' are avoided, like Kafka does, because
 * command lines would read them as flags.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
