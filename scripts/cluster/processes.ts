/**
 * Child processes of `npm run start:cluster`: started with their env, their output prefixed with
 * their name, ready when their banner is complete, stopped with SIGTERM (SIGKILL after a grace).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { NODE_FLAGS } from '../node-flags';

export interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  /** `Label  value` lines of the banner (API, MQTT, URL, …). */
  readonly banner: Record<string, string>;
  readonly exited: Promise<number | string>;
  stop(graceMs?: number): Promise<void>;
}

/** Where a child's output goes once it is ready (default: this process's stdout and stderr). */
export interface ChildEcho {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

/**
 * Starts `node --import tsx <script> [...args]` in `cwd`; resolves when `ready` and the empty line
 * after it were printed. Later output goes to `echo`, each line prefixed with the child's name.
 */
export function startChild(
  name: string,
  cwd: string,
  script: string,
  args: string[],
  env: Record<string, string>,
  ready: RegExp | null,
  timeoutMs = 90_000,
  echo: ChildEcho = { out: process.stdout, err: process.stderr },
): Promise<Child> {
  // Own process group: a terminal Ctrl-C reaches only the script, which stops the children in order.
  const proc = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', script, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  const child = (banner: Record<string, string>): Child => ({
    name,
    proc,
    banner,
    exited,
    async stop(graceMs = 20_000) {
      if (!alive()) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => alive() && proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  });
  let out = '';
  let readyAt = -1;
  const prefix = `[${name}] `;
  const prefixed = (stream: NodeJS.WritableStream) => {
    let partial = '';
    return (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split('\n');
      partial = lines.pop()!;
      // Banners are printed by this script, in one place; the rest (logs) goes through prefixed.
      for (const line of lines) if (readyAt >= 0 || !ready) stream.write(`${prefix}${line}\n`);
    };
  };
  const echoOut = prefixed(echo.out);
  const echoErr = prefixed(echo.err);
  return new Promise((resolve, reject) => {
    if (!ready) {
      proc.stdout!.on('data', echoOut);
      proc.stderr!.on('data', echoErr);
      resolve(child({}));
      return;
    }
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${timeoutMs / 1000} s:\n${out}`));
    }, timeoutMs);
    proc.stdout!.on('data', (chunk: Buffer) => {
      if (readyAt >= 0) return echoOut(chunk);
      out += chunk.toString();
      const start = out.search(ready);
      const end = start < 0 ? -1 : out.indexOf('\n\n', start);
      if (end < 0) return;
      readyAt = Date.now();
      clearTimeout(timer);
      const banner: Record<string, string> = {};
      for (const line of out.slice(start, end).split('\n')) {
        const m = /^\s+(\S+)\s+(\S+)/.exec(line);
        if (m) banner[m[1]!] = m[2]!;
      }
      resolve(child(banner));
    });
    proc.stderr!.on('data', (chunk: Buffer) => {
      if (readyAt >= 0) return echoErr(chunk);
      out += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready:\n${out}`));
    });
  });
}

/** Whether `pid` is alive and runs one of this repository's entry points (so a stale pid is never someone else's). */
export async function isOurChild(pid: number, root: string): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  const cwd = await import('node:fs/promises').then((fs) => fs.readlink(`/proc/${pid}/cwd`).catch(() => ''));
  return cwd === root && /(services\/platform|services\/store-server|firmware-sim)\/src\/main\.ts/.test(cmdline);
}
