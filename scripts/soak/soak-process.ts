import { fileURLToPath } from 'node:url';
import { startChild, type Child, type ChildEcho } from '../cluster/processes';

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Env of every process the soak starts. Every device reconnects after each fault, and the
 * reconciliation pages through every device: the production budgets would refuse the soak itself
 * rather than anything it tests.
 */
const SOAK_ENV: Readonly<Record<string, string>> = {
  PARLEY_SIM: 'off',
  PARLEY_LOG_LEVEL: 'warn',
  PARLEY_STATUS_INTERVAL_MS: '0',
  PARLEY_CONNECTS_PER_MINUTE: '600',
  PARLEY_API_REQUESTS_PER_MINUTE: '100000',
};

/**
 * A Parley process (`services/platform/src/main.ts`, as `npm start` and `npm run start:cluster`
 * run it) that can be killed -9 and started again with the same env — the same data dir **and the
 * same ports**, so the simulated devices reconnect to the same URL as real ones would.
 */
export class SoakProcess {
  private current: Child | undefined;
  private starting: Promise<Child> | undefined;
  /** Restarts so far and how long each took (kill to banner), ms. */
  readonly restartMs: number[] = [];

  private constructor(
    readonly name: string,
    private readonly env: Record<string, string>,
    private readonly echo: ChildEcho,
  ) {}

  /** Starts `main.ts` with `env` (on top of the soak's defaults); later output goes to `echo`. */
  static async start(name: string, env: Record<string, string>, echo: ChildEcho): Promise<SoakProcess> {
    const p = new SoakProcess(name, env, echo);
    await p.spawn();
    return p;
  }

  private async spawn(): Promise<Child> {
    this.starting = startChild(this.name, root, 'services/platform/src/main.ts', [], { ...SOAK_ENV, ...this.env }, /Parley is running/, 120_000, this.echo);
    try {
      this.current = await this.starting;
      return this.current;
    } finally {
      this.starting = undefined;
    }
  }

  /** True while a started process is alive. */
  get up(): boolean {
    const p = this.current?.proc;
    return p !== undefined && p.exitCode === null && p.signalCode === null;
  }

  get pid(): number | undefined {
    return this.up ? this.current!.proc.pid : undefined;
  }

  /** A value of the banner (`API`, `MQTT`, `Token`, `Metrics`, …) of the running process. */
  banner(label: string): string {
    const value = this.current?.banner[label];
    if (value === undefined) throw new Error(`${this.name} printed no ${label} in its banner`);
    return value;
  }

  /** kill -9, wait for the exit, start again with the same env; returns the restart time (kill to banner). */
  async killAndRestart(): Promise<number> {
    const p = this.current;
    if (!p || !this.up) throw new Error(`${this.name} is not running`);
    const t0 = performance.now();
    p.proc.kill('SIGKILL');
    const how = await p.exited;
    if (how !== 'SIGKILL') throw new Error(`${this.name} exited with ${how} instead of being killed`);
    await this.spawn();
    const ms = Math.round(performance.now() - t0);
    this.restartMs.push(ms);
    return ms;
  }

  /** SIGTERM (a clean stop: broker closed, ingester drained), SIGKILL after `timeoutMs`; returns how it exited. */
  async stop(timeoutMs = 30_000): Promise<number | string | undefined> {
    await this.starting?.catch(() => undefined);
    const p = this.current;
    if (!p || !this.up) return undefined;
    await p.stop(timeoutMs);
    return p.exited;
  }

  /** Last resort on process exit: no waiting possible, so SIGKILL whatever is left. */
  killNow(): void {
    if (this.up) this.current!.proc.kill('SIGKILL');
  }
}
