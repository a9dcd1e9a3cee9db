import { parseArgs } from 'node:util';

/** Options of one soak run, checked once. */
export interface SoakOptions {
  minutes: number;
  /** Uplinks per second across the fleet. */
  rate: number;
  devices: number;
  /** Seconds between two kill -9 of the platform; 0 = never. */
  killEverySeconds: number;
  /** Data directory to run on (kept afterwards); unset = a fresh temporary one, removed at the end. */
  dataDir: string | undefined;
}

export const USAGE = 'npm run soak -- --minutes N [--rate 500] [--devices 100] [--kill-every S] [--data-dir DIR]';

/**
 * Parses the command line, listing every problem at once. `--kill-every` defaults to a third of
 * the run (two kills), at least 20 s so each restart has time to show steady state in between.
 */
export function parseSoakArgs(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      minutes: { type: 'string' },
      rate: { type: 'string', default: '500' },
      devices: { type: 'string', default: '100' },
      'kill-every': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const problems: string[] = [];
  const minutes = Number(values.minutes);
  if (values.minutes === undefined) problems.push('--minutes is required');
  else if (!(minutes > 0) || !Number.isFinite(minutes)) problems.push(`--minutes ${values.minutes} is not a positive number`);
  const rate = Number(values.rate);
  if (!(rate > 0) || !Number.isFinite(rate)) problems.push(`--rate ${values.rate} is not a positive number`);
  const devices = Number(values.devices);
  if (!Number.isInteger(devices) || devices < 1 || devices > 10_000) problems.push(`--devices ${values.devices} is not an integer within 1..10000`);
  const killEverySeconds = values['kill-every'] === undefined ? Math.max(20, Math.floor((minutes * 60) / 3)) : Number(values['kill-every']);
  if (!(killEverySeconds >= 0) || !Number.isFinite(killEverySeconds)) problems.push(`--kill-every ${values['kill-every']} is not a number of seconds (0 = no kills)`);
  if (problems.length > 0) throw new RangeError(`${problems.join('\n')}\nusage: ${USAGE}`);
  return { minutes, rate, devices, killEverySeconds, dataDir: values['data-dir'] };
}
