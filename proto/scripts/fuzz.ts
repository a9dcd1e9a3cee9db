/**
 * Long fuzz runs of the uplink/downlink decoders and validators (the CI test runs 100k cases):
 *
 *   npm run fuzz -- --cases 5000000 --seed 12345
 *   npm run fuzz -- --seed 12345 --from 81234 --cases 1     # replay one failing case
 *
 * Prints the seed first, so an interrupted run reproduces. Exits 1 when any case failed.
 */
import { parseArgs } from 'node:util';
import { runFuzz } from '../src/fuzz';

const { values } = parseArgs({
  options: { cases: { type: 'string', default: '1000000' }, seed: { type: 'string' }, from: { type: 'string', default: '0' }, chunk: { type: 'string', default: '100000' } },
  strict: true,
});
const toInt = (name: string, v: string | undefined): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
};
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : toInt('seed', values.seed);
const cases = toInt('cases', values.cases);
const from = toInt('from', values.from);
const chunk = Math.max(1, toInt('chunk', values.chunk));

console.log(`fuzz: seed ${seed}, cases ${from}..${from + cases - 1}`);
const totals = { uplink: {} as Record<string, number>, downlink: {} as Record<string, number> };
let failed = 0;
let ms = 0;
let slowest = 0;
for (let at = from; at < from + cases; at += chunk) {
  const r = runFuzz({ seed, from: at, cases: Math.min(chunk, from + cases - at) });
  ms += r.ms;
  slowest = Math.max(slowest, r.slowestMs);
  for (const side of ['uplink', 'downlink'] as const) for (const [k, v] of Object.entries(r[side])) totals[side][k] = (totals[side][k] ?? 0) + v;
  for (const f of r.failures) {
    failed++;
    console.log(`FAIL case ${f.index} (${f.strategy} of ${f.base}): ${f.problem}\n  bytes ${f.hex}\n  replay: npm run fuzz -- --seed ${seed} --from ${f.index} --cases 1`);
  }
  const done = at + r.cases - from;
  console.log(`  ${done} cases, ${Math.round((done / ms) * 1000)} cases/s, slowest case ${slowest.toFixed(1)} ms`);
}
console.log(`uplink outcomes: ${JSON.stringify(totals.uplink)}`);
console.log(`downlink outcomes: ${JSON.stringify(totals.downlink)}`);
console.log(failed === 0 ? `fuzz: ${cases} cases, no failures (seed ${seed})` : `fuzz: ${failed} failing cases (seed ${seed})`);
process.exit(failed === 0 ? 0 : 1);
