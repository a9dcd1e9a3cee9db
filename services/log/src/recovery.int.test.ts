import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { silentLogger } from '@parley/logger';
import { describe, expect, it } from 'vitest';
import { captureLogger, readAll, tempDir } from './__fixtures__/test-helpers';
import { openFileLog } from './file-log';
import { encodeRecord, sealRecord } from './record-codec';
import { listSegmentFiles, segmentFileName } from './segment-files';

function value(i: number): Buffer {
  return Buffer.from(`record-${i}-${'v'.repeat(i % 13)}`);
}

async function writeRecords(dir: string, n: number, segmentBytes?: number): Promise<void> {
  const log = await openFileLog({ dir, log: silentLogger(), ...(segmentBytes ? { segmentBytes } : {}) });
  for (let i = 0; i < n; i++) await log.append([{ key: 'dev', value: value(i) }]);
  await log.close();
}

function cutWarnings(lines: ReturnType<ReturnType<typeof captureLogger>['lines']>): Array<Record<string, unknown>> {
  return lines.filter((l) => typeof l.msg === 'string' && l.msg.includes('torn or corrupt tail'));
}

describe('file log recovery on open', () => {
  it('cuts a partially written record at the end and continues the offsets after the last good one', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 10);
    const segment = join(dir, segmentFileName(0n));
    const goodSize = (await stat(segment)).size;
    // The first 30 bytes of a valid frame of offset 10: a write torn by a crash.
    const torn = encodeRecord({ key: 'dev', value: Buffer.alloc(100, 1) }, 0);
    sealRecord(torn, 10n);
    await appendFile(segment, torn.subarray(0, 30));

    const captured = captureLogger();
    const log = await openFileLog({ dir, log: captured.logger });
    expect(cutWarnings(captured.lines())).toEqual([expect.objectContaining({ cutBytes: 30, keptRecords: 10, level: 40 })]);
    expect((await stat(segment)).size).toBe(goodSize);

    const [next] = await log.append([{ key: 'dev', value: value(10) }]);
    expect(next!.offset).toBe(10n);
    const all = await readAll(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 11 }, (_, i) => BigInt(i)));
    all.forEach((r, i) => expect(r.value.equals(value(i))).toBe(true));
    await log.close();
  });

  it('cuts garbage bytes after the last record', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 5);
    await appendFile(join(dir, segmentFileName(0n)), Buffer.from('this is not a record at all, just noise'));
    const captured = captureLogger();
    const log = await openFileLog({ dir, log: captured.logger });
    expect(cutWarnings(captured.lines())).toHaveLength(1);
    expect((await readAll(log)).map((r) => r.value.toString())).toEqual([0, 1, 2, 3, 4].map((i) => value(i).toString()));
    await log.close();
  });

  it('cuts a zero-filled tail (file extended but data never written)', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 3);
    await appendFile(join(dir, segmentFileName(0n)), Buffer.alloc(4096));
    const log = await openFileLog({ dir, log: silentLogger() });
    expect(await readAll(log)).toHaveLength(3);
    expect((await log.append([{ key: 'dev', value: value(3) }]))[0]!.offset).toBe(3n);
    await log.close();
  });

  it('truncates from a record whose CRC fails in the middle of the last segment', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 10);
    const segment = join(dir, segmentFileName(0n));
    const bytes = await readFile(segment);
    // Find record 5 by walking the length prefixes, then flip one byte of its value.
    let pos = 0;
    for (let i = 0; i < 5; i++) pos += bytes.readUInt32LE(pos) + 4;
    const record5At = pos;
    const end5 = pos + bytes.readUInt32LE(pos) + 4;
    bytes.writeUInt8(bytes.readUInt8(end5 - 1) ^ 0xff, end5 - 1);
    await writeFile(segment, bytes);

    const captured = captureLogger();
    const log = await openFileLog({ dir, log: captured.logger });
    const [warning] = cutWarnings(captured.lines());
    expect(warning).toMatchObject({ keptRecords: 5, cutBytes: bytes.length - record5At });
    expect(String(warning!.reason)).toContain('crc mismatch');
    expect((await stat(segment)).size).toBe(record5At);
    expect((await readAll(log)).map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect((await log.append([{ key: 'dev', value: value(5) }]))[0]!.offset).toBe(5n);
    await log.close();
  });

  it('removes an empty newest segment left by a crash during a roll and keeps appending to the previous one', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 40, 1024);
    const before = await listSegmentFiles(dir);
    expect(before.length).toBeGreaterThan(1);
    const reopened = await openFileLog({ dir, log: silentLogger(), segmentBytes: 1024 });
    const next = BigInt((await readAll(reopened)).length);
    await reopened.close();
    // The crash: the next segment's file was created, nothing was written to it.
    await writeFile(join(dir, segmentFileName(next)), Buffer.alloc(0));

    const captured = captureLogger();
    const log = await openFileLog({ dir, log: captured.logger, segmentBytes: 1024 });
    expect(captured.lines().some((l) => String(l.msg).includes('interrupted segment roll'))).toBe(true);
    expect((await listSegmentFiles(dir)).map((s) => s.base)).toEqual(before.map((s) => s.base));
    expect((await log.append([{ key: 'dev', value: value(40) }]))[0]!.offset).toBe(next);
    const all = await readAll(log);
    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: 41 }, (_, i) => BigInt(i)));
    await log.close();
  });

  it('removes a newest segment whose only record is torn', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 40, 1024);
    const count = (await listSegmentFiles(dir)).length;
    const probe = await openFileLog({ dir, log: silentLogger(), segmentBytes: 1024 });
    const next = BigInt((await readAll(probe)).length);
    await probe.close();
    await writeFile(join(dir, segmentFileName(next)), Buffer.from([50, 0, 0, 0, 1, 2, 3]));

    const log = await openFileLog({ dir, log: silentLogger(), segmentBytes: 1024 });
    expect(await listSegmentFiles(dir)).toHaveLength(count);
    expect((await log.append([{ key: 'dev', value: value(40) }]))[0]!.offset).toBe(next);
    await log.close();
  });

  it('rewinds a group that committed past the recovered end so it does not skip the next records', async () => {
    const dir = await tempDir();
    await writeRecords(dir, 10);
    const log0 = await openFileLog({ dir, log: silentLogger() });
    await readAll(log0, 'g');
    expect((await log0.lag('g')).lag).toBe(0n);
    await log0.close();
    // Lose the last five records as a power loss with fsync off could.
    const segment = join(dir, segmentFileName(0n));
    const bytes = await readFile(segment);
    let pos = 0;
    for (let i = 0; i < 5; i++) pos += bytes.readUInt32LE(pos) + 4;
    await writeFile(segment, bytes.subarray(0, pos));

    const captured = captureLogger();
    const log = await openFileLog({ dir, log: captured.logger });
    expect(captured.lines().some((l) => l.group === 'g' && String(l.msg).includes('rewinding'))).toBe(true);
    expect((await log.append([{ key: 'dev', value: value(5) }]))[0]!.offset).toBe(5n);
    expect((await log.lag('g')).lag).toBe(1n);
    expect((await readAll(log, 'g')).map((r) => r.offset)).toEqual([5n]);
    await log.close();
  });
});
