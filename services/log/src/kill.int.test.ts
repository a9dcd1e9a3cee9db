import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { killTestValue } from './__fixtures__/kill-test-value';
import { readAll, tempDir } from './__fixtures__/test-helpers';
import { openFileLog } from './file-log';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../../..');

describe('file log durability under kill -9', () => {
  it('keeps every acknowledged record with the right bytes after SIGKILL mid-stream', async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, ['--import', 'tsx', join(here, '__fixtures__/append-until-killed.ts'), dir], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let acked = 0;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const enough = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        acked = stdout.split('\n').length - 2;
        // Kill well into the stream: several segment rolls have happened by then.
        if (acked >= 3000) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    await enough;
    child.kill('SIGKILL');
    const [, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
    expect(signal).toBe('SIGKILL');

    // Only complete lines are acknowledgements; the last one may have been cut by the kill.
    const lines = stdout.split('\n').slice(1, -1);
    const acks = lines.map((l) => l.split(' ').map(Number) as [number, number]);
    expect(acks.length).toBeGreaterThanOrEqual(3000);
    expect(JSON.parse(await readFile(join(dir, 'LOCK'), 'utf8'))).toMatchObject({ pid: child.pid });

    // The dead child's LOCK is stale: reopening takes it over and recovers the torn tail.
    const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: 64 * 1024 });
    const byOffset = new Map((await readAll(log)).map((r) => [r.offset, r]));
    for (const [offset, i] of acks) {
      const record = byOffset.get(BigInt(offset));
      expect(record, `acknowledged record ${i} at offset ${offset}`).toBeDefined();
      expect(record!.headers.i).toBe(String(i));
      expect(record!.key).toBe(`dev-${i % 17}`);
      expect(record!.value.equals(killTestValue(i))).toBe(true);
    }
    // The log keeps going after the crash.
    const [after] = await log.append([{ key: 'dev', value: Buffer.from('after') }]);
    expect(after!.offset).toBe(BigInt(byOffset.size));
    await log.close();
  });
});
