import { createServer } from 'node:net';
import { spawnPlatform, type SpawnedPlatform } from '@parley/testkit';

/** A free TCP port on loopback (released again before it is returned, so a small race remains). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The embedded platform as a child process that can be killed -9 and started again on the same data
 * dir **and the same ports**, so the simulated devices reconnect to the same URL as real ones would.
 */
export class PlatformProcess {
  private current: SpawnedPlatform | undefined;
  private starting: Promise<SpawnedPlatform> | undefined;
  /** Restarts so far and how long each took (kill to banner), ms. */
  readonly restartMs: number[] = [];

  private constructor(
    private readonly dataDir: string,
    private readonly env: Record<string, string>,
    readonly mqttUrl: string,
    readonly httpUrl: string,
  ) {}

  /** Picks two free ports and starts the platform on them. */
  static async start(dataDir: string): Promise<PlatformProcess> {
    const [mqttPort, httpPort] = [await freePort(), await freePort()];
    const env = {
      PARLEY_MQTT_PORT: String(mqttPort),
      PARLEY_HTTP_PORT: String(httpPort),
      // Every device reconnects after each kill, and the reconciliation pages through every device:
      // the production budgets would refuse the soak itself rather than anything it tests.
      PARLEY_CONNECTS_PER_MINUTE: '600',
      PARLEY_API_REQUESTS_PER_MINUTE: '100000',
    };
    const p = new PlatformProcess(dataDir, env, `mqtt://127.0.0.1:${mqttPort}`, `http://127.0.0.1:${httpPort}`);
    await p.spawn();
    return p;
  }

  private async spawn(): Promise<SpawnedPlatform> {
    this.starting = spawnPlatform(this.dataDir, this.env, 120_000);
    try {
      this.current = await this.starting;
      return this.current;
    } finally {
      this.starting = undefined;
    }
  }

  /** True while a started process is alive. */
  get up(): boolean {
    const p = this.current;
    return p !== undefined && p.proc.exitCode === null && p.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.up ? this.current!.proc.pid : undefined;
  }

  /** The manufacturer token of the running process (kept in the data dir, so stable across restarts). */
  get token(): string {
    if (!this.current) throw new Error('platform not started');
    return this.current.token;
  }

  /** kill -9, wait for the exit, start again on the same data dir and ports; returns the restart time. */
  async killAndRestart(): Promise<number> {
    const p = this.current;
    if (!p || !this.up) throw new Error('platform is not running');
    const t0 = performance.now();
    p.proc.kill('SIGKILL');
    const how = await p.exited;
    if (how !== 'SIGKILL') throw new Error(`platform exited with ${how} instead of being killed:\n${p.output().slice(-4000)}`);
    await this.spawn();
    const ms = Math.round(performance.now() - t0);
    this.restartMs.push(ms);
    return ms;
  }

  /** SIGTERM (a clean stop: broker closed, ingester drained), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<number | string | undefined> {
    await this.starting?.catch(() => undefined);
    const p = this.current;
    if (!p || !this.up) return undefined;
    p.proc.kill('SIGTERM');
    const timer = setTimeout(() => p.proc.kill('SIGKILL'), timeoutMs);
    try {
      return await p.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Last resort on process exit: no waiting possible, so SIGKILL whatever is left. */
  killNow(): void {
    if (this.up) this.current!.proc.kill('SIGKILL');
  }

  /** What the current process printed (for error reports). */
  output(): string {
    return this.current?.output() ?? '';
  }
}
