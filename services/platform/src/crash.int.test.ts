import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { connectDevice, spawnPlatform, tempDir, testUplinkBytes, waitFor, type SpawnedPlatform } from '@parley/testkit';

const running: SpawnedPlatform[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const p of running.splice(0)) {
    if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await p.exited;
  }
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function api(p: SpawnedPlatform, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(p.httpUrl + path, {
    method,
    headers: { authorization: `Bearer ${p.token}`, 'x-parley-justification': 'quality-investigation:crash-test', ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function storedSeqs(p: SpawnedPlatform, deviceId: string): Promise<number[]> {
  const seqs: number[] = [];
  let cursor = '';
  for (;;) {
    const page = await api(p, 'GET', `/v1/devices/${deviceId}/conversation?order=asc&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
    seqs.push(...page.items.map((i: { seq: number }) => i.seq));
    if (!page.nextCursor) return seqs;
    cursor = page.nextCursor;
  }
}

const lagZero = async (p: SpawnedPlatform) => {
  const r = await fetch(`${p.httpUrl}/readyz`).then((x) => x.json() as Promise<{ components: { log: { detail: string } } }>);
  return r.components.log.detail === 'ingester lag 0 records';
};

describe('crash safety of the embedded platform (separate process)', () => {
  it('keeps every PUBACKed message through a kill -9, exactly once, and restarts cleanly', async () => {
    const dataDir = await tempDir('parley-crash-');
    dirs.push(dataDir);
    const first = await spawnPlatform(dataDir);
    running.push(first);
    const [dev] = (await api(first, 'POST', '/v1/devices', { model: 'fridge-x1', firmware: '1.4.2', count: 1 })).devices as { id: string; secret: string }[];

    const conn = await connectDevice(first.mqttUrl, dev!);
    conn.client.on('error', () => {}); // the kill drops the connection mid-flight
    const acked = new Set<number>();
    let seq = 0;
    let stop = false;
    const bootTime = Date.now();
    const publishOne = (): Promise<void> => {
      const s = ++seq;
      const payload = testUplinkBytes(dev!.id, s, { bootId: 'crash-boot', deviceTimeMs: bootTime + s, firmware: '1.4.2' });
      return new Promise((resolve) => {
        conn.client.publish(`devices/${dev!.id}/up`, Buffer.from(payload), { qos: 1 }, (err) => {
          if (!err) acked.add(s);
          resolve();
        });
      });
    };
    // 32 publishers in parallel keep many messages in flight when the kill lands.
    const workers = Array.from({ length: 32 }, async () => {
      while (!stop) await publishOne();
    });
    await waitFor('300 PUBACKs', () => acked.size >= 300, 30_000);
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    stop = true;
    await conn.close();
    await Promise.race([Promise.all(workers), new Promise((r) => setTimeout(r, 2000))]);
    const ackedAtKill = [...acked];

    const second = await spawnPlatform(dataDir);
    running.push(second);
    await waitFor('the ingester to catch up after restart', () => lagZero(second), 30_000);
    const stored = await storedSeqs(second, dev!.id);
    expect(new Set(stored).size).toBe(stored.length); // nothing twice
    const storedSet = new Set(stored);
    expect(ackedAtKill.filter((s) => !storedSet.has(s))).toEqual([]); // nothing acknowledged lost
    expect(stored.length).toBeLessThanOrEqual(seq);

    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.output()).not.toMatch(/"level":(50|60)/); // no error or fatal logged on the way down
  });

  it('fails with a message naming the variable when the MQTT port is taken', async () => {
    const dataDir = await tempDir('parley-port-');
    dirs.push(dataDir);
    const first = await spawnPlatform(dataDir);
    running.push(first);
    const port = new URL(first.mqttUrl).port;
    const otherDir = await tempDir('parley-port2-');
    dirs.push(otherDir);
    const err = await spawnPlatform(otherDir, { PARLEY_MQTT_PORT: port }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toContain(`MQTT port ${port}`);
    expect(err).toContain('PARLEY_MQTT_PORT');
  });
});
