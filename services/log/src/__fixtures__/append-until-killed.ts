/**
 * Child process for the kill -9 durability test: appends records from many concurrent callers and
 * prints "offset index" for every append that resolved (i.e. that the log acknowledged as durable).
 * stdout to a pipe is synchronous on Linux, so a printed line was acknowledged before it was printed.
 *
 *   node --import tsx append-until-killed.ts <dir>
 */
import { silentLogger } from '@parley/logger';
import { openFileLog } from '../file-log';
import { killTestValue } from './kill-test-value';

const dir = process.argv[2];
if (!dir) throw new Error('usage: append-until-killed.ts <dir>');

const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: 64 * 1024 });
let next = 0;
process.stdout.write('ready\n');

async function worker(): Promise<void> {
  for (;;) {
    const i = next++;
    const [result] = await log.append([{ key: `dev-${i % 17}`, value: killTestValue(i), headers: { i: String(i) } }]);
    process.stdout.write(`${result!.offset} ${i}\n`);
  }
}

await Promise.all(Array.from({ length: 64 }, worker));
