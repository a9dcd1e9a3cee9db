import { rm } from 'node:fs/promises';
import { silentLogger, type Logger } from '@parley/logger';
import { tempDir } from '@parley/testkit';
import { startPlatform, type Platform } from './app';
import { loadConfig, type PlatformConfig } from './config';

export interface TestPlatform extends Platform {
  readonly dataDir: string;
  readonly config: PlatformConfig;
  /**
   * A request against the API via inject (no sockets), with the manufacturer token unless `token`
   * is given. Manufacturer requests state the justification `quality-investigation:test` unless
   * `justification` says otherwise (null: none).
   */
  request(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    options?: { token?: string | null; body?: unknown; justification?: string | null },
  ): Promise<{ status: number; body: any }>;
  /** Stops the platform; the data dir is kept (restart with `startTestPlatform({ dataDir })`). */
  stop(): Promise<void>;
  /** Stops and deletes the data dir. */
  destroy(): Promise<void>;
}

/** A test config: temp data dir, any free ports, no simulator, quiet logs, fast batches. */
export function testConfig(dataDir: string, overrides: Partial<PlatformConfig> = {}): PlatformConfig {
  return {
    ...loadConfig({ PARLEY_DATA_DIR: dataDir, PARLEY_MQTT_PORT: '0', PARLEY_HTTP_PORT: '0', PARLEY_SIM: 'off', PARLEY_LOG_LEVEL: 'silent' }),
    connectsPerMinute: 600,
    ingestBatchWaitMs: 20,
    statusIntervalMs: 0,
    ...overrides,
  };
}

/** Starts the real embedded platform (Aedes, file log, chDB, PGlite, Fastify) on free ports. */
export async function startTestPlatform(options: { dataDir?: string; config?: Partial<PlatformConfig>; logger?: Logger } = {}): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? (await tempDir());
  const config = testConfig(dataDir, options.config);
  const platform = await startPlatform(config, options.logger ?? silentLogger());
  return Object.assign(Object.create(null) as object, platform, {
    dataDir,
    config,
    stop: () => platform.stop(),
    async destroy() {
      await platform.stop();
      // chDB's engine outlives its connections: a part it was still writing when the store closed
      // can land while the directory is being removed (ENOTEMPTY), so removal retries.
      await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    },
    async request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, opts: { token?: string | null; body?: unknown; justification?: string | null } = {}) {
      const token = opts.token === undefined ? platform.token : opts.token;
      const justification = opts.justification === undefined ? (token === platform.token ? 'quality-investigation:test' : null) : opts.justification;
      const res = await platform.api.inject({
        method,
        url,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(justification === null ? {} : { 'x-parley-justification': justification }),
        },
        ...(opts.body === undefined ? {} : { payload: opts.body as object }),
      });
      return { status: res.statusCode, body: String(res.headers['content-type'] ?? '').startsWith('application/json') ? res.json() : res.body };
    },
  }) as TestPlatform;
}

