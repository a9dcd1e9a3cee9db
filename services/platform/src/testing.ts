import { rm } from 'node:fs/promises';
import { silentLogger, type Logger } from '@parley/logger';
import { tempDir } from '@parley/testkit';
import { startPlatform, type Platform } from './app';
import { loadConfig, type PlatformConfig } from './config';

export interface TestPlatform extends Platform {
  readonly dataDir: string;
  readonly config: PlatformConfig;
  /** GET/POST against the API with the manufacturer token (or `token` given), via inject (no sockets). */
  request(method: 'GET' | 'POST', url: string, options?: { token?: string | null; body?: unknown }): Promise<{ status: number; body: any }>;
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
      await rm(dataDir, { recursive: true, force: true });
    },
    async request(method: 'GET' | 'POST', url: string, opts: { token?: string | null; body?: unknown } = {}) {
      const token = opts.token === undefined ? platform.token : opts.token;
      const res = await platform.api.inject({
        method,
        url,
        headers: token === null ? {} : { authorization: `Bearer ${token}` },
        ...(opts.body === undefined ? {} : { payload: opts.body as object }),
      });
      return { status: res.statusCode, body: String(res.headers['content-type'] ?? '').includes('json') ? res.json() : res.body };
    },
  }) as TestPlatform;
}

