import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '@parley/logger';
import { fetchFailedError } from './errors';
import { requireMaven, run } from './tools';

/** The pom that pins the Kafka release and the broker's runtime jars (next to package.json). */
export const POM_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', 'pom.xml');

/** Written last into a complete cache dir; holds the hash of the pom the jars came from. */
const COMPLETE_MARKER = '.parley-complete';

/** A ready jar directory of one Kafka release. */
export interface KafkaJars {
  /** The Kafka release, e.g. `4.3.1`. */
  version: string;
  /** Directory with every jar the broker needs. */
  libDir: string;
  /** `-cp` value for java: `<libDir>/*`. */
  classpath: string;
  /** Whether this call downloaded them (false: reused the cache). */
  fetched: boolean;
}

export interface EnsureKafkaJarsOptions {
  /** Cache root; default `$PARLEY_KAFKA_CACHE`, else `~/.cache/parley`. Never inside the repository. */
  cacheDir?: string;
  log: Logger;
}

/** `$PARLEY_KAFKA_CACHE` or `~/.cache/parley`. */
export function defaultCacheDir(): string {
  return process.env.PARLEY_KAFKA_CACHE || join(homedir(), '.cache', 'parley');
}

/** The Kafka version pinned in pom.xml (`<kafka.version>`). */
export async function pinnedKafkaVersion(): Promise<string> {
  return parseKafkaVersion(await readFile(POM_PATH, 'utf8'));
}

export function parseKafkaVersion(pom: string): string {
  const m = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (!m) throw new Error(`${POM_PATH} has no <kafka.version> property`);
  return m[1]!;
}

/**
 * Makes sure the pinned Kafka release is in the cache (`<cacheDir>/kafka-<version>/libs`) and
 * returns where. The first call downloads it with Maven (`dependency:copy-dependencies`; Maven's
 * own `~/.m2` cache and mirror settings apply); later calls only read a marker file. Editing
 * pom.xml makes the next call fetch again.
 *
 * Safe to call from several processes at once (parallel test files on a cold cache): each
 * downloads into its own temporary directory and renames it into place; a loser of that race uses
 * the winner's copy.
 */
export async function ensureKafkaJars(options: EnsureKafkaJarsOptions): Promise<KafkaJars> {
  const pom = await readFile(POM_PATH, 'utf8');
  const version = parseKafkaVersion(pom);
  const pomHash = createHash('sha256').update(pom).digest('hex');
  const root = options.cacheDir ?? defaultCacheDir();
  const target = join(root, `kafka-${version}`);
  const result = (fetched: boolean): KafkaJars => ({ version, libDir: join(target, 'libs'), classpath: join(target, 'libs', '*'), fetched });

  if ((await readMarker(target)) === pomHash) return result(false);

  const mvn = await requireMaven();
  const log = options.log.child({ component: 'kafka-jars', version });
  await mkdir(root, { recursive: true });
  const staging = `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const started = Date.now();
  log.info({ cacheDir: target }, 'downloading Apache Kafka jars from Maven Central (first run only)');
  try {
    await mkdir(staging, { recursive: true });
    await copyFile(POM_PATH, join(staging, 'pom.xml'));
    const res = await run(
      mvn,
      ['-q', '-B', '-Dstyle.color=never', '-f', join(staging, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${join(staging, 'libs')}`, '-DincludeScope=runtime'],
      { cwd: staging, timeoutMs: 15 * 60_000 },
    );
    if (res.code !== 0) throw fetchFailedError(version, tail(res.output, 40));
    const jars = (await readdir(join(staging, 'libs'))).filter((f) => f.endsWith('.jar'));
    if (!jars.some((f) => f.startsWith(`kafka_2.13-${version}`))) throw fetchFailedError(version, `no kafka_2.13-${version}.jar among ${jars.length} copied jars`);
    await writeFile(join(staging, COMPLETE_MARKER), `${pomHash}\n`);
    await install(staging, target, pomHash);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  log.info({ ms: Date.now() - started, cacheDir: target }, 'Apache Kafka jars ready');
  return result(true);
}

/** Moves a complete staging dir into place, replacing an outdated or partial copy. */
async function install(staging: string, target: string, pomHash: string): Promise<void> {
  if (existsSync(target)) {
    if ((await readMarker(target)) === pomHash) return; // another process won the race
    const old = `${target}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
    await rename(target, old).catch(() => undefined);
    await rm(old, { recursive: true, force: true });
  }
  try {
    await rename(staging, target);
  } catch (err) {
    // Lost a race to another process that renamed its copy in first: use that one.
    if ((await readMarker(target)) !== pomHash) throw err;
  }
}

async function readMarker(dir: string): Promise<string | null> {
  try {
    return (await readFile(join(dir, COMPLETE_MARKER), 'utf8')).trim();
  } catch {
    return null;
  }
}

function tail(text: string, lines: number): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}
