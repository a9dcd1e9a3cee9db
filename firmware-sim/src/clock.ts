/** How a device's clock differs from true time. */
export interface ClockSkew {
  /** Fixed offset, ms (positive = device clock ahead). */
  offsetMs?: number;
  /** Drift in parts per million: +50 gains 4.3 s a day, like a cheap crystal. */
  driftPpm?: number;
}

/**
 * A device's own clock. The platform keeps device time next to its receive time and never "fixes"
 * skew, so the simulator must be able to produce skewed and drifting clocks to exercise that.
 */
export class DeviceClock {
  private readonly offsetMs: number;
  private readonly drift: number;

  /** @param startMs true time at which drift starts accumulating (the device's power-on). */
  constructor(skew: ClockSkew = {}, private readonly startMs = Date.now()) {
    this.offsetMs = skew.offsetMs ?? 0;
    this.drift = (skew.driftPpm ?? 0) / 1e6;
  }

  /** Device time (integer ms) at true time `realMs`. */
  at(realMs: number): number {
    return Math.round(realMs + this.offsetMs + (realMs - this.startMs) * this.drift);
  }
}
