import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ValidationError } from '@parley/errors';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const flag = z
  .enum(['1', '0', 'true', 'false', 'on', 'off', 'yes', 'no'])
  .transform((v) => ['1', 'true', 'on', 'yes'].includes(v));

/**
 * Every setting of the embedded platform, one env variable each (flags override env). Parsed once
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
  connectsPerMinute: positiveInt,
  ingestBatchRecords: positiveInt.max(100_000),
  ingestBatchWaitMs: z.coerce.number().int().min(0).max(60_000),
  logRetentionBytes: positiveInt.optional(),
  logRetentionHours: positiveInt.optional(),
  sim: flag,
  simDevices: z.coerce.number().int().min(0).max(100_000),
  simRate: z.coerce.number().positive().max(1_000_000),
  statusIntervalMs: z.coerce.number().int().min(0),
});

export type PlatformConfig = z.infer<typeof ConfigSchema>;

/** env variable ↔ config key, with defaults; the README's configuration table mirrors this. */
export const ENV: Record<keyof PlatformConfig, { env: string; default?: string; doc: string }> = {
  dataDir: { env: 'PARLEY_DATA_DIR', default: './data', doc: 'Directory for the log, the ClickHouse store, the registry and secrets' },
  mqttHost: { env: 'PARLEY_MQTT_HOST', default: '127.0.0.1', doc: 'Interface the MQTT broker binds to (0.0.0.0 for all)' },
  mqttPort: { env: 'PARLEY_MQTT_PORT', default: '1884', doc: 'MQTT port (1883 is often taken by a system broker); 0 = any free port' },
  httpHost: { env: 'PARLEY_HTTP_HOST', default: '127.0.0.1', doc: 'Interface the HTTP API binds to' },
  httpPort: { env: 'PARLEY_HTTP_PORT', default: '8080', doc: 'HTTP API port; 0 = any free port' },
  manufacturerToken: { env: 'PARLEY_MANUFACTURER_TOKEN', doc: 'Bearer token for manufacturer routes; generated and kept in <data>/secrets when unset' },
  logLevel: { env: 'PARLEY_LOG_LEVEL', default: 'info', doc: 'fatal, error, warn, info, debug, trace or silent' },
  maxPayloadBytes: { env: 'PARLEY_MAX_PAYLOAD_BYTES', default: '65536', doc: 'Largest accepted device payload; larger ones are dead-lettered' },
  connectsPerMinute: { env: 'PARLEY_CONNECTS_PER_MINUTE', default: '12', doc: 'MQTT connection attempts allowed per device per minute (burst: half of it)' },
  ingestBatchRecords: { env: 'PARLEY_INGEST_BATCH_RECORDS', default: '20000', doc: 'Most log records per ClickHouse insert (large batches only form under backlog)' },
  ingestBatchWaitMs: { env: 'PARLEY_INGEST_BATCH_WAIT_MS', default: '100', doc: 'Longest wait for a batch to fill before inserting' },
  logRetentionBytes: { env: 'PARLEY_LOG_RETENTION_BYTES', doc: 'Delete consumed log segments beyond this total size' },
  logRetentionHours: { env: 'PARLEY_LOG_RETENTION_HOURS', default: '168', doc: 'Delete consumed log segments older than this' },
  sim: { env: 'PARLEY_SIM', default: 'on', doc: 'Run the simulated fleet inside `npm start` (on/off)' },
  simDevices: { env: 'PARLEY_SIM_DEVICES', default: '12', doc: 'Demo devices provisioned on first start and simulated' },
  simRate: { env: 'PARLEY_SIM_RATE', default: '6', doc: 'Messages per second across the simulated fleet' },
  statusIntervalMs: { env: 'PARLEY_STATUS_INTERVAL_MS', default: '10000', doc: 'How often a status line is logged (0 = never)' },
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
export function localUrl(scheme: 'http' | 'mqtt', host: string, port: number): string {
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
      return `  ${ENV[key]?.env ?? key}=${JSON.stringify(raw[key] ?? '')}: ${i.message}`;
    });
    throw new ValidationError('invalid_config', `Invalid configuration:\n${problems.join('\n')}\n\n${USAGE}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}
