import { afterAll, describe, expect, it } from 'vitest';
import { connectDevice, publishAndWait, tempDir, testUplinkBytes } from '@parley/testkit';
import { startTestPlatform, type TestPlatform } from './testing';
import { rm } from 'node:fs/promises';

let dataDir: string;
let p: TestPlatform | undefined;

afterAll(async () => {
  await p?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function publishRange(platform: TestPlatform, dev: { id: string; secret: string }, seqs: number[]): Promise<void> {
  const conn = await connectDevice(platform.mqttUrl, dev);
  try {
    for (const seq of seqs) {
      const payload = testUplinkBytes(dev.id, seq, { bootId: 'restart-boot', deviceTimeMs: 1_767_225_600_000 + seq * 1000 });
      await publishAndWait(conn.client, `devices/${dev.id}/up`, payload);
    }
  } finally {
    await conn.close();
  }
}

async function seqs(platform: TestPlatform, id: string): Promise<number[]> {
  const res = await platform.request('GET', `/v1/devices/${id}/conversation?order=asc&limit=1000&from=0`);
  expect(res.status).toBe(200);
  return res.body.items.map((i: { seq: number }) => i.seq);
}

describe('restart on the same data dir', () => {
  it('loses nothing and duplicates nothing across stop/start, keeps the token and devices', async () => {
    dataDir = await tempDir('parley-restart-');
    p = await startTestPlatform({ dataDir });
    const token = p.token;
    const [dev] = await p.registry.provisionDevices({ model: 'heatpump-h3', firmware: '1.0.0', count: 1 });
    await publishRange(p, dev!, Array.from({ length: 50 }, (_, i) => i + 1));
    await p.stop(); // stop drains the ingester

    p = await startTestPlatform({ dataDir });
    expect(p.token).toBe(token);
    expect(await seqs(p, dev!.id)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    // The device replays part of its buffer after the restart, then continues.
    await publishRange(p, dev!, [...Array.from({ length: 10 }, (_, i) => i + 41), ...Array.from({ length: 20 }, (_, i) => i + 51)]);
    await p.stop();

    p = await startTestPlatform({ dataDir });
    expect(await seqs(p, dev!.id)).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
  });
});
