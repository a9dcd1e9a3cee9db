import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeDownlink, decodeUplink, encodeDownlink, encodeUplink, REJECT_REASONS, validateDownlink, validateUplink, type Downlink, type Uplink } from './index';

// The golden vectors are built by scripts/vectors.mjs with its own minimal protobuf writer, so
// these tests check the generated codec against an independent oracle, not against itself.

interface Vector {
  name: string;
  file: string;
  message: 'parley.telemetry.v1.Uplink' | 'parley.telemetry.v1.Downlink';
  description: string;
  size: number;
  hex: string;
  valid: boolean;
  canonical?: boolean;
  value?: unknown;
  reject?: string;
}

interface Manifest {
  format: string;
  schemaVersion: number;
  uplinkContext: { deviceId: string; receivedAtMs: number };
  vectors: Vector[];
}

const dir = fileURLToPath(new URL('../vectors/', import.meta.url));
const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as Manifest;
const bytesOf = (v: Vector) => new Uint8Array(readFileSync(`${dir}${v.file}`));
const isUplink = (v: Vector) => v.message === 'parley.telemetry.v1.Uplink';

describe('golden vectors', () => {
  it('has a manifest entry for every .bin file and a file for every entry', () => {
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
    expect(manifest.vectors.map((v) => v.file).sort()).toEqual(files);
    expect(manifest.format).toBe('parley-golden-vectors/1');
  });

  it('covers the cases firmware authors rely on', () => {
    const names = manifest.vectors.map((v) => v.name);
    for (const required of [
      'uplink_minimal',
      'uplink_full',
      'uplink_heartbeat',
      'uplink_unknown_fields',
      'uplink_truncated',
      'uplink_wrong_wire_type',
      'uplink_unsupported_schema_version',
      'uplink_nan_value',
      'uplink_bad_metric_name',
      'downlink_command',
      'downlink_config',
      'downlink_firmware_offer',
    ]) {
      expect(names).toContain(required);
    }
    const full = manifest.vectors.find((v) => v.name === 'uplink_full')!.value as Uplink;
    expect(new Set(full.events.map((e) => e.severity))).toEqual(new Set(['unspecified', 'info', 'warning', 'error', 'critical']));
  });

  describe.each(manifest.vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const bytes = bytesOf(v);

    it('matches its manifest size and hex', () => {
      expect(bytes.length).toBe(v.size);
      expect(Buffer.from(bytes).toString('hex')).toBe(v.hex);
    });

    if (v.valid) {
      it('decodes to the manifest value', () => {
        expect(isUplink(v) ? decodeUplink(bytes) : decodeDownlink(bytes)).toEqual(v.value);
      });

      if (v.canonical) {
        it('re-encodes the manifest value to identical bytes', () => {
          const encoded = isUplink(v) ? encodeUplink(v.value as Uplink) : encodeDownlink(v.value as Downlink);
          expect(Buffer.from(encoded).toString('hex')).toBe(v.hex);
        });
      }

      it('passes validation', () => {
        const result = isUplink(v) ? validateUplink(bytes, manifest.uplinkContext) : validateDownlink(decodeDownlink(bytes));
        expect(result).toMatchObject({ ok: true });
      });
    } else {
      it(`is rejected as ${v.reject}`, () => {
        expect(isUplink(v)).toBe(true);
        expect(REJECT_REASONS).toContain(v.reject);
        const result = validateUplink(bytes, manifest.uplinkContext);
        expect(result.ok).toBe(false);
        if (!result.ok) {
          expect(result.reason).toBe(v.reject);
          expect(result.detail.length).toBeGreaterThan(0);
        }
      });
    }
  });
});
