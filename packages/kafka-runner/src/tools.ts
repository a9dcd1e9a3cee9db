import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { toolMissingError } from './errors';

/** The oldest Java the Kafka 4.x broker runs on. */
const MIN_JAVA_MAJOR = 17;

interface RunResult {
  code: number;
  output: string;
}

/** Runs a command to completion, collecting stdout+stderr; never rejects for a non-zero exit. */
export function run(command: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, timeout: options.timeoutMs ?? 0, maxBuffer: 16 * 1024 * 1024, env: process.env },
      (err, stdout, stderr) => {
        const output = `${stdout}${stderr}`;
        if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err);
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, output });
      },
    );
  });
}

/** `$JAVA_HOME/bin/java` when JAVA_HOME is set (what the Kafka scripts do), otherwise `java` on PATH. */
export function javaCommand(): string {
  const home = process.env.JAVA_HOME;
  return home ? join(home, 'bin', 'java') : 'java';
}

/**
 * Checks that Java 17+ runs, and returns its command. Throws `kafka_java_missing` with an
 * installation hint otherwise.
 */
export async function requireJava(): Promise<string> {
  const java = javaCommand();
  let result: RunResult;
  try {
    result = await run(java, ['-version'], { timeoutMs: 30_000 });
  } catch (err) {
    throw toolMissingError('java', (err as Error).message);
  }
  if (result.code !== 0) throw toolMissingError('java', `exit ${result.code}: ${result.output.trim()}`);
  const major = parseJavaMajor(result.output);
  if (major !== null && major < MIN_JAVA_MAJOR) {
    throw toolMissingError('java', `found Java ${major}, Kafka 4 needs ${MIN_JAVA_MAJOR} or newer`);
  }
  return java;
}

/** Checks that Maven runs. Throws `kafka_maven_missing` with an installation hint otherwise. */
export async function requireMaven(): Promise<string> {
  try {
    const result = await run('mvn', ['-v', '-B'], { timeoutMs: 60_000 });
    if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.output.trim()}`);
  } catch (err) {
    throw toolMissingError('mvn', (err as Error).message);
  }
  return 'mvn';
}

/** `openjdk version "17.0.15"` → 17; `java version "1.8.0_392"` → 8; null when unrecognised. */
export function parseJavaMajor(versionOutput: string): number | null {
  const m = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!m) return null;
  const first = Number(m[1]);
  return first === 1 && m[2] !== undefined ? Number(m[2]) : first;
}
