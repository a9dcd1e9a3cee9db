import { gaussian } from '../prng.js';
import { clamp, ou, parseBool, parseNumberIn, relax, SteppedSim } from './sim-base.js';
import type { ApplianceModel, CommandOutcome, MetricSpec, ModelOptions } from './types.js';

const METRICS = [
  { name: 'outdoor.temp_c', decimals: 1 },
  { name: 'indoor.temp_c', decimals: 1 },
  { name: 'flow.temp_c', decimals: 1 },
  { name: 'return.temp_c', decimals: 1 },
  { name: 'heat_output_w', decimals: 0 },
  { name: 'power_w', decimals: 0 },
  { name: 'cop', decimals: 2 },
  { name: 'compressor.freq_hz', decimals: 0 },
  { name: 'defrost.active', decimals: 0 },
] as const satisfies readonly MetricSpec[];

const OUTDOOR = 0, INDOOR = 1, FLOW = 2, RETURN = 3, HEAT = 4, POWER = 5, COP = 6, FREQ = 7, DEFROST = 8;

/** House heat loss coefficient (W/K) and heat capacity (J/K): a mid-size, moderately insulated house. */
const UA = 180;
const HOUSE_J_PER_K = 1.5e7;
/** Water circuit: 0.35 kg/s × 4186 J/(kg·K). */
const CIRCUIT_W_PER_K = 1465;
const MIN_HEAT_W = 2000;

/** Carnot efficiency share by firmware: 3.2.1 has the improved expansion-valve control. */
const ETA_BY_FIRMWARE: Record<string, number> = { '3.0.2': 0.48, '3.1.0': 0.5, '3.2.1': 0.52 };

/**
 * An air-to-water heat pump heating a house. Outdoor temperature follows a daily cycle (coldest
 * around 03:00, warmest around 15:00) plus slow "weather"; heat demand follows the outdoor
 * temperature, the weather-compensated flow temperature follows the heating curve, and COP follows a
 * Carnot share of the temperature lift — so power rises at night and in cold spells. Frost builds up
 * near 0 °C and forces defrosts; high flow temperatures make high-pressure faults more likely.
 */
class HeatpumpH3 extends SteppedSim {
  private readonly climateMeanC: number;
  private readonly eta: number;
  private weather = 0;
  private outdoor = 5;
  private indoor = 21;
  private roomSet = 21;
  private eco = false;
  private running = false;
  private output = 0;
  private flow = 30;
  private ret = 28;
  private frost = 0;
  private defrostUntil = 0;
  private defrostStartedAt = 0;
  private lockoutUntil = 0;
  private permanentLockout = false;
  private faultTimes: number[] = [];
  private maxHeat = 6000;
  private readonly defrostS: number;

  constructor(options: ModelOptions) {
    super(METRICS.length, options);
    // A winter-ish climate per device, so the fleet has both mild and cold homes.
    this.climateMeanC = -1 + options.rand() * 10;
    this.eta = ETA_BY_FIRMWARE[options.firmware] ?? 0.5;
    // 3.0.2 ends defrosts on a timer instead of the coil sensor: longer, costlier defrosts.
    this.defrostS = options.firmware === '3.0.2' ? 420 : 300;
  }

  protected init(): void {
    this.weather = gaussian(this.rand) * 2;
    this.outdoor = this.outdoorTemp();
    this.indoor = this.roomSet + gaussian(this.rand) * 0.3;
    this.flow = this.indoor + 5;
    this.ret = this.flow - 2;
  }

  protected step(dt: number): void {
    const now = this.now;
    this.weather = ou(this.weather, dt, 12 * 3600, 3, this.rand);
    this.outdoor = this.outdoorTemp();
    const hour = this.hourOfDay();
    const setpoint = this.roomSet - (this.eco && (hour >= 22 || hour < 6) ? 2 : 0);
    const maxHeat = clamp(5500 + 150 * (this.outdoor + 7), 4000, 9000);
    this.maxHeat = maxHeat;
    const defrosting = now < this.defrostUntil;
    if (this.defrostUntil > 0 && !defrosting) this.endDefrost();

    if (this.permanentLockout || now < this.lockoutUntil) {
      this.running = false;
      this.output = 0;
    } else if (defrosting) {
      // Reverse cycle: heat is pulled from the water circuit to melt the ice on the outdoor coil.
      this.output = -2500;
    } else {
      const request = UA * (setpoint - this.outdoor) + 1500 * (setpoint - this.indoor);
      if (request >= MIN_HEAT_W) this.running = true;
      else if (this.running && this.indoor > setpoint + 0.4) this.running = false;
      else if (!this.running && this.indoor < setpoint - 0.4) this.running = true;
      this.output = this.running ? clamp(request, MIN_HEAT_W, maxHeat) : 0;
    }

    this.indoor += ((this.output - UA * (this.indoor - this.outdoor) + 300) * dt) / HOUSE_J_PER_K;
    if (defrosting) {
      this.flow = relax(this.flow, 20, dt, 200);
      this.ret = this.flow + 1.5;
    } else if (this.running) {
      const curve = clamp(22 + 0.7 * (20 - this.outdoor), 25, 55) + (3 * this.output) / maxHeat;
      this.flow = relax(this.flow, curve, dt, 240);
      this.ret = relax(this.ret, this.flow - this.output / CIRCUIT_W_PER_K, dt, 60);
    } else {
      this.flow = relax(this.flow, this.indoor + 2, dt, 1800);
      this.ret = relax(this.ret, this.indoor + 1.5, dt, 1800);
    }

    if (this.running && !defrosting) {
      // Ice forms fastest just above freezing, where the air holds the most water that can freeze.
      const humidity = Math.max(0, 1 - Math.abs(this.outdoor - 1.5) / 9);
      this.frost += (humidity * (0.5 + this.output / maxHeat) * dt) / 2700;
      if (this.frost >= 1) this.startDefrost('frost');
      const hot = this.flow > 45 ? 3 : 1;
      if (this.faultNow(dt, 2.4 * hot)) this.highPressureFault();
    }
  }

  protected refresh(): void {
    const v = this.values;
    v[OUTDOOR] = this.outdoor + gaussian(this.rand) * 0.05;
    v[INDOOR] = this.indoor + gaussian(this.rand) * 0.05;
    v[FLOW] = this.flow + gaussian(this.rand) * 0.1;
    v[RETURN] = this.ret + gaussian(this.rand) * 0.1;
    v[DEFROST] = this.now < this.defrostUntil ? 1 : 0;
    this.refreshOperating(this.maxHeat);
  }

  command(name: string, params: Record<string, string>): CommandOutcome {
    switch (name) {
      case 'set_room_temperature': {
        const error = this.applySetting('room_setpoint_c', params.celsius ?? '');
        if (error) return { kind: 'rejected', detail: error };
        return { kind: 'run', durationMs: 300, status: 'succeeded', detail: `room setpoint ${this.roomSet} °C` };
      }
      case 'set_eco_mode': {
        const error = this.applySetting('eco_mode', params.enabled ?? '');
        if (error) return { kind: 'rejected', detail: error };
        return { kind: 'run', durationMs: 200, status: 'succeeded', detail: `eco mode ${this.eco ? 'on' : 'off'}` };
      }
      case 'defrost':
        if (this.now < this.defrostUntil) return { kind: 'rejected', detail: 'defrost already running' };
        if (!this.running) return { kind: 'rejected', detail: 'compressor not running' };
        this.startDefrost('remote');
        return { kind: 'run', durationMs: 500, status: 'succeeded', detail: 'defrost started' };
      case 'reset_fault':
        if (!this.permanentLockout) return { kind: 'rejected', detail: 'no lockout to reset' };
        this.permanentLockout = false;
        this.faultTimes = [];
        this.emit('fault_reset', 'info', 'high-pressure lockout reset remotely');
        // A third of resets fail: the pressure switch has not cooled down yet.
        return this.rand() < 0.33
          ? { kind: 'run', durationMs: 2000, status: 'failed', detail: 'pressure switch still open' }
          : { kind: 'run', durationMs: 2000, status: 'succeeded', detail: 'lockout cleared' };
      default:
        return { kind: 'unknown' };
    }
  }

  override applySetting(key: string, value: string, apply = true): string | undefined {
    switch (key) {
      case 'room_setpoint_c': {
        const n = parseNumberIn(value, key, 15, 25);
        if (typeof n === 'string') return n;
        if (apply) this.roomSet = n;
        return undefined;
      }
      case 'eco_mode': {
        const b = parseBool(value, key);
        if (typeof b === 'string') return b;
        if (apply) this.eco = b;
        return undefined;
      }
      default:
        return super.applySetting(key, value, apply);
    }
  }

  override trigger(scenario: string): boolean {
    if (scenario === 'high_pressure') {
      this.highPressureFault();
      return true;
    }
    return false;
  }

  private outdoorTemp(): number {
    return this.climateMeanC + 4 * Math.sin((2 * Math.PI * (this.hourOfDay() - 9)) / 24) + this.weather;
  }

  private refreshOperating(maxHeat: number): void {
    const v = this.values;
    const defrosting = this.now < this.defrostUntil;
    v[HEAT] = this.output;
    if (defrosting) {
      v[POWER] = 1400 + 45;
      v[COP] = Number.NaN;
      v[FREQ] = 70;
    } else if (this.running) {
      const lift = Math.max(5, this.flow - this.outdoor + 8);
      const partLoad = this.output <= MIN_HEAT_W ? 0.93 : 1;
      const cop = clamp(((this.eta * (1 - 0.3 * this.degradation) * (this.flow + 273.15)) / lift) * partLoad, 1.3, 6.5);
      v[COP] = cop;
      v[POWER] = this.output / cop + 45 + gaussian(this.rand) * 5;
      v[FREQ] = 25 + (85 * (this.output - MIN_HEAT_W)) / Math.max(1, maxHeat - MIN_HEAT_W);
    } else {
      v[COP] = Number.NaN; // no lift, no COP: reporting 0 would drag fleet averages down
      v[POWER] = 12;
      v[FREQ] = 0;
    }
  }

  private startDefrost(reason: string): void {
    this.defrostStartedAt = this.now;
    this.defrostUntil = this.now + this.defrostS * 1000;
    this.frost = 0;
    this.emit('defrost_start', 'info', 'defrost started', { reason, outdoor_temp_c: this.outdoor.toFixed(1) });
  }

  private endDefrost(): void {
    const seconds = Math.round((this.defrostUntil - this.defrostStartedAt) / 1000);
    this.defrostUntil = 0;
    this.emit('defrost_end', 'info', 'defrost finished', { duration_s: String(seconds) });
  }

  private highPressureFault(): void {
    const dayAgo = this.now - 86_400_000;
    this.faultTimes = this.faultTimes.filter((t) => t > dayAgo);
    this.faultTimes.push(this.now);
    this.running = false;
    this.lockoutUntil = this.now + 10 * 60_000;
    this.emit('HP01', 'error', 'high pressure: compressor stopped for 10 min', { flow_temp_c: this.flow.toFixed(1) });
    if (this.faultTimes.length >= 3) {
      this.permanentLockout = true;
      this.emit('HP02', 'critical', 'repeated high pressure: locked out, service or remote reset required', {
        faults_24h: String(this.faultTimes.length),
      });
    }
  }
}

/** The H3 air-to-water heat pump. */
export const heatpumpH3: ApplianceModel = {
  name: 'heatpump-h3',
  metrics: METRICS,
  firmwares: ['3.0.2', '3.1.0', '3.2.1'],
  create: (options) => new HeatpumpH3(options),
};

/** Index of each heat-pump metric in `values`. */
export const HEATPUMP_METRIC = { OUTDOOR, INDOOR, FLOW, RETURN, HEAT, POWER, COP, FREQ, DEFROST } as const;
