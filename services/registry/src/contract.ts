/**
 * The contract every {@link Registry} implementation passes (the aedes-persistence pattern): PGlite
 * in memory and on disk today, PostgreSQL later. Test-only — it imports vitest — so it is exported as
 * `@parley/registry/contract`, never from the package index.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeviceRecord, ProvisionedDevice, ProvisionRequest, Registry } from './registry';
import { DEVICE_ID_PATTERN } from './device-id';
import { relationshipContract } from './relationships/contract';
import { destinationContract } from './relationships/destination-contract';

/**
 * One registry for one test, **empty** at the start (tests count from zero). A PostgreSQL factory
 * can hand out a fresh schema or database per test, or `TRUNCATE devices` before opening.
 */
export interface RegistryUnderTest {
  registry: Registry;
  /** Closes every registry handed out for this test (close is idempotent) and removes its storage. */
  cleanup(): Promise<void>;
  /**
   * Opens a new registry on the same storage after the test closed `registry`. Backends that persist
   * provide it and get the persistence tests.
   */
  reopen?(): Promise<Registry>;
}

/** Empties every registry table (for factories that reuse one database across tests). */
export const TRUNCATE_ALL_SQL = 'TRUNCATE devices, owners, accounts, tokens, access_log, timeline, receipts RESTART IDENTITY CASCADE';

const RECORD_KEYS = ['createdAt', 'firmware', 'id', 'model', 'status', 'tags'];

function expectRecord(r: DeviceRecord | null | undefined): asserts r is DeviceRecord {
  expect(r).toBeTruthy();
  expect(Object.keys(r!).sort()).toEqual(RECORD_KEYS);
  expect(r!.createdAt).toBeInstanceOf(Date);
}

/** Registers the registry contract suite under `name`; `factory` is called once per test. */
export function describeRegistry(name: string, factory: () => Promise<RegistryUnderTest>): void {
  describe(`Registry contract: ${name}`, () => {
    let ctx: RegistryUnderTest;
    let registry: Registry;

    beforeEach(async () => {
      ctx = await factory();
      registry = ctx.registry;
    });
    afterEach(async () => {
      await ctx.cleanup();
    });

    const provision = (count: number, model = 'fridge-x1', firmware = '1.4.2'): Promise<ProvisionedDevice[]> =>
      registry.provisionDevices({ model, firmware, count });

    describe('provisioning', () => {
      it('creates devices with topic-safe unique ids and a one-time base64url secret each', async () => {
        const before = Date.now();
        const devices = await provision(5);
        expect(devices).toHaveLength(5);
        expect(new Set(devices.map((d) => d.id)).size).toBe(5);
        expect(new Set(devices.map((d) => d.secret)).size).toBe(5);
        for (const d of devices) {
          expect(Object.keys(d).sort()).toEqual(['claimCode', 'createdAt', 'firmware', 'id', 'model', 'secret', 'status', 'tags']);
          expect(d.claimCode).toMatch(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
          expect(d.status).toBe('active');
          expect(d.id).toMatch(DEVICE_ID_PATTERN);
          expect(d.id.startsWith('fridge-x1-')).toBe(true);
          expect(d.id).not.toMatch(/[/+#\s]/);
          expect(d.secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 bytes, base64url
          expect(d.model).toBe('fridge-x1');
          expect(d.firmware).toBe('1.4.2');
          expect(d.createdAt.getTime()).toBeGreaterThanOrEqual(before - 60_000);
        }
      });

      it('stores devices as active with the provisioned firmware', async () => {
        const [d] = await provision(1);
        const r = await registry.getDevice(d!.id);
        expectRecord(r);
        expect(r).toEqual({ id: d!.id, model: 'fridge-x1', firmware: '1.4.2', status: 'active', tags: [], createdAt: d!.createdAt });
      });

      it('uses idPrefix instead of the model when given', async () => {
        const devices = await registry.provisionDevices({ model: 'washer-w2', firmware: '2.0.1', count: 3, idPrefix: 'ACME.w2:eu' });
        for (const d of devices) {
          expect(d.id).toMatch(/^ACME\.w2:eu-[0-9a-z]+$/);
          expect(d.id).toMatch(DEVICE_ID_PATTERN);
          expect(d.model).toBe('washer-w2');
        }
      });

      it('provisions a large batch in one call', async () => {
        const devices = await provision(12_001, 'heatpump-h3', '3.1.0');
        expect(devices).toHaveLength(12_001);
        expect(new Set(devices.map((d) => d.id)).size).toBe(12_001);
        expect(await registry.countDevices({ model: 'heatpump-h3' })).toBe(12_001);
        const last = devices[devices.length - 1]!;
        expect(await registry.authenticateDevice(last.id, last.secret)).not.toBeNull();
      });

      it('keeps concurrent provisioning calls apart', async () => {
        const [a, b] = await Promise.all([provision(50, 'model-a'), provision(70, 'model-b')]);
        expect(a).toHaveLength(50);
        expect(b).toHaveLength(70);
        expect(await registry.countDevices({ model: 'model-a' })).toBe(50);
        expect(await registry.countDevices({ model: 'model-b' })).toBe(70);
      });

      it('rejects invalid requests with ValidationError codes and creates nothing', async () => {
        const cases: [Partial<ProvisionRequest>, string][] = [
          [{ model: 'x' }, 'invalid_model'],
          [{ model: 'Fridge' }, 'invalid_model'],
          [{ model: 'fridge/x1' }, 'invalid_model'],
          [{ model: '-fridge' }, 'invalid_model'],
          [{ model: 'a'.repeat(49) }, 'invalid_model'],
          [{ firmware: '' }, 'invalid_firmware'],
          [{ firmware: 'latest' }, 'invalid_firmware'],
          [{ firmware: '1' }, 'invalid_firmware'],
          [{ count: 0 }, 'invalid_count'],
          [{ count: -1 }, 'invalid_count'],
          [{ count: 1.5 }, 'invalid_count'],
          [{ count: Number.NaN }, 'invalid_count'],
          [{ count: 100_001 }, 'invalid_count'],
          [{ idPrefix: 'a/b' }, 'invalid_id_prefix'],
          [{ idPrefix: 'a+' }, 'invalid_id_prefix'],
          [{ idPrefix: '$SYS' }, 'invalid_id_prefix'],
          [{ idPrefix: '' }, 'invalid_id_prefix'],
        ];
        for (const [override, code] of cases) {
          const request = { model: 'fridge-x1', firmware: '1.4.2', count: 2, ...override };
          await expect(registry.provisionDevices(request), JSON.stringify(override)).rejects.toMatchObject({ code, status: 400, name: 'ValidationError' });
        }
        expect(await registry.countDevices()).toBe(0);
      });

      it('accepts semver-ish firmware versions', async () => {
        for (const firmware of ['1.4', '1.4.2', '2.0.0-rc.1', '3.1.0+b42', '1.2.3.4']) {
          const [d] = await registry.provisionDevices({ model: 'fridge-x1', firmware, count: 1 });
          expect(d!.firmware).toBe(firmware);
        }
      });
    });

    describe('authentication', () => {
      it('returns the device for its own secret, given as a string or as UTF-8 bytes', async () => {
        const [d] = await provision(1);
        const r = await registry.authenticateDevice(d!.id, d!.secret);
        expectRecord(r);
        expect(r.id).toBe(d!.id);
        expect(r.status).toBe('active');
        expect(await registry.authenticateDevice(d!.id, Buffer.from(d!.secret, 'utf8'))).toEqual(r);
      });

      it('refuses a wrong secret, another device\'s secret and an empty secret', async () => {
        const [a, b] = await provision(2);
        expect(await registry.authenticateDevice(a!.id, b!.secret)).toBeNull();
        expect(await registry.authenticateDevice(a!.id, a!.secret.slice(0, -1))).toBeNull();
        expect(await registry.authenticateDevice(a!.id, a!.secret + 'x')).toBeNull();
        expect(await registry.authenticateDevice(a!.id, '')).toBeNull();
      });

      it('refuses an unknown or malformed device id', async () => {
        const [d] = await provision(1);
        expect(await registry.authenticateDevice('fridge-x1-nosuchdevice', d!.secret)).toBeNull();
        expect(await registry.authenticateDevice('', d!.secret)).toBeNull();
        expect(await registry.authenticateDevice('devices/+/up', d!.secret)).toBeNull();
        expect(await registry.authenticateDevice('x'.repeat(500), d!.secret)).toBeNull();
      });

      it('refuses a disabled device until it is enabled again', async () => {
        const [d] = await provision(1);
        const disabled = await registry.disableDevice(d!.id);
        expectRecord(disabled);
        expect(disabled.status).toBe('disabled');
        expect(await registry.authenticateDevice(d!.id, d!.secret)).toBeNull();
        expect((await registry.getDevice(d!.id))?.status).toBe('disabled');
        expect((await registry.disableDevice(d!.id)).status).toBe('disabled'); // idempotent
        expect((await registry.enableDevice(d!.id)).status).toBe('active');
        expect(await registry.authenticateDevice(d!.id, d!.secret)).not.toBeNull();
      });

      it('rotating the secret invalidates the old one at once', async () => {
        const [d, other] = await provision(2);
        const fresh = await registry.rotateSecret(d!.id);
        expect(fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(fresh).not.toBe(d!.secret);
        expect(await registry.authenticateDevice(d!.id, d!.secret)).toBeNull();
        expect((await registry.authenticateDevice(d!.id, fresh))?.id).toBe(d!.id);
        expect((await registry.authenticateDevice(other!.id, other!.secret))?.id).toBe(other!.id);
      });

      it('rotating the secret of a disabled device keeps it disabled', async () => {
        const [d] = await provision(1);
        await registry.disableDevice(d!.id);
        const fresh = await registry.rotateSecret(d!.id);
        expect(await registry.authenticateDevice(d!.id, fresh)).toBeNull();
        await registry.enableDevice(d!.id);
        expect(await registry.authenticateDevice(d!.id, fresh)).not.toBeNull();
      });
    });

    describe('reading and updating devices', () => {
      it('keeps cohort tags from provisioning and replaces them on request', async () => {
        const [d] = await registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1, tags: ['region:eu-west', 'cohort:beta', 'region:eu-west'] });
        expect(d!.tags).toEqual(['cohort:beta', 'region:eu-west']);
        expect((await registry.getDevice(d!.id))?.tags).toEqual(['cohort:beta', 'region:eu-west']);
        expect((await registry.setTags(d!.id, ['region:us'])).tags).toEqual(['region:us']);
        await expect(registry.setTags(d!.id, ['Not A Tag'])).rejects.toMatchObject({ code: 'invalid_tags' });
        await expect(registry.provisionDevices({ model: 'fridge-x1', firmware: '1.0.0', count: 1, tags: ['x'.repeat(65)] })).rejects.toMatchObject({ code: 'invalid_tags' });
      });

      it('getDevice returns null for an unknown or malformed id', async () => {
        expect(await registry.getDevice('fridge-x1-nosuchdevice')).toBeNull();
        expect(await registry.getDevice('not/an/id')).toBeNull();
      });

      it('setFirmware records the reported version', async () => {
        const [d] = await provision(1);
        await registry.setFirmware(d!.id, '1.5.0');
        expect((await registry.getDevice(d!.id))?.firmware).toBe('1.5.0');
        expect((await registry.authenticateDevice(d!.id, d!.secret))?.firmware).toBe('1.5.0');
      });

      it('setFirmware rejects a malformed version', async () => {
        const [d] = await provision(1);
        await expect(registry.setFirmware(d!.id, 'v1 beta')).rejects.toMatchObject({ code: 'invalid_firmware', status: 400 });
        expect((await registry.getDevice(d!.id))?.firmware).toBe('1.4.2');
      });

      it('setFirmware, disableDevice, enableDevice and rotateSecret of an unknown device are NotFoundErrors', async () => {
        const calls: [string, (id: string) => Promise<unknown>][] = [
          ['setFirmware', (id) => registry.setFirmware(id, '1.0.0')],
          ['disableDevice', (id) => registry.disableDevice(id)],
          ['enableDevice', (id) => registry.enableDevice(id)],
          ['rotateSecret', (id) => registry.rotateSecret(id)],
        ];
        for (const [name, call] of calls) {
          for (const id of ['fridge-x1-nosuchdevice', 'bad/id']) {
            await expect(call(id), `${name}(${id})`).rejects.toMatchObject({ code: 'device_not_found', status: 404, name: 'NotFoundError' });
          }
        }
      });
    });

    describe('listing and counting', () => {
      it('pages through all devices in id order without gaps or repeats', async () => {
        const a = await provision(23, 'model-a');
        const b = await provision(14, 'model-b');
        const all = [...a, ...b].map((d) => d.id).sort();
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await registry.listDevices({ limit: 10, ...(cursor ? { cursor } : {}) });
          for (const r of page.devices) expectRecord(r);
          seen.push(...page.devices.map((r) => r.id));
          cursor = page.nextCursor ?? undefined;
          pages++;
        } while (cursor);
        expect(pages).toBe(4);
        expect(seen).toEqual(all);
      });

      it('filters by model and reports the last page with a null cursor', async () => {
        await provision(5, 'model-a');
        const b = await provision(4, 'model-b');
        const first = await registry.listDevices({ model: 'model-b', limit: 3 });
        expect(first.devices.map((r) => r.model)).toEqual(['model-b', 'model-b', 'model-b']);
        expect(first.nextCursor).toEqual(expect.any(String));
        const second = await registry.listDevices({ model: 'model-b', limit: 3, cursor: first.nextCursor! });
        expect(second.devices).toHaveLength(1);
        expect(second.nextCursor).toBeNull();
        expect([...first.devices, ...second.devices].map((r) => r.id)).toEqual(b.map((d) => d.id).sort());
        const exact = await registry.listDevices({ model: 'model-b', limit: 4 });
        expect(exact.devices).toHaveLength(4);
        expect(exact.nextCursor).toBeNull();
      });

      it('returns an empty page for an empty registry or an unknown model', async () => {
        expect(await registry.listDevices({ limit: 10 })).toEqual({ devices: [], nextCursor: null });
        await provision(2);
        expect(await registry.listDevices({ model: 'no-such-model', limit: 10 })).toEqual({ devices: [], nextCursor: null });
      });

      it('rejects a limit outside 1..1000, a cursor it did not issue and a malformed model filter', async () => {
        for (const limit of [0, -1, 1001, 2.5, Number.NaN]) {
          await expect(registry.listDevices({ limit }), `limit ${limit}`).rejects.toMatchObject({ code: 'invalid_limit', status: 400 });
        }
        expect((await registry.listDevices({ limit: 1000 })).devices).toEqual([]);
        await expect(registry.listDevices({ limit: 10, cursor: 'garbage' })).rejects.toMatchObject({ code: 'invalid_cursor', status: 400 });
        await expect(registry.listDevices({ limit: 10, model: 'Bad Model' })).rejects.toMatchObject({ code: 'invalid_model', status: 400 });
        await expect(registry.countDevices({ model: 'Bad Model' })).rejects.toMatchObject({ code: 'invalid_model', status: 400 });
      });

      it('counts all devices and per model', async () => {
        expect(await registry.countDevices()).toBe(0);
        await provision(7, 'model-a');
        await provision(3, 'model-b');
        expect(await registry.countDevices()).toBe(10);
        expect(await registry.countDevices({})).toBe(10);
        expect(await registry.countDevices({ model: 'model-a' })).toBe(7);
        expect(await registry.countDevices({ model: 'model-c' })).toBe(0);
      });
    });

    it('never returns a secret, hash or salt outside provisionDevices and rotateSecret', async () => {
      const devices = await provision(3);
      const secrets = devices.map((d) => d.secret);
      const rotated = await registry.rotateSecret(devices[0]!.id);
      secrets.push(rotated);
      const outputs: unknown[] = [
        await registry.getDevice(devices[1]!.id),
        await registry.authenticateDevice(devices[0]!.id, rotated),
        await registry.authenticateDevice(devices[1]!.id, devices[1]!.secret),
        await registry.listDevices({ limit: 100 }),
        await registry.listDevices({ model: 'fridge-x1', limit: 1 }),
        await registry.setFirmware(devices[1]!.id, '9.9.9'),
        await registry.getDevice(devices[1]!.id),
        await registry.disableDevice(devices[2]!.id),
        await registry.enableDevice(devices[2]!.id),
        await registry.countDevices(),
      ];
      const text = JSON.stringify(outputs);
      for (const s of secrets) expect(text).not.toContain(s);
      expect(text).not.toMatch(/"[^"]*(hash|salt|secret)[^"]*":/i); // no such key anywhere
      for (const r of (outputs[3] as { devices: DeviceRecord[] }).devices) expectRecord(r);
    });

    it('close is idempotent', async () => {
      await registry.close();
      await registry.close();
    });

    relationshipContract(() => registry);
    destinationContract(() => registry);

    describe('persistence', () => {
      it('keeps devices, states, firmware and secrets across close and reopen', async (test) => {
        if (!ctx.reopen) return test.skip('backend does not persist');
        const [a, b, c] = await provision(3);
        await registry.disableDevice(b!.id);
        await registry.setFirmware(c!.id, '1.5.0');
        const rotated = await registry.rotateSecret(c!.id);
        await registry.close();

        registry = await ctx.reopen();
        expect(await registry.countDevices()).toBe(3);
        expect(await registry.getDevice(a!.id)).toEqual({ id: a!.id, model: 'fridge-x1', firmware: '1.4.2', status: 'active', tags: [], createdAt: a!.createdAt });
        expect((await registry.authenticateDevice(a!.id, a!.secret))?.id).toBe(a!.id);
        expect(await registry.authenticateDevice(b!.id, b!.secret)).toBeNull();
        expect((await registry.getDevice(b!.id))?.status).toBe('disabled');
        expect(await registry.authenticateDevice(c!.id, c!.secret)).toBeNull();
        expect((await registry.authenticateDevice(c!.id, rotated))?.firmware).toBe('1.5.0');
        const more = await provision(2);
        expect(await registry.countDevices()).toBe(5);
        expect((await registry.authenticateDevice(more[0]!.id, more[0]!.secret))?.id).toBe(more[0]!.id);
      });
    });
  });
}
