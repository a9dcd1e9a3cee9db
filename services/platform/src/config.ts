import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { describeRedisUrl } from '@parley/broker';
import { ValidationError } from '@parley/errors';
import { describePostgresUrl } from '@parley/registry';
import { describeClickHouseUrl } from './clickhouse-url';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const flag = z
  .enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'])
  .transform((v) => ['1', 'true', 'on', 'yes'].includes(v));

/** The parts one process can run; the embedded default runs all of them. */
export const ROLES = ['broker', 'ingester', 'api', 'delivery'] as const;
export type Role = (typeof ROLES)[number];

/**
 * An optional URL checked by `describe` (which throws on a bad one). The value is never echoed in
 * the error: a mistyped URL may still carry a password.
 */
function secretUrl(describe: (url: string) => string, expected: string) {
  return z
    .string()
    .optional()
    .refine(
      (v) => {
        if (v === undefined) return true;
        try {
          describe(v);
          return true;
        } catch {
          return false;
        }
      },
      { message: `must be a URL like ${expected}` },
    );
}

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/;

/**
 * Every setting of the platform, one env variable each (flags override env). Parsed once
 * at startup; all problems are reported together.
 */
export const ConfigSchema = z.object({
  dataDir: z.string().min(1),
  mqttHost: z.string().min(1),
  mqttPort: port,
  httpHost: z.string().min(1),
  httpPort: port,
  manufacturerToken: z
    .string()
    .regex(/^[A-Za-z0-9._~+/=-]{16,512}$/, 'must be 16–512 characters of letters, digits or ._~+/=-')
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  maxPayloadBytes: positiveInt.max(16 * 1024 * 1024),
  maxPacketBytes: positiveInt.max(256 * 1024 * 1024),
  connectsPerMinute: positiveInt,
  authFailuresPerMinute: positiveInt.max(1_000_000),
  mqttConnectTimeoutMs: positiveInt.max(600_000),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  mqttsPort: port,
  tlsClientCa: z.string().min(1).optional(),
  ingestBatchRecords: positiveInt.max(100_000),
  ingestBatchWaitMs: z.coerce.number().int().min(0).max(60_000),
  ingestConvertOn: z.enum(['worker', 'main']),
  logRetentionBytes: positiveInt.optional(),
  logRetentionHours: positiveInt.optional(),
  sim: flag,
  simDevices: z.coerce.number().int().min(0).max(100_000),
  simRate: z.coerce.number().positive().max(1_000_000),
  statusIntervalMs: z.coerce.number().int().min(0),
  kAnonymity: z.coerce.number().int().min(2).max(1000),
  apiRequestsPerMinute: positiveInt.max(1_000_000),
  metricsPort: port.optional(),
  metricsHost: z.string().min(1),
  emergencyCommandClasses: z
    .string()
    .regex(/^([a-z][a-z0-9_.-]{1,47}(,[a-z][a-z0-9_.-]{1,47})*)?$/, 'must be a comma-separated list of command classes (a-z, 0-9, _.-)')
    .transform((v) => (v === '' ? [] : v.split(','))),
  databaseUrl: secretUrl(describePostgresUrl, 'postgres://user[:password]@host[:port]/database'),
  databasePoolSize: positiveInt.max(1000),
  redisUrl: secretUrl(describeRedisUrl, 'redis://[user:password@]host[:port][/db]'),
  redisKeyPrefix: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 of A–Z a–z 0–9 _ . : -'),
  kafkaBrokers: z
    .string()
    .optional()
    .transform((v) => (v === undefined ? undefined : v.split(',').map((b) => b.trim()).filter((b) => b !== '')))
    .refine((v) => v === undefined || (v.length > 0 && v.every((b) => hostPort.test(b))), { message: 'must be a comma-separated list of host:port' }),
  kafkaTopic: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, "must be a Kafka topic name (a-z, A-Z, 0-9, '.', '_', '-')"),
  kafkaPartitions: positiveInt.max(10_000),
  clickhouseUrl: secretUrl(describeClickHouseUrl, 'http[s]://[user:password@]host:port[/database]'),
  deliveryAllowInsecureTargets: flag,
  deliveryMaxAttempts: positiveInt.max(100),
  deliveryRetryBaseMs: positiveInt.max(3_600_000),
  deliveryRetryMaxMs: positiveInt.max(86_400_000),
  deliveryTimeoutMs: positiveInt.max(300_000),
  deliveryMaxPending: positiveInt.max(10_000_000),
  deliveryConcurrency: positiveInt.max(1000),
  roles: z
    .string()
    .transform((v) => v.split(',').map((r) => r.trim()).filter((r) => r !== ''))
    .pipe(z.array(z.enum(ROLES)).min(1, 'name at least one role'))
    .transform((v) => [...new Set(v)] as Role[]),
});

export type PlatformConfig = z.infer<typeof ConfigSchema>;

/**
 * env variable ↔ config key, with defaults; the README's configuration table mirrors this.
 * `secret`: never echoed in error messages (URLs may carry passwords).
 */
export const ENV: Record<keyof PlatformConfig, { env: string; default?: string; doc: string; secret?: true }> = {
  dataDir: { env: 'PARLEY_DATA_DIR', default: './data', doc: 'Directory for the log, the ClickHouse store, the registry and secrets' },
  mqttHost: { env: 'PARLEY_MQTT_HOST', default: '127.0.0.1', doc: 'Interface the MQTT broker binds to (0.0.0.0 for all)' },
  mqttPort: { env: 'PARLEY_MQTT_PORT', default: '1884', doc: 'MQTT port (1883 is often taken by a system broker); 0 = any free port' },
  httpHost: { env: 'PARLEY_HTTP_HOST', default: '127.0.0.1', doc: 'Interface the HTTP API binds to' },
  httpPort: { env: 'PARLEY_HTTP_PORT', default: '8080', doc: 'HTTP API port; 0 = any free port' },
  manufacturerToken: { env: 'PARLEY_MANUFACTURER_TOKEN', secret: true, doc: 'Bearer token for manufacturer routes; generated and kept in <data>/secrets when unset' },
  logLevel: { env: 'PARLEY_LOG_LEVEL', default: 'info', doc: 'fatal, error, warn, info, debug, trace or silent' },
  maxPayloadBytes: { env: 'PARLEY_MAX_PAYLOAD_BYTES', default: '65536', doc: 'Largest accepted device payload; larger ones are dead-lettered' },
  maxPacketBytes: { env: 'PARLEY_MAX_PACKET_BYTES', default: '262144', doc: 'Largest MQTT packet a client may announce; the connection is closed at the header (at least PARLEY_MAX_PAYLOAD_BYTES)' },
  connectsPerMinute: { env: 'PARLEY_CONNECTS_PER_MINUTE', default: '12', doc: 'MQTT connection attempts allowed per device per minute (burst: half of it)' },
  authFailuresPerMinute: { env: 'PARLEY_AUTH_FAILURES_PER_MINUTE', default: '30', doc: 'Failed MQTT authentications per client address per minute before it is refused unheard (burst: a third of it)' },
  mqttConnectTimeoutMs: { env: 'PARLEY_MQTT_CONNECT_TIMEOUT_MS', default: '10000', doc: 'A TCP connection that has not sent MQTT CONNECT by then is closed' },
  tlsCert: { env: 'PARLEY_TLS_CERT', doc: 'PEM certificate (chain) file; with PARLEY_TLS_KEY the API serves HTTPS and MQTT over TLS listens on PARLEY_MQTTS_PORT' },
  tlsKey: { env: 'PARLEY_TLS_KEY', secret: true, doc: 'PEM private key file of PARLEY_TLS_CERT' },
  mqttsPort: { env: 'PARLEY_MQTTS_PORT', default: '8883', doc: 'MQTT over TLS port when PARLEY_TLS_CERT/KEY are set; 0 = any free port' },
  tlsClientCa: {
    env: 'PARLEY_TLS_CLIENT_CA',
    doc: 'PEM CA file: devices on the MQTT-over-TLS port may log in with a certificate it signed (CN = device id) instead of a secret',
  },
  ingestBatchRecords: { env: 'PARLEY_INGEST_BATCH_RECORDS', default: '20000', doc: 'Most log records per ClickHouse insert (large batches only form under backlog)' },
  ingestBatchWaitMs: { env: 'PARLEY_INGEST_BATCH_WAIT_MS', default: '100', doc: 'Longest wait for a batch to fill before inserting' },
  ingestConvertOn: {
    env: 'PARLEY_INGEST_CONVERT_ON',
    default: 'worker',
    doc: 'Where the ingester decodes and encodes records: `worker` (a thread of its own, off the thread serving MQTT and HTTP) or `main`',
  },
  logRetentionBytes: { env: 'PARLEY_LOG_RETENTION_BYTES', doc: 'Delete consumed log segments beyond this total size' },
  logRetentionHours: { env: 'PARLEY_LOG_RETENTION_HOURS', default: '168', doc: 'Delete consumed log segments older than this' },
  sim: { env: 'PARLEY_SIM', default: 'on', doc: 'Run the simulated fleet inside `npm start` (on/off)' },
  simDevices: { env: 'PARLEY_SIM_DEVICES', default: '12', doc: 'Demo devices provisioned on first start and simulated' },
  simRate: { env: 'PARLEY_SIM_RATE', default: '6', doc: 'Messages per second across the simulated fleet' },
  statusIntervalMs: { env: 'PARLEY_STATUS_INTERVAL_MS', default: '10000', doc: 'How often a status line is logged (0 = never)' },
  kAnonymity: { env: 'PARLEY_K_ANONYMITY', default: '5', doc: 'Fleet aggregates never show a group of fewer devices than this' },
  metricsPort: { env: 'PARLEY_METRICS_PORT', doc: 'Processes without the API role (cluster brokers, ingesters) serve GET /metrics on this port; unset = none' },
  metricsHost: { env: 'PARLEY_METRICS_HOST', default: '127.0.0.1', doc: 'Interface PARLEY_METRICS_PORT binds to' },
  apiRequestsPerMinute: { env: 'PARLEY_API_REQUESTS_PER_MINUTE', default: '600', doc: 'API requests per minute per account before 429 (burst: a fifth of it)' },
  emergencyCommandClasses: {
    env: 'PARLEY_EMERGENCY_COMMAND_CLASSES',
    default: 'safety-shutdown',
    doc: 'Command classes sent without waiting for the owner when proposed as emergency (comma-separated; always shown to the owner)',
  },
  databaseUrl: { env: 'PARLEY_DATABASE_URL', secret: true, doc: 'PostgreSQL URL of the registry (cluster mode); unset = embedded PGlite in the data dir' },
  databasePoolSize: { env: 'PARLEY_DATABASE_POOL_SIZE', default: '10', doc: 'PostgreSQL connections this process keeps open at most' },
  redisUrl: { env: 'PARLEY_REDIS_URL', secret: true, doc: 'Redis URL shared by several MQTT brokers (sessions, downlink routing); unset = one broker' },
  redisKeyPrefix: { env: 'PARLEY_REDIS_KEY_PREFIX', default: 'parley:', doc: 'Prefix of the Redis keys and channels; the brokers of one fleet share it' },
  kafkaBrokers: { env: 'PARLEY_KAFKA_BROKERS', doc: 'Kafka bootstrap servers, host:port,… (cluster mode log); unset = file log in the data dir' },
  kafkaTopic: { env: 'PARLEY_KAFKA_TOPIC', default: 'parley.uplinks', doc: 'Kafka topic of the telemetry log (created if missing)' },
  kafkaPartitions: { env: 'PARLEY_KAFKA_PARTITIONS', default: '12', doc: 'Partitions of the Kafka topic when this process creates it (an existing topic keeps its count)' },
  clickhouseUrl: { env: 'PARLEY_CLICKHOUSE_URL', secret: true, doc: 'ClickHouse HTTP URL, http[s]://[user:password@]host:port[/database]; unset = embedded chDB in the data dir' },
  deliveryAllowInsecureTargets: {
    env: 'PARLEY_DELIVERY_ALLOW_INSECURE_TARGETS',
    default: 'false',
    doc: 'Let owners push to http:// and mqtt:// destinations and to loopback/private addresses (tests, local demos only: SSRF)',
  },
  deliveryMaxAttempts: { env: 'PARLEY_DELIVERY_MAX_ATTEMPTS', default: '8', doc: 'Attempts per record before it goes to the destination\'s dead-letter list' },
  deliveryRetryBaseMs: { env: 'PARLEY_DELIVERY_RETRY_BASE_MS', default: '1000', doc: 'First retry delay after a failed delivery; doubles per attempt' },
  deliveryRetryMaxMs: { env: 'PARLEY_DELIVERY_RETRY_MAX_MS', default: '300000', doc: 'Longest retry delay' },
  deliveryTimeoutMs: { env: 'PARLEY_DELIVERY_TIMEOUT_MS', default: '10000', doc: 'Time limit of one delivery attempt (connect and answer)' },
  deliveryMaxPending: { env: 'PARLEY_DELIVERY_MAX_PENDING', default: '100000', doc: 'Records a destination may have waiting; further ones are skipped and counted' },
  deliveryConcurrency: { env: 'PARLEY_DELIVERY_CONCURRENCY', default: '8', doc: 'Destinations one delivery process serves at once' },
  roles: { env: 'PARLEY_ROLES', default: 'broker,ingester,api,delivery', doc: 'What this process runs: any of broker, ingester, api, delivery (comma-separated)' },
};

const FLAGS = {
  'data-dir': 'dataDir',
  'mqtt-port': 'mqttPort',
  'http-port': 'httpPort',
  'sim-devices': 'simDevices',
  'sim-rate': 'simRate',
  'log-level': 'logLevel',
} as const satisfies Record<string, keyof PlatformConfig>;

export const USAGE = `Usage: npm start -- [--data-dir DIR] [--mqtt-port N] [--http-port N] [--sim-devices N] [--sim-rate N] [--no-sim] [--log-level L]
Every option is also an environment variable:
${Object.values(ENV)
  .map((e) => `  ${e.env.padEnd(28)} ${e.doc}${e.default === undefined ? '' : ` (default ${e.default})`}`)
  .join('\n')}`;

/**
 * The URL a local client uses to reach a server bound to `host`: a wildcard bind (0.0.0.0, ::)
 * is reached on loopback.
 */
export function localUrl(scheme: 'http' | 'https' | 'mqtt' | 'mqtts', host: string, port: number): string {
  return `${scheme}://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
}

/** Reads config from env and argv. Throws a ValidationError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: string[] = []): PlatformConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' as const }])),
      'no-sim': { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new ValidationError('help', USAGE);
  const raw: Record<string, string | undefined> = {};
  for (const [key, spec] of Object.entries(ENV)) raw[key] = env[spec.env] === undefined || env[spec.env] === '' ? spec.default : env[spec.env];
  for (const [f, key] of Object.entries(FLAGS)) {
    const v = (values as Record<string, unknown>)[f];
    if (typeof v === 'string') raw[key] = v;
  }
  if (values['no-sim']) raw.sim = 'off';
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0]) as keyof PlatformConfig;
      const shown = ENV[key]?.secret ? '(value hidden)' : JSON.stringify(raw[key] ?? '');
      return `  ${ENV[key]?.env ?? key}=${shown}: ${i.message}`;
    });
    throw new ValidationError('invalid_config', `Invalid configuration:\n${problems.join('\n')}\n\n${USAGE}`);
  }
  const problems = [...topologyProblems(parsed.data), ...limitProblems(parsed.data)];
  if (problems.length > 0) {
    throw new ValidationError('invalid_config', `Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}\n\n${USAGE}`);
  }
  const paths = {
    ...(parsed.data.tlsCert && parsed.data.tlsKey ? { tlsCert: resolve(parsed.data.tlsCert), tlsKey: resolve(parsed.data.tlsKey) } : {}),
    ...(parsed.data.tlsClientCa ? { tlsClientCa: resolve(parsed.data.tlsClientCa) } : {}),
  };
  return { ...parsed.data, ...paths, dataDir: resolve(parsed.data.dataDir) };
}

/** Settings that are each valid but contradict one another. */
export function limitProblems(config: Pick<PlatformConfig, 'maxPacketBytes' | 'maxPayloadBytes' | 'tlsCert' | 'tlsKey'>): string[] {
  const problems: string[] = [];
  if (config.maxPacketBytes < config.maxPayloadBytes) {
    problems.push(`PARLEY_MAX_PACKET_BYTES=${config.maxPacketBytes} must be at least PARLEY_MAX_PAYLOAD_BYTES=${config.maxPayloadBytes}.`);
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    problems.push('PARLEY_TLS_CERT and PARLEY_TLS_KEY are set together or not at all.');
  }
  return problems;
}

/** True when this process runs broker, ingester and API together (the embedded composition). */
export function runsAllRoles(config: Pick<PlatformConfig, 'roles'>): boolean {
  return ROLES.every((r) => config.roles.includes(r));
}

/**
 * A process that runs only some roles shares the log, store and registry with the processes that
 * run the others, and the embedded engines lock their data directory to one process: so it needs
 * the servers' URLs. Listed together, like every other config problem.
 */
export function topologyProblems(config: Pick<PlatformConfig, 'roles' | 'kafkaBrokers' | 'clickhouseUrl' | 'databaseUrl'>): string[] {
  if (runsAllRoles(config)) return [];
  const problems: string[] = [];
  const roles = config.roles.join(',');
  const has = (r: Role) => config.roles.includes(r);
  if (!config.databaseUrl) problems.push(`PARLEY_ROLES=${roles} needs PARLEY_DATABASE_URL: the registry must be shared with the other processes (PGlite is one process only).`);
  if ((has('broker') || has('ingester') || has('delivery')) && !config.kafkaBrokers) {
    problems.push(`PARLEY_ROLES=${roles} needs PARLEY_KAFKA_BROKERS: brokers, ingesters and delivery in different processes meet in Kafka (the file log is one process only).`);
  }
  if ((has('ingester') || has('api')) && !config.clickhouseUrl) {
    problems.push(`PARLEY_ROLES=${roles} needs PARLEY_CLICKHOUSE_URL: ingesters and the API share one ClickHouse (chDB is one process only).`);
  }
  return problems;
}
