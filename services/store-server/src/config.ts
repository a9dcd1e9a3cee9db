import { resolve } from 'node:path';
import { z } from 'zod';
import { ValidationError } from '@parley/errors';

const Schema = z.object({
  dataDir: z.string().min(1),
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  password: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
});

export type StoreServerConfig = z.infer<typeof Schema>;

/** env variable ↔ key, with defaults. */
export const ENV = {
  dataDir: { env: 'PARLEY_STORE_DATA_DIR', default: './data/store-server', doc: 'chDB data directory this process owns' },
  host: { env: 'PARLEY_STORE_HOST', default: '127.0.0.1', doc: 'Interface to listen on' },
  port: { env: 'PARLEY_STORE_PORT', default: '8123', doc: "HTTP port (ClickHouse's default); 0 = any free port" },
  password: { env: 'PARLEY_STORE_PASSWORD', default: undefined, doc: 'When set, clients must authenticate as user default with it' },
  logLevel: { env: 'PARLEY_LOG_LEVEL', default: 'info', doc: 'fatal … trace, or silent' },
} as const satisfies Record<keyof StoreServerConfig, { env: string; default: string | undefined; doc: string }>;

/** Reads the store server's config from env; throws a ValidationError listing every problem (never a password). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): StoreServerConfig {
  const raw = Object.fromEntries(Object.entries(ENV).map(([k, spec]) => [k, env[spec.env] === undefined || env[spec.env] === '' ? spec.default : env[spec.env]]));
  const parsed = Schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const key = String(i.path[0]) as keyof StoreServerConfig;
      return `  ${ENV[key].env}=${key === 'password' ? '(hidden)' : JSON.stringify(raw[key] ?? '')}: ${i.message}`;
    });
    throw new ValidationError('invalid_config', `Invalid configuration:\n${problems.join('\n')}`);
  }
  return { ...parsed.data, dataDir: resolve(parsed.data.dataDir) };
}
