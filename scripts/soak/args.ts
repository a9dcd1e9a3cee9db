import { parseArgs } from 'node:util';

/** Where the soak runs: one embedded process, or the cluster mode's processes and servers. */
export type SoakMode = 'embedded' | 'cluster';

/**
 * Faults the soak injects, one at a time, in turn:
 * - `platform` (embedded): kill -9 of the platform process, restarted on the same data dir;
 * - `kafka` (cluster): the Kafka node stopped by pid and started again on the same log dir;
 * - `broker` / `ingester` (cluster): kill -9 of one broker / ingester process (alternating between
 *   the two), restarted with the same ports.
 */
export type FaultName = 'platform' | 'kafka' | 'broker' | 'ingester';

export const FAULTS_BY_MODE: Readonly<Record<SoakMode, readonly FaultName[]>> = {
  embedded: ['platform'],
  cluster: ['kafka', 'broker', 'ingester'],
};

/** Options of one soak run, checked once. */
export interface SoakOptions {
  mode: SoakMode;
  minutes: number;
  /** Uplinks per second across the fleet. */
  rate: number;
  devices: number;
  /** Faults to inject, in turn; empty = none. */
  faults: FaultName[];
  /** Seconds between two faults; 0 = none. */
  killEverySeconds: number;
  /** Data directory to run on (kept afterwards); unset = a fresh temporary one, removed after a passing run. */
  dataDir: string | undefined;
}

export const USAGE =
  'npm run soak -- --minutes N [--mode embedded|cluster] [--rate 500] [--devices 100] [--faults F,…|none] [--kill-every S] [--data-dir DIR]\n' +
  `  faults: embedded ${FAULTS_BY_MODE.embedded.join(',')}; cluster ${FAULTS_BY_MODE.cluster.join(',')} (default: all of the mode's)`;

/**
 * Parses the command line, listing every problem at once. `--kill-every` defaults to spacing the
 * faults so that each kind comes round twice (a third of the run with one kind), at least 20 s so
 * each recovery has time to show steady state in between.
 */
export function parseSoakArgs(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      mode: { type: 'string', default: 'embedded' },
      minutes: { type: 'string' },
      rate: { type: 'string', default: '500' },
      devices: { type: 'string', default: '100' },
      faults: { type: 'string' },
      'kill-every': { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const problems: string[] = [];
  const mode = values.mode as SoakMode;
  if (mode !== 'embedded' && mode !== 'cluster') problems.push(`--mode ${values.mode} is neither embedded nor cluster`);
  const minutes = Number(values.minutes);
  if (values.minutes === undefined) problems.push('--minutes is required');
  else if (!(minutes > 0) || !Number.isFinite(minutes)) problems.push(`--minutes ${values.minutes} is not a positive number`);
  const rate = Number(values.rate);
  if (!(rate > 0) || !Number.isFinite(rate)) problems.push(`--rate ${values.rate} is not a positive number`);
  const devices = Number(values.devices);
  if (!Number.isInteger(devices) || devices < 1 || devices > 10_000) problems.push(`--devices ${values.devices} is not an integer within 1..10000`);
  const known = FAULTS_BY_MODE[mode] ?? [];
  let faults: FaultName[] = [...known];
  if (values.faults !== undefined) {
    faults = values.faults === 'none' ? [] : (values.faults.split(',').map((f) => f.trim()) as FaultName[]);
    for (const f of faults) if (!known.includes(f)) problems.push(`--faults: ${f} is not a fault of the ${mode} mode (${known.join(', ')}, or none)`);
  }
  const killEverySeconds =
    values['kill-every'] === undefined ? Math.max(20, Math.floor((minutes * 60) / (2 * Math.max(1, faults.length) + 1))) : Number(values['kill-every']);
  if (!(killEverySeconds >= 0) || !Number.isFinite(killEverySeconds)) problems.push(`--kill-every ${values['kill-every']} is not a number of seconds (0 = no faults)`);
  if (problems.length > 0) throw new RangeError(`${problems.join('\n')}\nusage: ${USAGE}`);
  return { mode, minutes, rate, devices, faults: killEverySeconds > 0 ? faults : [], killEverySeconds: faults.length > 0 ? killEverySeconds : 0, dataDir: values['data-dir'] };
}
