import { AppError, DependencyError, ValidationError } from '@parley/errors';

/** Stable error codes of the Kafka runner (scripts and tests match on them). */
export const KafkaRunnerErrorCode = {
  /** `java` is not on PATH or cannot run. */
  javaMissing: 'kafka_java_missing',
  /** `mvn` is not on PATH or cannot run. */
  mavenMissing: 'kafka_maven_missing',
  /** Maven could not download the Kafka jars. */
  fetchFailed: 'kafka_fetch_failed',
  /** Formatting the KRaft storage failed. */
  formatFailed: 'kafka_format_failed',
  /** A broker process exited or did not accept connections in time. */
  startFailed: 'kafka_start_failed',
  /** The options (broker count, ports, dir) are unusable. */
  optionsInvalid: 'kafka_options_invalid',
  /** A cluster is already running in the directory (CLI). */
  alreadyRunning: 'kafka_already_running',
} as const;

export function toolMissingError(tool: 'java' | 'mvn', detail: string): AppError {
  const java = tool === 'java';
  return new AppError(
    java ? KafkaRunnerErrorCode.javaMissing : KafkaRunnerErrorCode.mavenMissing,
    java
      ? `cannot run 'java' (${detail}): the Kafka broker needs a Java 17+ runtime on PATH (Debian/Ubuntu: apt-get install openjdk-17-jre-headless), or set JAVA_HOME`
      : `cannot run 'mvn' (${detail}): fetching the Kafka jars from Maven Central needs Apache Maven 3.6+ on PATH (Debian/Ubuntu: apt-get install maven)`,
    { retryable: false, context: { tool } },
  );
}

export function fetchFailedError(version: string, output: string, cause?: unknown): DependencyError {
  return new DependencyError(
    KafkaRunnerErrorCode.fetchFailed,
    `downloading Apache Kafka ${version} from Maven Central failed; check network access to repo.maven.apache.org (or your ~/.m2/settings.xml mirror). Maven said:\n${output}`,
    { cause, context: { version } },
  );
}

export function formatFailedError(node: number, output: string): DependencyError {
  return new DependencyError(KafkaRunnerErrorCode.formatFailed, `formatting the KRaft storage of Kafka node ${node} failed:\n${output}`, {
    retryable: false,
    context: { node },
  });
}

export function startFailedError(node: number, reason: string, logFile: string, logTail: string): DependencyError {
  return new DependencyError(
    KafkaRunnerErrorCode.startFailed,
    `Kafka node ${node} did not start: ${reason}. Its log is ${logFile}; last lines:\n${logTail}`,
    { context: { node, logFile } },
  );
}

export function invalidOptionsError(message: string): ValidationError {
  return new ValidationError(KafkaRunnerErrorCode.optionsInvalid, message);
}
