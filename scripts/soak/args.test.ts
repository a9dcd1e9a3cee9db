import { describe, expect, it } from 'vitest';
import { parseSoakArgs } from './args';

describe('soak arguments', () => {
  it('keeps the embedded defaults: the platform killed twice, a third of the run apart', () => {
    expect(parseSoakArgs(['--minutes', '3'])).toEqual({ mode: 'embedded', minutes: 3, rate: 500, devices: 100, faults: ['platform'], killEverySeconds: 60, dataDir: undefined });
  });

  it('injects every cluster fault twice by default, in turn', () => {
    const o = parseSoakArgs(['--mode', 'cluster', '--minutes', '7']);
    expect(o.faults).toEqual(['kafka', 'broker', 'ingester']);
    expect(o.killEverySeconds).toBe(60);
  });

  it('takes a chosen subset of faults, or none', () => {
    expect(parseSoakArgs(['--mode', 'cluster', '--minutes', '5', '--faults', 'kafka,ingester']).faults).toEqual(['kafka', 'ingester']);
    expect(parseSoakArgs(['--mode', 'cluster', '--minutes', '5', '--faults', 'none'])).toMatchObject({ faults: [], killEverySeconds: 0 });
    expect(parseSoakArgs(['--minutes', '5', '--kill-every', '0'])).toMatchObject({ faults: [], killEverySeconds: 0 });
  });

  it('lists every problem at once, faults of the other mode included', () => {
    expect(() => parseSoakArgs(['--mode', 'embedded', '--faults', 'kafka', '--rate', 'fast'])).toThrow(
      /--minutes is required\n--rate fast is not a positive number\n--faults: kafka is not a fault of the embedded mode/,
    );
    expect(() => parseSoakArgs(['--mode', 'swarm', '--minutes', '1'])).toThrow(/--mode swarm is neither embedded nor cluster/);
  });
});
