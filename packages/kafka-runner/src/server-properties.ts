/** Where one node of the local cluster listens and keeps its data. */
export interface NodeLayout {
  /** KRaft node id, 1-based. */
  id: number;
  host: string;
  /** Client (PLAINTEXT) listener. */
  port: number;
  /** KRaft controller listener. */
  controllerPort: number;
  /** Absolute `log.dirs` (the KRaft metadata log lives here too). */
  dataDir: string;
}

/**
 * The `server.properties` of one combined broker+controller node of an n-node local cluster.
 *
 * Choices (all overridable through `overrides`):
 * - every node is both broker and controller, with a static voter set (`controller.quorum.voters`),
 *   so `kafka-storage format` needs no quorum bootstrap flags and any single node of three can die;
 * - replication factor n for every topic incl. the internal ones, `min.insync.replicas` 2 of 3
 *   (1 for a single node), so with acks=all an acknowledged record is on ≥ 2 brokers;
 * - no topic auto-creation: the KafkaLog creates its topic with the partition count it was given,
 *   and a typo in a topic name fails instead of quietly creating a 1-partition topic;
 * - settings for a fast local loop on a small machine: no initial rebalance delay, consumer session
 *   timeouts down to 1 s allowed, a handful of consumer-offset partitions instead of 50, two
 *   network/IO threads, and brokers fenced 3 s after their last heartbeat (default 9 s) so fault
 *   tests see a failover quickly.
 */
export function renderServerProperties(node: NodeLayout, all: NodeLayout[], overrides: Record<string, string> = {}): string {
  const n = all.length;
  const minIsr = n >= 3 ? 2 : 1;
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(node.id),
    'controller.quorum.voters': all.map((o) => `${o.id}@${o.host}:${o.controllerPort}`).join(','),
    listeners: `PLAINTEXT://${node.host}:${node.port},CONTROLLER://${node.host}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${node.host}:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': node.dataDir,
    'auto.create.topics.enable': 'false',
    'num.partitions': '1',
    'default.replication.factor': String(n),
    'min.insync.replicas': String(minIsr),
    'unclean.leader.election.enable': 'false',
    'offsets.topic.replication.factor': String(n),
    'offsets.topic.num.partitions': '5',
    'transaction.state.log.replication.factor': String(n),
    'transaction.state.log.min.isr': String(minIsr),
    'transaction.state.log.num.partitions': '5',
    'share.coordinator.state.topic.replication.factor': String(n),
    'share.coordinator.state.topic.min.isr': String(minIsr),
    'group.initial.rebalance.delay.ms': '0',
    // Lets tests use short consumer session timeouts (the broker default floor is 6 s).
    'group.min.session.timeout.ms': '1000',
    'num.network.threads': '2',
    'num.io.threads': '2',
    'num.recovery.threads.per.data.dir': '1',
    'background.threads': '2',
    'broker.heartbeat.interval.ms': '500',
    'broker.session.timeout.ms': '3000',
    ...overrides,
  };
  return `${Object.entries(props)
    .map(([k, v]) => `${k}=${escapeValue(v)}`)
    .join('\n')}\n`;
}

/** java.util.Properties escaping for values: backslashes (Windows paths) and leading spaces. */
function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/^ /, '\\ ');
}
