import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromUplinkRecord, openFileLog, type TelemetryLog } from '@parley/log';
import { decodeUplink } from '@parley/proto';
import { silentLogger } from '@parley/logger';
import { openEmbeddedRegistry, type ProvisionedDevice, type Registry } from '@parley/registry';
import { connectDevice, publishAndWait, testUplinkBytes, type DeviceConnection } from '@parley/testkit';
import { createBroker, type Broker } from './index';

// A full disk under the log: the broker must stop acknowledging (no PUBACK = the device keeps the
// message), say why, and carry on by itself once space is back — losing nothing it acknowledged.
// The log lives on a real 4 MiB tmpfs, filled up with a filler file.
const logger = silentLogger();
let mount: string;
let registry: Registry;
let device: ProvisionedDevice;

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

beforeAll(async () => {
  mount = await mkdtemp(join(tmpdir(), 'parley-diskfull-'));
  try {
    sh('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mount]);
  } catch (err) {
    throw new Error(`This test mounts a 4 MiB tmpfs to fill a disk for real and needs root (it runs as root on this project's machines): ${String(err)}`);
  }
  registry = await openEmbeddedRegistry({ log: logger });
  [device] = (await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1 })) as [ProvisionedDevice];
});

afterAll(async () => {
  await registry?.close();
  if (mount) {
    try {
      sh('umount', ['-l', mount]);
    } catch {
      // not mounted (beforeAll failed)
    }
    await rm(mount, { recursive: true, force: true });
  }
});

describe('disk full under the log', () => {
  it('stops acknowledging when the disk is full, resumes when space returns, and keeps every acknowledged message', async () => {
    const filler = join(mount, 'filler');
    let log: TelemetryLog = await openFileLog({ dir: join(mount, 'log'), log: logger, segmentBytes: 256 * 1024 });
    let broker: Broker = await createBroker({ log, devices: registry, logger, limits: { connectsPerMinute: 6000, connectBurst: 1000 } });
    const port = await broker.listen(0, '127.0.0.1');
    const url = `mqtt://127.0.0.1:${port}`;
    const acked: number[] = [];
    const payload = (seq: number) => testUplinkBytes(device.id, seq, { samples: Array.from({ length: 40 }, (_, i) => ({ metric: `m${i}`, value: seq, timeMs: 0 })) });

    // Leave about 200 KiB free.
    await writeFile(filler, Buffer.alloc(3.8 * 1024 * 1024 - 200 * 1024));
    let conn: DeviceConnection = await connectDevice(url, device);
    let seq = 0;
    let refused = false;
    while (seq < 5000 && !refused) {
      seq++;
      try {
        // No PUBACK within 3 s counts as refused (the broker withholds it; the device keeps the message).
        await Promise.race([
          publishAndWait(conn.client, `devices/${device.id}/up`, payload(seq)),
          new Promise((_, reject) => setTimeout(() => reject(new Error('no PUBACK')), 3000)),
        ]);
        acked.push(seq);
      } catch {
        refused = true;
      }
    }
    expect(refused).toBe(true);
    expect(acked.length).toBeGreaterThan(10);
    expect(broker.stats().appendFailures).toBeGreaterThan(0);
    // Drop the connection with its unacknowledged message, as a device that gave up waiting would.
    await conn.close();

    // Space is back: the same process takes messages again, starting with the refused one.
    await rm(filler);
    conn = await connectDevice(url, device);
    for (let s = seq; s < seq + 20; s++) {
      await publishAndWait(conn.client, `devices/${device.id}/up`, payload(s));
      acked.push(s);
    }
    await conn.close();
    await broker.close();
    await log.close();

    // Every acknowledged message is in the log (a re-sent one may be there twice; the store shows it once).
    log = await openFileLog({ dir: join(mount, 'log'), log: logger });
    const seen: number[] = [];
    const consumer = await log.consume({
      group: 'check',
      maxBatchRecords: 10_000,
      maxBatchWaitMs: 10,
      handler: async (b) => {
        for (const r of b.records) seen.push(decodeUplink(fromUplinkRecord(r).payload).seq);
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    await consumer.stop();
    await log.close();
    expect([...new Set(seen)].sort((a, b) => a - b)).toEqual([...new Set(acked)].sort((a, b) => a - b));
  });
});
