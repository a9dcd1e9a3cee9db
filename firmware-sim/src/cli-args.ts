import { parseArgs } from 'node:util';

/** The simulator CLI's configuration, validated. */
export interface CliConfig {
  brokerUrl: string;
  devicesFile: string;
  count: number | undefined;
  rate: number;
  samples: number;
  durationMs: number | undefined;
  skewMs: number;
  driftPpm: number;
  seed: string;
  faultsPerDay: number;
  progressMs: number;
  logLevel: string;
}

/** The result of parsing: run with a config, print help, or fail with every problem listed. */
export type CliParse = { kind: 'run'; config: CliConfig } | { kind: 'help'; text: string } | { kind: 'error'; problems: string[] };

export const USAGE = `Usage: npm run sim -- --devices <credentials.json> [options]

Simulated Parley appliances publishing protobuf telemetry over MQTT QoS1.

  --broker <url>        MQTT broker URL (default mqtt://127.0.0.1:1884)
  --devices <file>      JSON array of { id, secret, model, firmware } (required)
  --count <n>           use only the first n devices
  --rate <msgs/s>       uplinks per second across the fleet (default 100)
  --samples <n>         samples per uplink, 1..1000 (default 10)
  --duration <time>     stop after this long, e.g. 60s, 5m, 1h (default: until Ctrl-C)
  --skew <time>         offset of every device clock, e.g. 5m or --skew=-90s (default 0)
  --drift <ppm>         clock drift of every device, parts per million (default 0)
  --seed <text>         seed of the simulated metrics (default parley)
  --faults <n/day>      spontaneous faults per device per day (default 0.2)
  --progress <time>     progress line interval, 0 = off (default 1s)
  --log-level <level>   pino level for diagnostics on stderr (default warn)
  --help                this text

Models: fridge-x1, washer-w2, heatpump-h3.`;

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration like `60s`, `5m`, `-90s`, `1.5h`, `250ms`; a bare number means seconds.
 * Returns undefined if it is not one.
 */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 's']!);
}

/** Parses and validates CLI arguments (without the node/script prefix). Never throws. */
export function parseCliArgs(argv: string[]): CliParse {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      // A negative --skew must be written --skew=-90s: parseArgs takes "-90s" for an option and says so.
      options: {
        broker: { type: 'string' },
        devices: { type: 'string' },
        count: { type: 'string' },
        rate: { type: 'string' },
        samples: { type: 'string' },
        duration: { type: 'string' },
        skew: { type: 'string' },
        drift: { type: 'string' },
        seed: { type: 'string' },
        faults: { type: 'string' },
        progress: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return { kind: 'error', problems: [(error as Error).message] };
  }
  if (values.help) return { kind: 'help', text: USAGE };

  const problems: string[] = [];
  const str = (name: string) => values[name] as string | undefined;
  const number = (name: string, fallback: number, check: (n: number) => boolean, rule: string): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || !check(n)) {
      problems.push(`--${name} ${JSON.stringify(raw)}: expected ${rule}`);
      return fallback;
    }
    return n;
  };
  const duration = (name: string, check: (ms: number) => boolean, rule: string): number | undefined => {
    const raw = str(name);
    if (raw === undefined) return undefined;
    const ms = parseDuration(raw);
    if (ms === undefined || !check(ms)) {
      problems.push(`--${name} ${JSON.stringify(raw)}: expected ${rule}`);
      return undefined;
    }
    return ms;
  };

  const brokerUrl = str('broker') ?? 'mqtt://127.0.0.1:1884';
  if (!/^(mqtts?|tcp|tls|wss?):\/\/[^/]+/.test(brokerUrl)) problems.push(`--broker ${JSON.stringify(brokerUrl)}: expected a URL like mqtt://127.0.0.1:1884`);
  const devicesFile = str('devices');
  if (!devicesFile) problems.push('--devices <credentials.json> is required');
  const countRaw = str('count');
  const count = countRaw === undefined ? undefined : number('count', 0, (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1');
  const rate = number('rate', 100, (n) => n > 0 && n <= 1_000_000, 'messages per second, > 0');
  const samples = number('samples', 10, (n) => Number.isInteger(n) && n >= 1 && n <= 1000, 'a whole number within 1..1000');
  const durationMs = duration('duration', (ms) => ms > 0, 'a positive duration like 60s, 5m, 1h');
  const skewMs = duration('skew', () => true, 'a duration like 5m or -90s') ?? 0;
  const driftPpm = number('drift', 0, (n) => Math.abs(n) <= 100_000, 'parts per million within ±100000');
  const faultsPerDay = number('faults', 0.2, (n) => n >= 0, 'faults per device per day, ≥ 0');
  const progressMs = duration('progress', (ms) => ms >= 0, 'a duration like 1s, or 0 for off') ?? 1000;
  const logLevel = str('log-level') ?? 'warn';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(logLevel)) problems.push(`--log-level ${JSON.stringify(logLevel)}: expected fatal, error, warn, info, debug, trace or silent`);

  if (problems.length > 0) return { kind: 'error', problems };
  return {
    kind: 'run',
    config: Object.freeze({
      brokerUrl,
      devicesFile: devicesFile!,
      count,
      rate,
      samples,
      durationMs,
      skewMs,
      driftPpm,
      seed: str('seed') ?? 'parley',
      faultsPerDay,
      progressMs,
      logLevel,
    }),
  };
}
