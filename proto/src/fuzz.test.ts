import { describe, expect, it } from 'vitest';
import { runFuzz } from './fuzz';

// 100k cases in CI (≈5 s on a 2-core machine); `npm run fuzz -- --cases N --seed S` for long runs.
// The seed is random per run unless PARLEY_FUZZ_SEED is set, and always printed: a failure names
// the seed and case index, and `npm run fuzz -- --seed S --from I --cases 1` replays it alone.
const CASES = Number(process.env.PARLEY_FUZZ_CASES ?? 100_000);
const SEED = process.env.PARLEY_FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(process.env.PARLEY_FUZZ_SEED);

describe('decoder and validator fuzzing', () => {
  it(`accepts or rejects with a stable reason ${CASES} random and mutated payloads, never throwing or hanging (seed ${SEED})`, () => {
    const report = runFuzz({ seed: SEED, cases: CASES, slowCaseMs: 1000 });
    const rate = Math.round((report.cases / report.ms) * 1000);
    console.log(
      `fuzz: seed ${SEED}, ${report.cases} cases in ${(report.ms / 1000).toFixed(1)} s (${rate} cases/s), slowest ${report.slowestMs.toFixed(1)} ms; ` +
        `uplink ${JSON.stringify(report.uplink)}; downlink ${JSON.stringify(report.downlink)}`,
    );
    const shown = report.failures.map((f) => `case ${f.index} (${f.strategy} of ${f.base}): ${f.problem}\n  bytes ${f.hex}\n  replay: npm run fuzz -- --seed ${SEED} --from ${f.index} --cases 1`);
    expect(shown, `seed ${SEED}`).toEqual([]);
    // The mix must stay meaningful: most inputs fail to decode, but the validator's rules are reached too.
    expect(report.uplink.ok ?? 0).toBeGreaterThan(CASES / 100);
    expect(Object.keys(report.uplink).length).toBeGreaterThan(10);
  });
});
