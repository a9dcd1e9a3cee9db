import type { DeviceEvent } from '@parley/proto';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../prng.js';
import { FRIDGE_METRIC } from './fridge-x1.js';
import { HEATPUMP_METRIC } from './heatpump-h3.js';
import { getModel, isValidMetricName, MODELS } from './index.js';
import type { ApplianceModel, ModelOptions } from './types.js';
import { WASHER_METRIC } from './washer-w2.js';

const START = Date.UTC(2025, 0, 15, 0, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Trace {
  times: number[];
  rows: Float64Array[];
  events: DeviceEvent[];
}

/** Runs a model from START for `hours`, reading every `stepMs`. */
function simulate(model: ApplianceModel, seed: string, hours: number, stepMs = 10_000, extra: Partial<ModelOptions> = {}): Trace {
  const sim = model.create({ rand: createRandom(seed), firmware: model.firmwares[1]!, ...extra });
  const trace: Trace = { times: [], rows: [], events: [] };
  for (let t = START; t <= START + hours * HOUR; t += stepMs) {
    sim.advance(t);
    trace.times.push(t);
    trace.rows.push(Float64Array.from(sim.values));
    sim.drainEvents(trace.events);
  }
  return trace;
}

function column(trace: Trace, index: number): number[] {
  return trace.rows.map((r) => r[index]!);
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function correlation(xs: number[], ys: number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('appliance models', () => {
  it('name every metric in lower_snake_case (dots allowed, at most 64 characters)', () => {
    expect(MODELS.size).toBeGreaterThanOrEqual(3);
    for (const model of MODELS.values()) {
      expect(model.firmwares.length).toBeGreaterThan(0);
      for (const metric of model.metrics) expect(isValidMetricName(metric.name), metric.name).toBe(true);
    }
    expect(isValidMetricName('compressor.power_w')).toBe(true);
    expect(isValidMetricName('Compressor.Power')).toBe(false);
    expect(isValidMetricName('a..b')).toBe(false);
    expect(isValidMetricName('x'.repeat(65))).toBe(false);
  });

  it('rejects an unknown model name with the list of known ones', () => {
    expect(() => getModel('toaster-t9')).toThrow(/fridge-x1/);
  });

  for (const model of MODELS.values()) {
    it(`${model.name} is deterministic for a seed and differs across seeds`, () => {
      const a = simulate(model, 'seed-1', 24, 30_000);
      const b = simulate(model, 'seed-1', 24, 30_000);
      const c = simulate(model, 'seed-2', 24, 30_000);
      expect(b.rows).toEqual(a.rows);
      expect(b.events).toEqual(a.events);
      expect(c.rows).not.toEqual(a.rows);
    });
  }

  it('fridge-x1 stays within plausible ranges and defrosts', () => {
    const trace = simulate(getModel('fridge-x1'), 'fridge-range', 72);
    const cabinet = column(trace, FRIDGE_METRIC.CABINET).filter((v) => !Number.isNaN(v));
    const freezer = column(trace, FRIDGE_METRIC.FREEZER);
    const compressor = column(trace, FRIDGE_METRIC.COMP_POWER);
    const duty = column(trace, FRIDGE_METRIC.DUTY);
    expect(Math.min(...cabinet)).toBeGreaterThan(-1);
    expect(Math.max(...cabinet)).toBeLessThan(16);
    expect(mean(cabinet)).toBeGreaterThan(2.5);
    expect(mean(cabinet)).toBeLessThan(6.5);
    expect(Math.min(...freezer)).toBeGreaterThan(-26);
    expect(Math.max(...freezer)).toBeLessThan(-5);
    expect(compressor.every((w) => w === 0 || (w > 50 && w < 260))).toBe(true);
    expect(duty.every((d) => d >= 0 && d <= 1)).toBe(true);
    expect(mean(duty)).toBeGreaterThan(0.2);
    expect(mean(duty)).toBeLessThan(0.8);
    const codes = new Set(trace.events.map((e) => e.code));
    expect(codes).toContain('door_open');
    expect(codes).toContain('defrost_start');
    expect(codes).toContain('defrost_end');
  });

  it('fridge-x1 compressor duty cycle rises after the door was left open', () => {
    let higher = 0;
    const seeds = 12;
    for (let s = 0; s < seeds; s++) {
      const duty = (open: boolean): number => {
        const sim = getModel('fridge-x1').create({ rand: createRandom(`door-${s}`), firmware: '1.6.1', faultsPerDay: 0 });
        for (let t = START; t <= START + 2 * HOUR; t += 5_000) sim.advance(t);
        if (open) sim.trigger('door_open', 3 * MINUTE);
        for (let t = START + 2 * HOUR; t <= START + 2 * HOUR + 30 * MINUTE; t += 5_000) sim.advance(t);
        return sim.values[FRIDGE_METRIC.DUTY]!;
      };
      if (duty(true) > duty(false) + 0.03) higher++;
    }
    expect(higher).toBeGreaterThanOrEqual(seeds - 1);
  });

  it('fridge-x1 runs its compressor more when worn', () => {
    const fresh = simulate(getModel('fridge-x1'), 'wear', 48, 10_000, { faultsPerDay: 0, degradation: 0 });
    const worn = simulate(getModel('fridge-x1'), 'wear', 48, 10_000, { faultsPerDay: 0, degradation: 0.8 });
    expect(mean(column(worn, FRIDGE_METRIC.DUTY))).toBeGreaterThan(mean(column(fresh, FRIDGE_METRIC.DUTY)) + 0.1);
  });

  it('washer-w2 runs realistic cycles that end with cycle_complete', () => {
    const trace = simulate(getModel('washer-w2'), 'washer', 24 * 7, 5_000, { faultsPerDay: 0 });
    const starts = trace.events.filter((e) => e.code === 'cycle_start');
    const completes = trace.events.filter((e) => e.code === 'cycle_complete');
    expect(starts.length).toBeGreaterThanOrEqual(3);
    expect(completes.length).toBeGreaterThanOrEqual(starts.length - 1);
    for (const done of completes) {
      const minutes = Number(done.attributes.duration_min);
      const kwh = Number(done.attributes.energy_kwh);
      expect(minutes).toBeGreaterThan(20);
      expect(minutes).toBeLessThan(240);
      expect(kwh).toBeGreaterThan(0.1);
      expect(kwh).toBeLessThan(3);
    }
    const rpm = column(trace, WASHER_METRIC.RPM);
    const water = column(trace, WASHER_METRIC.WATER_TEMP);
    const power = column(trace, WASHER_METRIC.POWER);
    expect(Math.max(...rpm)).toBeGreaterThan(500);
    expect(Math.max(...rpm)).toBeLessThan(1450);
    expect(Math.min(...water)).toBeGreaterThan(5);
    expect(Math.max(...water)).toBeLessThan(95);
    expect(Math.max(...power)).toBeGreaterThan(1500);
    expect(Math.max(...power)).toBeLessThan(2500);
    // The heater runs only while the water is below the programme temperature.
    const heating = trace.rows.filter((r) => r[WASHER_METRIC.PHASE] === 2);
    expect(heating.length).toBeGreaterThan(0);
    expect(mean(heating.map((r) => r[WASHER_METRIC.POWER]!))).toBeGreaterThan(1500);
  });

  it('washer-w2 reports E21 on some spins, more often on firmware 2.0.1', () => {
    const count = (firmware: string): number => {
      let n = 0;
      for (let s = 0; s < 40; s++) {
        const sim = getModel('washer-w2').create({ rand: createRandom(`e21-${s}`), firmware, faultsPerDay: 0 });
        const events: DeviceEvent[] = [];
        sim.advance(START + 8 * HOUR);
        for (let c = 0; c < 5; c++) {
          sim.command('start_cycle', { program: 'quick_30' });
          for (let t = 0; t < 90; t++) sim.advance(START + 8 * HOUR + c * 2 * HOUR + (t + 1) * MINUTE);
          sim.drainEvents(events);
        }
        n += events.filter((e) => e.code === 'E21').length;
      }
      return n;
    };
    const twitchy = count('2.0.1');
    const fixed = count('2.2.0');
    expect(fixed).toBeGreaterThan(0);
    expect(twitchy).toBeGreaterThan(fixed);
  });

  it('heatpump-h3 power follows the daily outdoor-temperature cycle', () => {
    const trace = simulate(getModel('heatpump-h3'), 'hp', 24 * 7, 60_000, { faultsPerDay: 0, utcOffsetMinutes: 0 });
    // Hourly means: minute values are dominated by defrosts and on/off cycling at low load.
    const hourly = (index: number) => {
      const out: number[] = [];
      for (let i = 0; i + 60 <= trace.rows.length; i += 60) out.push(mean(trace.rows.slice(i, i + 60).map((r) => r[index]!)));
      return out;
    };
    expect(correlation(hourly(HEATPUMP_METRIC.OUTDOOR), hourly(HEATPUMP_METRIC.POWER))).toBeLessThan(-0.8);
    const at = (hour: number) =>
      mean(trace.rows.filter((_, i) => new Date(trace.times[i]!).getUTCHours() === hour).map((r) => r[HEATPUMP_METRIC.POWER]!));
    expect(at(4)).toBeGreaterThan(at(15));
    const cops = column(trace, HEATPUMP_METRIC.COP).filter((c) => !Number.isNaN(c));
    expect(cops.length).toBeGreaterThan(trace.rows.length / 3);
    expect(Math.min(...cops)).toBeGreaterThanOrEqual(1.3);
    expect(Math.max(...cops)).toBeLessThanOrEqual(6.5);
    const flow = column(trace, HEATPUMP_METRIC.FLOW);
    expect(Math.min(...flow)).toBeGreaterThan(10);
    expect(Math.max(...flow)).toBeLessThan(60);
  });

  it('heatpump-h3 loses COP with wear', () => {
    const copOf = (degradation: number) =>
      mean(column(simulate(getModel('heatpump-h3'), 'hp-wear', 48, 60_000, { faultsPerDay: 0, degradation }), HEATPUMP_METRIC.COP).filter((c) => !Number.isNaN(c)));
    expect(copOf(0.8)).toBeLessThan(copOf(0) * 0.85);
  });

  it('raises spontaneous faults at the configured rate and none at rate 0', () => {
    const faultCodes = new Set(['E01', 'E05', 'E11', 'E31', 'E51', 'HP01', 'HP02']);
    for (const model of MODELS.values()) {
      const quiet = simulate(model, `quiet-${model.name}`, 24 * 3, 30_000, { faultsPerDay: 0 });
      expect(quiet.events.filter((e) => faultCodes.has(e.code))).toEqual([]);
    }
    const noisy = simulate(getModel('fridge-x1'), 'noisy', 24 * 3, 30_000, { faultsPerDay: 10 });
    const faults = noisy.events.filter((e) => faultCodes.has(e.code));
    expect(faults.length).toBeGreaterThan(10);
    expect(faults.length).toBeLessThan(60);
    expect(faults.every((e) => e.severity === 'error')).toBe(true);
  });

  it('validates model commands and settings', () => {
    const sim = getModel('fridge-x1').create({ rand: createRandom(1), firmware: '1.5.0' });
    sim.advance(START);
    expect(sim.command('set_temperature', { cabinet_c: '40' })).toMatchObject({ kind: 'rejected' });
    expect(sim.command('set_temperature', { cabinet_c: '5' })).toMatchObject({ kind: 'run', status: 'succeeded' });
    expect(sim.command('defrost', {})).toMatchObject({ kind: 'run' });
    expect(sim.command('defrost', {})).toMatchObject({ kind: 'rejected' });
    expect(sim.command('fly', {})).toEqual({ kind: 'unknown' });
    expect(sim.applySetting('eco_mode', 'true')).toBeUndefined();
    expect(sim.applySetting('eco_mode', 'maybe')).toMatch(/true or false/);
    expect(sim.applySetting('colour', 'red')).toMatch(/unknown setting/);
  });
});
