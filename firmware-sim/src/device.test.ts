import { silentLogger } from '@parley/logger';
import { decodeUplink, validateUplink, type CommandResult, type Downlink, type Uplink } from '@parley/proto';
import { setImmediate as tick } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SimDevice, type SimDeviceOptions } from './device.js';

const devices: SimDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.splice(0).map((d) => d.stop(0)));
});

/** A device that is never started: everything it produces stays in its buffer for inspection. */
function offlineDevice(overrides: Partial<SimDeviceOptions> = {}): SimDevice {
  const device = new SimDevice({
    brokerUrl: 'mqtt://127.0.0.1:1',
    id: 'fridge-0001',
    secret: 'unused',
    model: 'fridge-x1',
    seed: 'unit',
    log: silentLogger(),
    commands: { firmwareInstallMs: 5, rebootDelayMs: 5 },
    ...overrides,
  });
  devices.push(device);
  return device;
}

function sent(device: SimDevice): Uplink[] {
  return device.bufferedMessages().map((m) => decodeUplink(m.payload));
}

function results(device: SimDevice): CommandResult[] {
  return sent(device).flatMap((u) => u.commandResults);
}

function command(name: string, params: Record<string, string> = {}, extra: Partial<Downlink> = {}): Downlink {
  return { schemaVersion: 1, commandId: `cmd-${name}-${Math.random().toString(36).slice(2, 8)}`, issuedAtMs: Date.now(), expiresAtMs: 0, body: { kind: 'command', name, params }, ...extra };
}

describe('SimDevice without a broker', () => {
  it('builds uplinks the platform accepts, with seq from 1 and the configured sample count', () => {
    const device = offlineDevice({ samplesPerMessage: 10 });
    const t0 = Date.now();
    for (let i = 0; i < 5; i++) device.produce(t0 + i * 1000);
    const uplinks = sent(device);
    expect(uplinks.map((u) => u.seq)).toEqual([1, 2, 3, 4, 5]);
    for (const [i, u] of uplinks.entries()) {
      expect(validateUplink(device.bufferedMessages()[i]!.payload, { deviceId: 'fridge-0001', receivedAtMs: t0 + 5000 })).toMatchObject({ ok: true });
      expect(u.bootId).toBe(device.bootId);
      expect(u.firmware).toBe(device.firmware);
      expect(u.samples.length).toBeLessThanOrEqual(10);
      expect(u.samples.length).toBeGreaterThanOrEqual(9); // one NaN (failed sensor) at most
    }
    expect(uplinks[0]!.events.map((e) => e.code)).toContain('boot');
  });

  it('never repeats a (metric, time) pair, so no sample collapses in the store', () => {
    const device = offlineDevice({ samplesPerMessage: 7 });
    const t0 = Date.now();
    for (let i = 0; i < 200; i++) device.produce(t0 + i * 3);
    const keys = sent(device).flatMap((u) => u.samples.map((s) => `${s.metric}@${s.timeMs}`));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('applies a fixed clock offset to device times', () => {
    const device = offlineDevice({ clockSkew: { offsetMs: -300_000 } });
    const real = Date.now();
    device.produce(real);
    const [u] = sent(device);
    expect(u!.deviceTimeMs).toBe(real - 300_000);
    expect(u!.samples.every((s) => s.timeMs <= real - 300_000 && s.timeMs > real - 320_000)).toBe(true);
  });

  it('drifts by the configured ppm', () => {
    const device = offlineDevice({ clockSkew: { driftPpm: 100 } });
    const real = Date.now() + 3_600_000;
    device.produce(real);
    expect(sent(device)[0]!.deviceTimeMs - real).toBeGreaterThan(350);
  });

  it('starts a new boot on reboot: new boot id, seq from 1, a boot event naming the previous boot', async () => {
    const device = offlineDevice();
    device.produce();
    device.produce();
    const firstBoot = device.bootId;
    device.reboot('test');
    await tick();
    device.produce();
    const uplinks = sent(device);
    const newBoot = uplinks.filter((u) => u.bootId !== firstBoot);
    expect(newBoot.map((u) => u.seq)).toEqual([1, 2]);
    const boot = newBoot.flatMap((u) => u.events).find((e) => e.code === 'boot');
    expect(boot?.attributes).toMatchObject({ reason: 'test', previous_boot_id: firstBoot });
    // Messages of the old boot are still buffered with their old key.
    expect(uplinks.filter((u) => u.bootId === firstBoot).map((u) => u.seq)).toEqual([1, 2]);
  });

  it('answers a model command with accepted, then succeeded', async () => {
    const device = offlineDevice();
    device.produce();
    const cmd = command('defrost');
    expect(device.handleDownlink(cmd)).toBe('handled');
    await tick();
    expect(results(device).map((r) => r.status)).toEqual(['accepted']);
    await new Promise((r) => setTimeout(r, 600));
    await tick();
    const mine = results(device).filter((r) => r.commandId === cmd.commandId);
    expect(mine.map((r) => r.status)).toEqual(['accepted', 'succeeded']);
    expect(sent(device).flatMap((u) => u.events).map((e) => e.code)).toContain('defrost_start');
  });

  it('rejects unknown commands and bad parameters', async () => {
    const device = offlineDevice();
    const unknown = command('self_destruct');
    const bad = command('set_temperature', { cabinet_c: '30' });
    device.handleDownlink(unknown);
    device.handleDownlink(bad);
    await tick();
    expect(results(device)).toEqual([
      expect.objectContaining({ commandId: unknown.commandId, status: 'rejected', detail: 'unknown command self_destruct' }),
      expect.objectContaining({ commandId: bad.commandId, status: 'rejected' }),
    ]);
  });

  it('ignores expired commands and redeliveries', async () => {
    const device = offlineDevice();
    const expired = command('ping', {}, { expiresAtMs: Date.now() - 1000 });
    expect(device.handleDownlink(expired)).toBe('expired');
    const ping = command('ping');
    expect(device.handleDownlink(ping)).toBe('handled');
    expect(device.handleDownlink(ping)).toBe('duplicate');
    await tick();
    expect(results(device).map((r) => [r.commandId, r.status])).toEqual([
      [ping.commandId, 'accepted'],
      [ping.commandId, 'succeeded'],
    ]);
  });

  it('judges expiry by its own (skewed) clock', () => {
    const device = offlineDevice({ clockSkew: { offsetMs: -60_000 } });
    // Expired by platform time, not yet by a device clock a minute behind.
    expect(device.handleDownlink(command('ping', {}, { expiresAtMs: Date.now() - 1000 }))).toBe('handled');
  });

  it('applies config settings all-or-nothing, including report_interval_s', async () => {
    const device = offlineDevice({ reportIntervalMs: 10_000 });
    let changed = 0;
    device.onIntervalChange = () => changed++;
    const bad = { schemaVersion: 1, commandId: 'cfg-1', issuedAtMs: 0, expiresAtMs: 0, body: { kind: 'config', settings: { report_interval_s: '30', eco_mode: 'maybe' } } } satisfies Downlink;
    device.handleDownlink(bad);
    expect(device.intervalMs).toBe(10_000);
    const good = { ...bad, commandId: 'cfg-2', body: { kind: 'config', settings: { report_interval_s: '30', eco_mode: 'true' } } } satisfies Downlink;
    device.handleDownlink(good);
    expect(device.intervalMs).toBe(30_000);
    expect(changed).toBe(1);
    await tick();
    expect(results(device).map((r) => [r.commandId, r.status])).toEqual([
      ['cfg-1', 'rejected'],
      ['cfg-2', 'accepted'],
      ['cfg-2', 'succeeded'],
    ]);
  });

  it('installs an offered firmware of its model and reboots into it', async () => {
    const device = offlineDevice({ firmware: '1.4.2' });
    const sha256 = 'a'.repeat(64);
    const offer = (commandId: string, version: string): Downlink => ({ schemaVersion: 1, commandId, issuedAtMs: 0, expiresAtMs: 0, body: { kind: 'firmware_offer', version, url: 'https://fw.example/x.bin', sha256 } });
    device.handleDownlink(offer('fw-bad', '9.9.9'));
    device.handleDownlink(offer('fw-ok', '1.6.1'));
    await new Promise((r) => setTimeout(r, 50));
    await tick();
    expect(device.firmware).toBe('1.6.1');
    const all = results(device);
    expect(all.find((r) => r.commandId === 'fw-bad')?.status).toBe('rejected');
    expect(all.filter((r) => r.commandId === 'fw-ok').map((r) => r.status)).toEqual(['accepted', 'succeeded']);
    const last = sent(device).at(-1)!;
    expect(last.firmware).toBe('1.6.1');
    expect(last.seq).toBe(1);
  });

  it('keeps at most bufferCapacity messages, dropping the oldest', () => {
    const device = offlineDevice({ bufferCapacity: 50 });
    for (let i = 0; i < 80; i++) device.produce();
    expect(device.buffered).toBe(50);
    expect(device.dropped).toBe(30);
    expect(sent(device).map((u) => u.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 31 + i));
  });
});
