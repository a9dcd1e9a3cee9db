import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { decodeDownlink, decodeUplink, encodeDownlink, encodeUplink } from './codec';
import { ProtoDecodeError } from './errors';
import type { Downlink, Uplink } from './types';
import { REJECT_REASONS, validateUplink, type UplinkContext } from './validate';
import { DOWNLINK_REJECT_REASONS, validateDownlink } from './validate-downlink';

/**
 * The fuzzer behind `fuzz.test.ts` (CI, ~100k cases) and `npm run fuzz` (long runs). Not part of
 * the package's public API.
 *
 * Every case is derived from (seed, case index) alone, so one failing case reproduces with
 * `npm run fuzz -- --seed S --from I --cases 1` without replaying the ones before it.
 *
 * The property checked: for any bytes, `validateUplink` returns ok or a reason from
 * REJECT_REASONS and never throws; `decodeUplink`/`decodeDownlink` return or throw
 * ProtoDecodeError, nothing else; `validateDownlink` of a decoded downlink returns ok or a reason
 * from DOWNLINK_REJECT_REASONS; and whatever is accepted re-encodes and decodes to the same value
 * (an accepted message the platform cannot write back would break export and the dead-letter
 * view). A case slower than `slowCaseMs` counts as a failure (a hang in CI shows up as the test
 * timeout instead).
 */

/** sfc32: small, fast, good enough for test input; seeded from two 32-bit words. */
export function makeRng(seed: number, stream: number): () => number {
  let a = seed >>> 0;
  let b = (stream * 0x9e3779b9) >>> 0;
  let c = 0x243f6a88 ^ stream;
  let d = 1;
  const next = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    const t = (a + b + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // mix the seed in
  return next;
}

type Kind = 'uplink' | 'downlink';
interface Seed {
  name: string;
  kind: Kind;
  bytes: Uint8Array;
}

/** Golden vectors from proto/vectors, valid and invalid alike: invalid ones sit near the edges. */
export function loadCorpus(): Seed[] {
  const dir = fileURLToPath(new URL('../vectors/', import.meta.url));
  const manifest = JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as { vectors: { name: string; file: string; message: string }[] };
  const files = new Set(readdirSync(dir));
  return manifest.vectors
    .filter((v) => files.has(v.file))
    .map((v) => ({ name: v.name, kind: v.message.endsWith('Downlink') ? 'downlink' : 'uplink', bytes: new Uint8Array(readFileSync(`${dir}${v.file}`)) }));
}

/** The uplink context the golden vectors were built for. */
export function corpusContext(): UplinkContext {
  const dir = fileURLToPath(new URL('../vectors/', import.meta.url));
  return (JSON.parse(readFileSync(`${dir}manifest.json`, 'utf8')) as { uplinkContext: UplinkContext }).uplinkContext;
}

// ---- mutators ---------------------------------------------------------------------------------

type Rng = () => number;
const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[int(rng, xs.length)]!;
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0xff, 0x08, 0x0a, 0x12, 0x3a, 0x42, 0x4a];

function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = int(rng, 256);
  return out;
}

/** A varint of 1–10 bytes, biased to the edges (0, 2^31, 2^32, huge lengths). */
function randomVarint(rng: Rng): Uint8Array {
  const n = 1 + int(rng, 10);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i < n - 1 ? 0x80 : 0) | (rng() < 0.5 ? 0x7f : int(rng, 128));
  return out;
}

/** A field tag with a plausible (or deliberately wrong) wire type, then a matching-ish body. */
function randomField(rng: Rng): Uint8Array {
  const field = rng() < 0.8 ? 1 + int(rng, 10) : int(rng, 1 << 20);
  const wire = int(rng, 8);
  const tag = Uint8Array.from(varintBytes(field * 8 + wire));
  let body: Uint8Array;
  if (wire === 0) body = randomVarint(rng);
  else if (wire === 1) body = randomBytes(rng, 8);
  else if (wire === 5) body = randomBytes(rng, 4);
  else if (wire === 2) {
    const len = rng() < 0.9 ? int(rng, 40) : int(rng, 0x7fffffff);
    body = concat(Uint8Array.from(varintBytes(len)), randomBytes(rng, Math.min(len, 40)));
  } else body = randomBytes(rng, int(rng, 4));
  return concat(tag, body);
}

function varintBytes(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Edge values for the structured mutator, by JS type. */
const EDGE_NUMBERS = [0, -0, 1, -1, 2 ** 31, 2 ** 32 - 1, 2 ** 53, -(2 ** 53), Number.MAX_SAFE_INTEGER, NaN, Infinity, -Infinity, 1e308, 5e-324, Date.now(), 946684800000 - 1];
const EDGE_STRINGS = ['', 'a', 'A', '0', '.', 'a..b', 'temp_c', 'x'.repeat(64), 'x'.repeat(65), 'x'.repeat(2000), '\u0000', '\ud800', 'ü', '🔥', '__proto__', 'constructor', '$SYS/#', '../../etc', "'; DROP TABLE samples; --"];

function mutateValue(rng: Rng, v: unknown, depth: number): unknown {
  if (typeof v === 'number') return rng() < 0.7 ? pick(rng, EDGE_NUMBERS) : Math.floor((rng() - 0.5) * 2 ** int(rng, 60));
  if (typeof v === 'string') return rng() < 0.8 ? pick(rng, EDGE_STRINGS) : String.fromCharCode(...Array.from({ length: int(rng, 20) }, () => int(rng, 0xffff)));
  if (Array.isArray(v)) {
    if (v.length === 0 || rng() < 0.2) return rng() < 0.5 ? [] : Array.from({ length: int(rng, 3000) }, () => v[0] ?? {});
    const copy = v.slice();
    const i = int(rng, copy.length);
    copy[i] = mutateValue(rng, copy[i], depth + 1);
    return copy;
  }
  if (v !== null && typeof v === 'object' && depth < 4) {
    const copy: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    const keys = Object.keys(copy);
    if (keys.length === 0 || rng() < 0.1) {
      copy[pick(rng, EDGE_STRINGS)] = pick(rng, EDGE_STRINGS);
      return copy;
    }
    const k = pick(rng, keys);
    copy[k] = mutateValue(rng, copy[k], depth + 1);
    return copy;
  }
  return v;
}

/**
 * Decodes a valid seed, changes one field (deep) to an edge value and encodes again: reaches the
 * validator's rules, which random bytes almost never get past the decoder to.
 */
function structured(rng: Rng, seed: Seed): Uint8Array | null {
  try {
    if (seed.kind === 'uplink') return encodeUplink(mutateValue(rng, decodeUplink(seed.bytes), 0) as Uplink);
    return encodeDownlink(mutateValue(rng, decodeDownlink(seed.bytes), 0) as Downlink);
  } catch {
    return null; // not encodable (or the seed does not decode): fall back to a byte mutation
  }
}

const STRATEGIES = ['random', 'flip', 'interesting', 'truncate', 'insert', 'field', 'delete', 'duplicate', 'splice', 'structured'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Builds case `index` of run `seed`: its strategy, the seed vector it started from, and the bytes. */
export function makeCase(seed: number, index: number, corpus: readonly Seed[]): { strategy: Strategy; base: Seed; bytes: Uint8Array } {
  const rng = makeRng(seed, index);
  const strategy = pick(rng, STRATEGIES);
  const base = pick(rng, corpus);
  const src = base.bytes;
  let bytes: Uint8Array;
  switch (strategy) {
    case 'random':
      bytes = randomBytes(rng, rng() < 0.8 ? int(rng, 64) : int(rng, 4096));
      break;
    case 'flip': {
      bytes = src.slice();
      for (let n = 1 + int(rng, 8); n > 0 && bytes.length > 0; n--) bytes[int(rng, bytes.length)]! ^= 1 << int(rng, 8);
      break;
    }
    case 'interesting': {
      bytes = src.slice();
      for (let n = 1 + int(rng, 3); n > 0 && bytes.length > 0; n--) bytes[int(rng, bytes.length)] = pick(rng, INTERESTING);
      break;
    }
    case 'truncate':
      bytes = src.slice(0, int(rng, src.length + 1));
      break;
    case 'insert': {
      const at = int(rng, src.length + 1);
      bytes = concat(src.subarray(0, at), rng() < 0.5 ? randomVarint(rng) : randomBytes(rng, 1 + int(rng, 16)), src.subarray(at));
      break;
    }
    case 'field': {
      // A whole extra field at the end (or start) is still a well-formed message as far as framing goes.
      const f = randomField(rng);
      bytes = rng() < 0.7 ? concat(src, f) : concat(f, src);
      break;
    }
    case 'delete': {
      const at = int(rng, src.length + 1);
      bytes = concat(src.subarray(0, at), src.subarray(Math.min(src.length, at + 1 + int(rng, 16))));
      break;
    }
    case 'duplicate': {
      const from = int(rng, src.length + 1);
      const to = Math.min(src.length, from + int(rng, 64));
      bytes = concat(src.subarray(0, to), src.subarray(from, to), src.subarray(to));
      break;
    }
    case 'splice': {
      const other = pick(rng, corpus).bytes;
      bytes = concat(src.subarray(0, int(rng, src.length + 1)), other.subarray(int(rng, other.length + 1)));
      break;
    }
    case 'structured':
      bytes = structured(rng, base) ?? src.slice(0, int(rng, src.length + 1));
      break;
  }
  return { strategy, base, bytes };
}

// ---- the property -----------------------------------------------------------------------------

export interface FuzzFailure {
  index: number;
  strategy: Strategy;
  base: string;
  hex: string;
  problem: string;
}

export interface FuzzReport {
  seed: number;
  from: number;
  cases: number;
  ms: number;
  /** Uplink outcomes by reason, 'ok' for accepted. */
  uplink: Record<string, number>;
  /** Downlink decode + validate outcomes, 'ok' for accepted. */
  downlink: Record<string, number>;
  slowestMs: number;
  failures: FuzzFailure[];
}

const UPLINK_REASONS: ReadonlySet<string> = new Set(REJECT_REASONS);
const DOWNLINK_REASONS: ReadonlySet<string> = new Set(DOWNLINK_REJECT_REASONS);

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Checks one input; returns the problem, or null when every property held. */
function check(bytes: Uint8Array, ctx: UplinkContext, report: FuzzReport): string | null {
  let up;
  try {
    up = validateUplink(bytes, ctx);
  } catch (err) {
    return `validateUplink threw ${describe(err)}`;
  }
  if (up.ok) {
    report.uplink.ok = (report.uplink.ok ?? 0) + 1;
    try {
      const again = decodeUplink(encodeUplink(up.uplink));
      if (!isDeepStrictEqual(again, up.uplink)) return 'an accepted uplink does not survive encode/decode unchanged';
    } catch (err) {
      return `an accepted uplink does not re-encode: ${describe(err)}`;
    }
  } else {
    if (!UPLINK_REASONS.has(up.reason)) return `validateUplink returned unknown reason ${JSON.stringify(up.reason)}`;
    if (typeof up.detail !== 'string' || up.detail === '') return `validateUplink rejected (${up.reason}) without a detail`;
    report.uplink[up.reason] = (report.uplink[up.reason] ?? 0) + 1;
  }

  let down: Downlink;
  try {
    down = decodeDownlink(bytes);
  } catch (err) {
    if (!(err instanceof ProtoDecodeError)) return `decodeDownlink threw ${describe(err)} instead of ProtoDecodeError`;
    report.downlink.decode_failed = (report.downlink.decode_failed ?? 0) + 1;
    return null;
  }
  let dv;
  try {
    dv = validateDownlink(down);
  } catch (err) {
    return `validateDownlink threw ${describe(err)}`;
  }
  if (!dv.ok && !DOWNLINK_REASONS.has(dv.reason)) return `validateDownlink returned unknown reason ${JSON.stringify(dv.reason)}`;
  const key = dv.ok ? 'ok' : dv.reason;
  report.downlink[key] = (report.downlink[key] ?? 0) + 1;
  return null;
}

/**
 * Runs cases `from` … `from + cases - 1` of run `seed`. Stops collecting after 20 failures (the
 * count of checked cases stays exact).
 */
export function runFuzz(options: { seed: number; cases: number; from?: number; slowCaseMs?: number }): FuzzReport {
  const { seed, cases } = options;
  const from = options.from ?? 0;
  const slowCaseMs = options.slowCaseMs ?? 250;
  const corpus = loadCorpus();
  const ctx = corpusContext();
  const report: FuzzReport = { seed, from, cases, ms: 0, uplink: {}, downlink: {}, slowestMs: 0, failures: [] };
  const started = performance.now();
  for (let i = from; i < from + cases; i++) {
    const c = makeCase(seed, i, corpus);
    const t0 = performance.now();
    let problem = check(c.bytes, ctx, report);
    const took = performance.now() - t0;
    if (took > report.slowestMs) report.slowestMs = took;
    if (problem === null && took > slowCaseMs) {
      // One slow run is usually a GC pause or a busy machine: only a case that is slow again counts.
      const t1 = performance.now();
      check(c.bytes, ctx, { ...report, uplink: {}, downlink: {} });
      const again = performance.now() - t1;
      if (again > slowCaseMs) problem = `took ${took.toFixed(0)} ms, then ${again.toFixed(0)} ms (limit ${slowCaseMs})`;
    }
    if (problem !== null && report.failures.length < 20) {
      report.failures.push({ index: i, strategy: c.strategy, base: c.base.name, hex: Buffer.from(c.bytes.subarray(0, 512)).toString('hex'), problem });
    }
  }
  report.ms = performance.now() - started;
  return report;
}
