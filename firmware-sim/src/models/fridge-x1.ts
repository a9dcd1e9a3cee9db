import { gaussian } from '../prng.js';
import { clamp, ou, parseBool, parseNumberIn, relax, SteppedSim } from './sim-base.js';
import type { ApplianceModel, CommandOutcome, MetricSpec, ModelOptions } from './types.js';

const METRICS = [
  { name: 'cabinet.temp_c', decimals: 1 },
  { name: 'freezer.temp_c', decimals: 1 },
  { name: 'ambient.temp_c', decimals: 1 },
  { name: 'compressor.power_w', decimals: 1 },
  { name: 'compressor.duty_cycle', decimals: 3 },
  { name: 'power_w', decimals: 1 },
  { name: 'door.open', decimals: 0 },
  { name: 'defrost.active', decimals: 0 },
] as const satisfies readonly MetricSpec[];

const CABINET = 0, FREEZER = 1, AMBIENT = 2, COMP_POWER = 3, DUTY = 4, POWER = 5, DOOR = 6, DEFROST = 7;

/**
 * Defrost schedule by firmware. 1.4.2 defrosts early and long (a "known issue" fixed in 1.5.0), so
 * energy per firmware differs in fleet analytics the way it does in real fleets.
 */
const DEFROST_BY_FIRMWARE: Record<string, { everyRunS: number; durationS: number }> = {
  '1.4.2': { everyRunS: 4 * 3600, durationS: 30 * 60 },
  '1.5.0': { everyRunS: 6 * 3600, durationS: 20 * 60 },
  '1.6.1': { everyRunS: 8 * 3600, durationS: 18 * 60 },
};

/** Door openings per hour by local hour: busy at breakfast and dinner, almost none at night. */
function doorRatePerHour(hour: number): number {
  if (hour < 6.5) return 0.1;
  if (hour < 9) return 5;
  if (hour < 17) return 2;
  if (hour < 21) return 6;
  return 1;
}

/**
 * A fridge-freezer with one compressor. Cabinet and freezer are first-order thermal nodes leaking
 * heat from the room; a hysteresis thermostat runs the compressor, so the duty cycle follows the room
 * temperature, rises after door openings (warm air in) and with wear (lost cooling capacity).
 * Defrost runs after a firmware-specific amount of compressor run time.
 */
class FridgeX1 extends SteppedSim {
  private ambientNoise = 0;
  private cabinet = 4;
  private freezer = -18;
  private cabinetSet = 4;
  private freezerSet = -18;
  private eco = false;
  private compressorOn = false;
  private compressorSince = 0;
  private lockoutUntil = 0;
  private duty = 0.35;
  private doorOpenedAt = 0;
  private doorOpenUntil = 0;
  private doorAlarmSent = false;
  private runSinceDefrostS = 0;
  private defrostUntil = 0;
  private defrostStartedAt = 0;
  private sensorFaultUntil = 0;
  private warmAlarm = false;
  private readonly defrost: { everyRunS: number; durationS: number };

  constructor(options: ModelOptions) {
    super(METRICS.length, options);
    this.defrost = DEFROST_BY_FIRMWARE[options.firmware] ?? { everyRunS: 6 * 3600, durationS: 20 * 60 };
  }

  protected init(): void {
    this.cabinet = this.cabinetSet + gaussian(this.rand) * 0.5;
    this.freezer = this.freezerSet + gaussian(this.rand) * 0.8;
    this.ambientNoise = gaussian(this.rand) * 0.5;
    // Start somewhere in the defrost interval, or a whole fleet would defrost in the same minute.
    this.runSinceDefrostS = this.rand() * this.defrost.everyRunS;
  }

  protected step(dt: number): void {
    const now = this.now;
    const hour = this.hourOfDay();
    this.ambientNoise = ou(this.ambientNoise, dt, 3600, 0.5, this.rand);
    const ambient = 21 + 1.5 * Math.sin((2 * Math.PI * (hour - 10)) / 24) + this.ambientNoise;
    this.values[AMBIENT] = ambient;

    this.stepDoor(dt, hour);
    const doorOpen = now < this.doorOpenUntil;
    const defrosting = now < this.defrostUntil;
    if (this.defrostUntil > 0 && !defrosting) this.endDefrost();

    // Thermostat with hysteresis; eco mode widens it (fewer, longer cycles).
    const hyst = this.eco ? 1.5 : 1;
    if (defrosting || now < this.lockoutUntil) {
      this.compressorOn = false;
    } else if (this.compressorOn) {
      if (this.cabinet < this.cabinetSet - hyst && this.freezer < this.freezerSet - hyst) this.compressorOn = false;
    } else if (this.cabinet > this.cabinetSet + hyst || this.freezer > this.freezerSet + hyst) {
      this.compressorOn = true;
      this.compressorSince = now;
    }

    // Heat balance (°C/s). Cooling is proportional to the difference to the evaporator (≈ −4 °C in the
    // cabinet, ≈ −30 °C in the freezer): the cabinet recovers from a door opening in minutes, and a
    // freezer that rides along on the cabinet's demand cannot fall far below its setpoint.
    const capacity = 1 - 0.45 * this.degradation;
    const cabinetLeak = (ambient - this.cabinet) / 28_800 + (doorOpen ? (ambient - this.cabinet) / 600 : 0);
    const cabinetCool = this.compressorOn ? capacity * (6 / 3600) * clamp((this.cabinet + 4) / 8, 0, 3) : 0;
    const freezerLeak = (ambient - this.freezer) / 43_200 + (doorOpen ? (ambient - this.freezer) / 7200 : 0);
    const freezerCool = this.compressorOn ? capacity * (8 / 3600) * clamp((this.freezer + 30) / 12, 0, 2) : 0;
    const heater = defrosting ? 12 / 3600 : 0;
    this.cabinet += (cabinetLeak - cabinetCool) * dt;
    this.freezer += (freezerLeak - freezerCool + heater) * dt;

    this.duty = relax(this.duty, this.compressorOn ? 1 : 0, dt, 1800);
    if (this.compressorOn) {
      this.runSinceDefrostS += dt;
      if (this.runSinceDefrostS >= this.defrost.everyRunS) this.startDefrost('schedule');
    }

    this.stepAlarms();
    if (this.faultNow(dt)) this.startFault();

    const compressorPower = this.compressorOn
      ? 82 * (1 + 0.012 * (ambient - 21)) * (1 + 0.15 * this.degradation) +
        (now - this.compressorSince < 8000 ? 120 : 0) +
        gaussian(this.rand) * 1.5
      : 0;
    this.values[COMP_POWER] = compressorPower;
    this.values[POWER] = compressorPower + (defrosting ? 180 : 0) + (doorOpen ? 2.5 : 0) + 1.2;
  }

  protected refresh(): void {
    const v = this.values;
    // A failed sensor reports nothing rather than garbage, as the X1 firmware does.
    v[CABINET] = this.now < this.sensorFaultUntil ? Number.NaN : this.cabinet + gaussian(this.rand) * 0.05;
    v[FREEZER] = this.freezer + gaussian(this.rand) * 0.05;
    v[DUTY] = this.duty;
    v[DOOR] = this.now < this.doorOpenUntil ? 1 : 0;
    v[DEFROST] = this.now < this.defrostUntil ? 1 : 0;
    if (!this.compressorOn && v[COMP_POWER] !== 0) v[COMP_POWER] = 0;
  }

  command(name: string, params: Record<string, string>): CommandOutcome {
    switch (name) {
      case 'defrost':
        if (this.now < this.defrostUntil) return { kind: 'rejected', detail: 'defrost already running' };
        this.startDefrost('remote');
        return { kind: 'run', durationMs: 500, status: 'succeeded', detail: 'defrost started' };
      case 'set_temperature': {
        if (params.cabinet_c === undefined && params.freezer_c === undefined) {
          return { kind: 'rejected', detail: 'give cabinet_c and/or freezer_c' };
        }
        const changes: Array<[string, string]> = [];
        if (params.cabinet_c !== undefined) changes.push(['cabinet_setpoint_c', params.cabinet_c]);
        if (params.freezer_c !== undefined) changes.push(['freezer_setpoint_c', params.freezer_c]);
        const errors = changes.map(([k, v]) => this.applySetting(k, v, false)).filter((e) => e !== undefined);
        if (errors.length > 0) return { kind: 'rejected', detail: errors.join('; ') };
        for (const [k, v] of changes) this.applySetting(k, v);
        return { kind: 'run', durationMs: 300, status: 'succeeded', detail: `setpoints ${this.cabinetSet} / ${this.freezerSet} °C` };
      }
      case 'set_eco_mode': {
        const error = this.applySetting('eco_mode', params.enabled ?? '');
        if (error) return { kind: 'rejected', detail: error };
        return { kind: 'run', durationMs: 200, status: 'succeeded', detail: `eco mode ${this.eco ? 'on' : 'off'}` };
      }
      default:
        return { kind: 'unknown' };
    }
  }

  override applySetting(key: string, value: string, apply = true): string | undefined {
    switch (key) {
      case 'cabinet_setpoint_c': {
        const n = parseNumberIn(value, key, 1, 8);
        if (typeof n === 'string') return n;
        if (apply) this.cabinetSet = n;
        return undefined;
      }
      case 'freezer_setpoint_c': {
        const n = parseNumberIn(value, key, -24, -14);
        if (typeof n === 'string') return n;
        if (apply) this.freezerSet = n;
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

  override trigger(scenario: string, durationMs = 60_000): boolean {
    if (scenario !== 'door_open') return false;
    this.openDoor(durationMs);
    return true;
  }

  private stepDoor(dt: number, hour: number): void {
    const now = this.now;
    if (this.doorOpenUntil > 0 && now >= this.doorOpenUntil) {
      const seconds = Math.round((this.doorOpenUntil - this.doorOpenedAt) / 1000);
      this.emit('door_open', 'info', `door was open for ${seconds} s`, { duration_s: String(seconds) });
      this.doorOpenUntil = 0;
    }
    if (this.doorOpenUntil === 0 && this.chance(doorRatePerHour(hour), dt)) {
      // Log-normal durations: mostly 5–30 s, with the occasional door left ajar for minutes.
      const seconds = this.rand() < 0.02 ? 90 + this.rand() * 240 : Math.exp(2.4 + 0.6 * gaussian(this.rand));
      this.openDoor(seconds * 1000);
    }
    if (now < this.doorOpenUntil && !this.doorAlarmSent && now - this.doorOpenedAt > 60_000) {
      this.doorAlarmSent = true;
      this.emit('door_left_open', 'warning', 'door open for more than 60 s');
    }
  }

  private openDoor(durationMs: number): void {
    this.doorOpenedAt = this.now;
    this.doorOpenUntil = this.now + Math.max(1000, durationMs);
    this.doorAlarmSent = false;
  }

  private startDefrost(reason: string): void {
    this.defrostStartedAt = this.now;
    this.defrostUntil = this.now + this.defrost.durationS * 1000;
    this.compressorOn = false;
    this.emit('defrost_start', 'info', 'defrost cycle started', { reason });
  }

  private endDefrost(): void {
    const minutes = Math.round((this.defrostUntil - this.defrostStartedAt) / 60_000);
    this.defrostUntil = 0;
    this.runSinceDefrostS = 0;
    this.emit('defrost_end', 'info', 'defrost cycle finished', {
      duration_min: String(minutes),
      freezer_temp_c: this.freezer.toFixed(1),
    });
  }

  private stepAlarms(): void {
    if (!this.warmAlarm && this.cabinet > 10) {
      this.warmAlarm = true;
      this.emit('cabinet_warm', 'warning', 'cabinet above 10 °C', { temp_c: this.cabinet.toFixed(1) });
    } else if (this.warmAlarm && this.cabinet < 7) {
      this.warmAlarm = false;
    }
  }

  private startFault(): void {
    if (this.rand() < 0.5) {
      this.sensorFaultUntil = this.now + 10 * 60_000;
      this.emit('E01', 'error', 'cabinet temperature sensor out of range', { sensor: 'cabinet' });
    } else {
      this.lockoutUntil = this.now + 15 * 60_000;
      this.emit('E05', 'error', 'compressor thermal protection tripped', { lockout_min: '15' });
    }
  }
}

/** The X1 fridge-freezer. */
export const fridgeX1: ApplianceModel = {
  name: 'fridge-x1',
  metrics: METRICS,
  firmwares: ['1.4.2', '1.5.0', '1.6.1'],
  create: (options) => new FridgeX1(options),
};

/** Index of each fridge metric in `values` (for tests and scenario tooling). */
export const FRIDGE_METRIC = { CABINET, FREEZER, AMBIENT, COMP_POWER, DUTY, POWER, DOOR, DEFROST } as const;
