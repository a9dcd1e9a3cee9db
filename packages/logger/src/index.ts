import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that may hold secrets or device payloads. Redaction is on for every logger Parley creates,
 * so a careless `log.info({ req })` cannot leak a token or a device secret.
 */
export const REDACT_PATHS = [
  'password',
  'secret',
  'token',
  'payload',
  'raw',
  '*.password',
  '*.secret',
  '*.token',
  '*.payload',
  '*.raw',
  // Server URLs of the cluster mode may carry a password (postgres://u:p@…, redis://:p@…).
  'databaseUrl',
  'redisUrl',
  'clickhouseUrl',
  'connectionString',
  '*.databaseUrl',
  '*.redisUrl',
  '*.clickhouseUrl',
  '*.connectionString',
  'req.headers.authorization',
  'headers.authorization',
];

export interface RootLoggerOptions {
  level?: string;
  /** Where to write; defaults to stdout. Tests pass a stream to assert on redaction. */
  destination?: NodeJS.WritableStream;
  /** Extra fields on every line, e.g. { service: 'platform' }. */
  base?: Record<string, unknown>;
}

/** The one root logger of a process; components get children: `log.child({ component: 'broker' })`. */
export function createRootLogger(options: RootLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: options.base ?? {},
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination
    ? pino(config, options.destination as pino.DestinationStream)
    : pino(config);
}

/** A logger that discards everything, for unit tests of pure logic. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
