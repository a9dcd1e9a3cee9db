/**
 * `@parley/kafka-runner`: a local Apache Kafka (KRaft) for tests and development, run from the
 * Maven Central jars — no Docker, no Kafka tarball. Used by the KafkaLog contract tests and by
 * `scripts/kafka/cli.ts`. Services never import it.
 */
export { startKafka, stopKafkaDir, freePorts, type KafkaCluster, type StartKafkaOptions } from './kafka-cluster';
export { ensureKafkaJars, defaultCacheDir, pinnedKafkaVersion, type KafkaJars, type EnsureKafkaJarsOptions } from './kafka-jars';
export { DEFAULT_JAVA_OPTIONS, isOurBroker } from './broker-process';
export { readClusterState, type ClusterState, type NodeState } from './cluster-state';
export { describeCluster, type ClusterView } from './readiness';
export { renderServerProperties, type NodeLayout } from './server-properties';
export { KafkaRunnerErrorCode } from './errors';
