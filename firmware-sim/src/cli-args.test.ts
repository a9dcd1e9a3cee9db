import { describe, expect, it } from 'vitest';
import { parseCliArgs, parseDuration } from './cli-args.js';

describe('simulator CLI arguments', () => {
  it('parses durations with units; a bare number is seconds', () => {
    expect(parseDuration('60s')).toBe(60_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('-90s')).toBe(-90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('20')).toBe(20_000);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('fills defaults', () => {
    const r = parseCliArgs(['--devices', 'creds.json']);
    expect(r).toEqual({
      kind: 'run',
      config: expect.objectContaining({ brokerUrl: 'mqtt://127.0.0.1:1884', devicesFile: 'creds.json', rate: 100, samples: 10, durationMs: undefined, skewMs: 0, count: undefined }),
    });
  });

  it('reads every flag', () => {
    const r = parseCliArgs(['--broker', 'mqtt://10.0.0.5:1884', '--devices', 'd.json', '--count', '200', '--rate', '25000', '--samples', '5', '--duration', '20s', '--skew=-5m', '--seed', 'x']);
    expect(r.kind === 'run' && r.config).toMatchObject({ brokerUrl: 'mqtt://10.0.0.5:1884', count: 200, rate: 25_000, samples: 5, durationMs: 20_000, skewMs: -300_000, seed: 'x' });
  });

  it('lists every problem at once', () => {
    const r = parseCliArgs(['--broker', 'http://x', '--rate=-3', '--samples', '0', '--duration', 'forever', '--count', '1.5']);
    expect(r.kind).toBe('error');
    const problems = r.kind === 'error' ? r.problems.join('\n') : '';
    for (const flag of ['--broker', '--devices', '--rate', '--samples', '--duration', '--count']) expect(problems).toContain(flag);
  });

  it('rejects unknown flags and answers --help', () => {
    expect(parseCliArgs(['--devices', 'a', '--turbo'])).toMatchObject({ kind: 'error' });
    expect(parseCliArgs(['--help'])).toMatchObject({ kind: 'help', text: expect.stringContaining('--devices') });
  });
});
