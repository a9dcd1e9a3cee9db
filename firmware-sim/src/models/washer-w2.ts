import { gaussian, type Random } from '../prng.js';
import { clamp, parseNumberIn, relax, SteppedSim } from './sim-base.js';
import type { ApplianceModel, CommandOutcome, MetricSpec, ModelOptions } from './types.js';

const METRICS = [
  { name: 'drum.rpm', decimals: 0 },
  { name: 'water.temp_c', decimals: 1 },
  { name: 'power_w', decimals: 1 },
  { name: 'water.flow_lpm', decimals: 1 },
  { name: 'cycle.phase', decimals: 0 },
  { name: 'cycle.remaining_min', decimals: 0 },
] as const satisfies readonly MetricSpec[];

const RPM = 0, WATER_TEMP = 1, POWER = 2, FLOW = 3, PHASE = 4, REMAINING = 5;

/** Phase codes as reported in `cycle.phase`. */
export const WASHER_PHASE = { idle: 0, fill: 1, heat: 2, wash: 3, drain: 4, rinse: 5, spin: 6 } as const;
type Phase = keyof typeof WASHER_PHASE;

interface Program {
  tempC: number;
  washMin: number;
  spinRpm: number;
  rinses: number;
}

const PROGRAMS: Record<string, Program> = {
  cotton_40: { tempC: 40, washMin: 60, spinRpm: 1200, rinses: 2 },
  cotton_60: { tempC: 60, washMin: 75, spinRpm: 1400, rinses: 2 },
  eco_40_60: { tempC: 38, washMin: 120, spinRpm: 1200, rinses: 2 },
  quick_30: { tempC: 30, washMin: 12, spinRpm: 800, rinses: 1 },
  delicates_30: { tempC: 30, washMin: 35, spinRpm: 600, rinses: 2 },
  drum_clean_90: { tempC: 90, washMin: 40, spinRpm: 400, rinses: 1 },
};
/** How often each program is chosen for a spontaneous cycle (drum clean only on request). */
const PROGRAM_WEIGHTS: Array<[string, number]> = [['cotton_40', 0.4], ['eco_40_60', 0.25], ['cotton_60', 0.12], ['quick_30', 0.15], ['delicates_30', 0.08]];

/** Cycles started per hour by local hour: mornings and evenings; roughly one a day in total. */
function startsPerHour(hour: number): number {
  if (hour < 7) return 0;
  if (hour < 10) return 0.12;
  if (hour < 17) return 0.04;
  if (hour < 21.5) return 0.1;
  return 0.01;
}

/** E21 (unbalanced load) chance per spin; firmware 2.0.1 has a twitchy balance detector (fixed in 2.1). */
function unbalanceChance(firmware: string): number {
  return firmware === '2.0.1' ? 0.15 : 0.06;
}

const DRUM_LITRES = 12;
const WATER_J_PER_K = DRUM_LITRES * 4186;

/**
 * A front-loading washer. A cycle walks fill → heat → wash → drain → (fill, rinse, drain)×n → spin;
 * water temperature follows the heater (slower with limescale, i.e. wear), power follows heater,
 * motor and pump, and every cycle ends with a `cycle_complete` event carrying its energy.
 */
class WasherW2 extends SteppedSim {
  private phase: Phase = 'idle';
  private phaseElapsed = 0;
  private phaseLength = 0;
  private program: Program | undefined;
  private programName = '';
  private rinsesLeft = 0;
  private rinseFilling = false;
  private waterTemp = 20;
  private litres = 0;
  private flow = 0;
  private rpm = 0;
  private power = 1;
  private spinTarget = 0;
  private cycleStartedAt = 0;
  private cycleEnergyJ = 0;
  private stopping = false;
  private maxSpinRpm = 1400;
  private defaultProgram = 'cotton_40';
  private readonly inletTemp: number;

  constructor(options: ModelOptions) {
    super(METRICS.length, options);
    this.inletTemp = 11 + options.rand() * 5;
  }

  protected init(): void {
    this.waterTemp = 19 + this.rand() * 3;
  }

  protected step(dt: number): void {
    const ambient = 20;
    if (this.phase === 'idle') {
      this.rpm = 0;
      this.flow = 0;
      this.power = 0.9;
      this.waterTemp = relax(this.waterTemp, ambient, dt, 1800);
      if (this.chance(startsPerHour(this.hourOfDay()), dt)) this.startCycle(weightedPick(this.rand, PROGRAM_WEIGHTS), 'user');
      return;
    }
    const program = this.program!;
    this.phaseElapsed += dt;
    // Spontaneous faults happen while running only; the weight converts "per day" to "per running
    // hour" for a machine that runs about 1.5 h a day.
    if (this.faultNow(dt, 16) && this.fault()) return;
    switch (this.phase) {
      case 'fill': {
        this.flow = 10 + gaussian(this.rand) * 0.3;
        this.litres += (this.flow * dt) / 60;
        this.waterTemp = relax(this.waterTemp, this.inletTemp, dt, 20);
        this.rpm = 0;
        this.power = 8;
        if (this.litres >= DRUM_LITRES) this.next(this.rinseFilling ? 'rinse' : program.tempC > this.waterTemp + 2 ? 'heat' : 'wash');
        break;
      }
      case 'heat': {
        this.flow = 0;
        this.tumble();
        const heaterW = 2050 * (1 - 0.35 * this.degradation);
        this.waterTemp += (heaterW * dt) / WATER_J_PER_K;
        this.power = heaterW + 60 + gaussian(this.rand) * 5;
        if (this.waterTemp >= program.tempC) this.next('wash');
        break;
      }
      case 'wash':
      case 'rinse':
        this.flow = 0;
        this.tumble();
        this.power = 120 + (this.rpm > 0 ? 50 : 0) + gaussian(this.rand) * 4;
        this.waterTemp = relax(this.waterTemp, ambient, dt, 10_800);
        if (this.phaseElapsed >= this.phaseLength) this.next('drain');
        break;
      case 'drain':
        this.flow = 0;
        this.rpm = 0;
        this.power = 35 + gaussian(this.rand);
        this.litres = Math.max(0, DRUM_LITRES * (1 - this.phaseElapsed / this.phaseLength));
        if (this.phaseElapsed >= this.phaseLength) {
          if (this.stopping) {
            this.stopping = false;
            this.next('idle');
          } else if (this.rinsesLeft > 0) {
            this.rinsesLeft--;
            this.rinseFilling = true;
            this.next('fill');
          } else this.next('spin');
        }
        break;
      case 'spin': {
        // 90 s ramp, hold, 30 s run-down.
        const hold = this.phaseLength - 120;
        const t = this.phaseElapsed;
        this.rpm = t < 90 ? (this.spinTarget * t) / 90 : t < 90 + hold ? this.spinTarget : this.spinTarget * clamp((this.phaseLength - t) / 30, 0, 1);
        this.rpm = Math.max(0, this.rpm + gaussian(this.rand) * 3);
        this.power = 60 + 0.32 * this.rpm + (t < 90 ? 80 : 0);
        this.waterTemp = relax(this.waterTemp, ambient, dt, 1800);
        if (t >= this.phaseLength) this.complete();
        break;
      }
    }
    this.cycleEnergyJ += this.power * dt;
  }

  protected refresh(): void {
    const v = this.values;
    v[RPM] = this.rpm;
    v[WATER_TEMP] = this.waterTemp + gaussian(this.rand) * 0.05;
    v[POWER] = this.power;
    v[FLOW] = this.flow;
    v[PHASE] = WASHER_PHASE[this.phase];
    v[REMAINING] = this.remainingMinutes();
  }

  command(name: string, params: Record<string, string>): CommandOutcome {
    switch (name) {
      case 'start_cycle':
      case 'drum_clean': {
        const programName = name === 'drum_clean' ? 'drum_clean_90' : params.program ?? this.defaultProgram;
        if (!PROGRAMS[programName]) return { kind: 'rejected', detail: `unknown program ${programName}` };
        if (this.phase !== 'idle') return { kind: 'rejected', detail: 'a cycle is already running' };
        this.startCycle(programName, 'remote');
        return { kind: 'run', durationMs: 300, status: 'succeeded', detail: `started ${programName}` };
      }
      case 'stop':
        if (this.phase === 'idle') return { kind: 'rejected', detail: 'no cycle running' };
        this.emit('cycle_aborted', 'info', 'cycle stopped remotely', { program: this.programName, phase: this.phase });
        this.stopping = true;
        this.next('drain');
        return { kind: 'run', durationMs: 1000, status: 'succeeded', detail: 'stopping, draining' };
      default:
        return { kind: 'unknown' };
    }
  }

  override applySetting(key: string, value: string, apply = true): string | undefined {
    switch (key) {
      case 'max_spin_rpm': {
        const n = parseNumberIn(value, key, 400, 1400);
        if (typeof n === 'string') return n;
        if (apply) this.maxSpinRpm = n;
        return undefined;
      }
      case 'default_program':
        if (!PROGRAMS[value]) return `unknown program ${value}`;
        if (apply) this.defaultProgram = value;
        return undefined;
      default:
        return super.applySetting(key, value, apply);
    }
  }

  override trigger(scenario: string): boolean {
    if (scenario !== 'start_cycle' || this.phase !== 'idle') return false;
    this.startCycle(this.defaultProgram, 'user');
    return true;
  }

  private startCycle(programName: string, source: string): void {
    this.program = PROGRAMS[programName]!;
    this.programName = programName;
    this.rinsesLeft = this.program.rinses;
    this.rinseFilling = false;
    this.stopping = false;
    this.litres = 0;
    this.cycleStartedAt = this.now;
    this.cycleEnergyJ = 0;
    this.emit('cycle_start', 'info', `cycle ${programName} started`, { program: programName, source });
    this.enter('fill', 600);
  }

  /** Moves to `phase`, with the phase's nominal length in seconds. */
  private next(phase: Phase): void {
    const program = this.program!;
    switch (phase) {
      case 'fill':
        this.litres = 0;
        return this.enter('fill', 600);
      case 'heat':
        this.rinseFilling = false;
        return this.enter('heat', 3600);
      case 'wash':
        this.rinseFilling = false;
        return this.enter('wash', program.washMin * 60 * (0.95 + this.rand() * 0.1));
      case 'rinse':
        this.rinseFilling = false;
        return this.enter('rinse', 240);
      case 'drain':
        return this.enter('drain', 60);
      case 'spin': {
        this.spinTarget = Math.min(program.spinRpm, this.maxSpinRpm);
        if (this.rand() < unbalanceChance(this.firmware)) {
          this.spinTarget = Math.min(this.spinTarget, 400);
          this.emit('E21', 'warning', 'unbalanced load: spin limited to 400 rpm', { program: this.programName });
        }
        return this.enter('spin', 360);
      }
      case 'idle':
        return this.enter('idle', 0);
    }
  }

  private enter(phase: Phase, lengthS: number): void {
    this.phase = phase;
    this.phaseElapsed = 0;
    this.phaseLength = lengthS;
  }

  private complete(): void {
    const minutes = Math.round((this.now - this.cycleStartedAt) / 60_000);
    this.emit('cycle_complete', 'info', `cycle ${this.programName} complete`, {
      program: this.programName,
      duration_min: String(minutes),
      energy_kwh: (this.cycleEnergyJ / 3.6e6).toFixed(3),
    });
    this.next('idle');
  }

  /** Starts a spontaneous fault fitting the phase; returns true if it aborted the cycle. */
  private fault(): boolean {
    const attrs = { program: this.programName, phase: this.phase };
    if (this.phase === 'fill') this.emit('E11', 'error', 'water inlet: fill timeout', attrs);
    else if (this.phase === 'heat') this.emit('E51', 'error', 'heater fault: water temperature not rising', attrs);
    else if (this.phase === 'drain') this.emit('E31', 'error', 'drain pump blocked', attrs);
    else return false;
    this.enter('idle', 0);
    this.rpm = 0;
    this.flow = 0;
    this.power = 0.9;
    return true;
  }

  private tumble(): void {
    // 12 s turning, 3 s pause: the drum alternates direction.
    const inCycle = this.phaseElapsed % 15;
    this.rpm = inCycle < 12 ? 48 + gaussian(this.rand) * 2 : 0;
  }

  private remainingMinutes(): number {
    if (this.phase === 'idle' || !this.program) return 0;
    const p = this.program;
    const left = Math.max(0, this.phaseLength - this.phaseElapsed);
    const rinse = 60 + 240 + 60;
    switch (this.phase) {
      case 'fill':
      case 'heat':
        return (left + (this.rinseFilling ? 240 + 60 : p.washMin * 60 + 60) + this.rinsesLeft * rinse + 360) / 60;
      case 'wash':
        return (left + 60 + this.rinsesLeft * rinse + 360) / 60;
      case 'rinse':
        return (left + 60 + this.rinsesLeft * rinse + 360) / 60;
      case 'drain':
        return (left + this.rinsesLeft * rinse + 360) / 60;
      case 'spin':
        return left / 60;
    }
  }
}

function weightedPick(rand: Random, items: Array<[string, number]>): string {
  let r = rand() * items.reduce((sum, [, w]) => sum + w, 0);
  for (const [name, w] of items) {
    r -= w;
    if (r <= 0) return name;
  }
  return items[0]![0];
}

/** The W2 washing machine. */
export const washerW2: ApplianceModel = {
  name: 'washer-w2',
  metrics: METRICS,
  firmwares: ['2.0.1', '2.1.3', '2.2.0'],
  create: (options) => new WasherW2(options),
};

/** Index of each washer metric in `values`. */
export const WASHER_METRIC = { RPM, WATER_TEMP, POWER, FLOW, PHASE, REMAINING } as const;

/** Program names the W2 accepts in `start_cycle`. */
export const WASHER_PROGRAMS: readonly string[] = Object.keys(PROGRAMS);
