import type { CommandResult, DeviceEvent, Sample, Uplink } from '@parley/proto';
import { SCHEMA_VERSION } from '@parley/proto';
import type { ApplianceModel, ApplianceSim } from './models/index.js';

/**
 * Fills the samples of successive uplinks from an appliance simulation.
 *
 * A message carries `samplesPerMessage` samples. Metrics are read as snapshots (all metrics at one
 * instant) and a snapshot may straddle two messages, so any sample count works with any model. The
 * snapshots of a message are spread over the time since the previous message, and every snapshot
 * time is strictly later than the last: the store's key is (device, metric, time, boot, seq), so two
 * readings of one metric at one millisecond would collapse into one row.
 */
export class UplinkBuilder {
  private readonly names: string[];
  private readonly scales: Float64Array;
  /** Reused sample objects: they are encoded synchronously, so one set per device is enough. */
  private pool: Sample[] = [];
  private cursor = 0;
  private snapshotMs = Number.NEGATIVE_INFINITY;
  private lastMessageMs = Number.NaN;

  constructor(model: ApplianceModel, private readonly sim: ApplianceSim, private samplesPerMessage: number) {
    this.names = model.metrics.map((m) => m.name);
    this.scales = Float64Array.from(model.metrics, (m) => 10 ** m.decimals);
    this.setSamplesPerMessage(samplesPerMessage);
  }

  /** Changes the number of samples per message (config `samples_per_message`). */
  setSamplesPerMessage(n: number): void {
    this.samplesPerMessage = n;
    while (this.pool.length < n) this.pool.push({ metric: '', value: 0, timeMs: 0 });
  }

  /**
   * Reads up to `samplesPerMessage` samples ending at device time `nowMs`. Metrics without a
   * reading (NaN, e.g. COP while a heat pump is off) are skipped, so a message can carry fewer.
   */
  samples(nowMs: number, nominalIntervalMs: number): Sample[] {
    const n = this.samplesPerMessage;
    const m = this.names.length;
    const from = Number.isNaN(this.lastMessageMs) ? nowMs - nominalIntervalMs : this.lastMessageMs;
    this.lastMessageMs = nowMs;
    // How many snapshots start in this message: positions c0, c0+1, … that are multiples of m.
    const starts = Math.floor((this.cursor + n - 1) / m) - Math.floor((this.cursor - 1) / m);
    let started = 0;
    const out: Sample[] = [];
    // Bounded loop: NaN metrics are skipped, but never more than two full passes.
    for (let i = 0; i < n + 2 * m && out.length < n; i++) {
      if (this.cursor === 0) {
        started++;
        const spread = starts > 0 ? from + ((nowMs - from) * Math.min(started, starts)) / starts : nowMs;
        this.snapshotMs = Math.max(Math.round(spread), this.snapshotMs + 1);
        this.sim.advance(this.snapshotMs);
      }
      const value = this.sim.values[this.cursor]!;
      if (!Number.isNaN(value)) {
        const sample = this.pool[out.length]!;
        const scale = this.scales[this.cursor]!;
        sample.metric = this.names[this.cursor]!;
        sample.value = Math.round(value * scale) / scale;
        sample.timeMs = this.snapshotMs;
        out.push(sample);
      }
      this.cursor = this.cursor + 1 === m ? 0 : this.cursor + 1;
    }
    return out;
  }
}

/** An Uplink with everything but the per-message fields set; reused across messages of one boot. */
export function uplinkTemplate(deviceId: string, bootId: string, firmware: string): Uplink {
  return {
    schemaVersion: SCHEMA_VERSION,
    deviceId,
    bootId,
    seq: 0,
    deviceTimeMs: 0,
    firmware,
    samples: [],
    events: [] as DeviceEvent[],
    commandResults: [] as CommandResult[],
  };
}
