import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface SpawnedPlatform {
  proc: ChildProcess;
  httpUrl: string;
  mqttUrl: string;
  token: string;
  /** Everything the process printed so far (stdout + stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

/**
 * Runs `npm start`'s entry point as a separate process (so tests can kill -9 it) on free ports,
 * and resolves once its banner shows the URLs and token.
 */
export function spawnPlatform(dataDir: string, env: Record<string, string> = {}, timeoutMs = 60_000): Promise<SpawnedPlatform> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'services/platform/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      PARLEY_DATA_DIR: dataDir,
      PARLEY_MQTT_PORT: '0',
      PARLEY_HTTP_PORT: '0',
      PARLEY_SIM: 'off',
      PARLEY_LOG_LEVEL: 'warn',
      PARLEY_STATUS_INTERVAL_MS: '0',
      PARLEY_CONNECTS_PER_MINUTE: '600',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platform did not start within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const api = /API\s+(http:\/\/\S+)/.exec(out);
      const mqtt = /MQTT\s+(mqtt:\/\/\S+)/.exec(out);
      const token = /Token\s+(\S+)/.exec(out);
      if (api && mqtt && token) {
        clearTimeout(timer);
        resolve({ proc, httpUrl: api[1]!, mqttUrl: mqtt[1]!, token: token[1]!, output: () => out, exited });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`platform exited (${code}) before it was ready:\n${out}`));
    });
  });
}
