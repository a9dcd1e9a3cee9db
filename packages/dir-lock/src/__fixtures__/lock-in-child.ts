/**
 * Child process for the cross-process lock tests: locks `<dir>` and prints "locked", then holds the
 * lock until its stdin ends (prints "released", exits 0) or it is killed. If the lock is refused it
 * prints "refused <code> <message>" and exits 3.
 *
 *   node --import tsx lock-in-child.ts <dir>
 */
import { lockDir } from '../dir-lock';
import { TEST_LOCK } from './test-lock-options';

const dir = process.argv[2];
if (!dir) throw new Error('usage: lock-in-child.ts <dir>');

try {
  const lock = await lockDir(dir, TEST_LOCK);
  process.stdout.write('locked\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    void lock.release().then(() => process.stdout.write('released\n'));
  });
} catch (err) {
  const { code, message } = err as { code?: string; message: string };
  process.stdout.write(`refused ${code} ${message}\n`);
  process.exitCode = 3;
}
