import type { Store, UplinkRow } from '@parley/store';

const SAMPLES_PER_MESSAGE = 10;
const METRICS = ['cabinet.temp_c', 'freezer.temp_c', 'compressor.power_w', 'compressor.duty', 'door.open_s', 'ambient.temp_c', 'humidity_pct', 'fan.rpm', 'defrost.heater_w', 'supply_v'];

/**
 * Loads `samples` samples as 10-sample messages from 1,000 devices, one message per device per
 * minute going back in time, through the same insert path the ingester uses.
 */
export async function loadHistory(store: Store, samples: number, progress: (done: number) => void): Promise<{ samples: number; seconds: number; deviceIds: string[] }> {
  const devices = 1000;
  const deviceIds = Array.from({ length: devices }, (_, i) => `bench-${String(i).padStart(5, '0')}`);
  const messages = Math.ceil(samples / SAMPLES_PER_MESSAGE);
  const perDevice = Math.ceil(messages / devices);
  const end = Date.now();
  const batch = 20_000;
  const raw = Buffer.alloc(120, 1);
  let done = 0;
  const started = performance.now();
  let rows: UplinkRow[] = [];
  for (let m = 0; m < perDevice && done < samples; m++) {
    for (let d = 0; d < devices && done < samples; d++) {
      const t = end - (perDevice - m) * 60_000;
      rows.push({
        deviceId: deviceIds[d]!,
        bootId: 'bench',
        seq: m + 1,
        deviceTimeMs: t,
        receivedAtMs: t + 50,
        firmware: '1.4.2',
        schemaVersion: 1,
        samples: METRICS.map((metric, k) => ({ metric, value: Math.sin((m + k) / 30) * 10 + d / 100, timeMs: t })),
        events: [],
        commandResults: [],
        raw,
        source: `bench:${d}:${m}`,
      });
      done += SAMPLES_PER_MESSAGE;
      if (rows.length === batch) {
        await store.insertUplinks(rows);
        rows = [];
        progress(done);
      }
    }
  }
  if (rows.length) await store.insertUplinks(rows);
  return { samples: done, seconds: (performance.now() - started) / 1000, deviceIds };
}

function percentiles(values: number[]): { p50: number; p99: number } {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  return { p50: at(50), p99: at(99) };
}

/** Untimed queries first: the figures are for a warm process, not for JIT compilation. */
const WARMUP_QUERIES = 30;

/** Times one-device reads of 500 rows against the loaded history, random devices each time. */
export async function timeHistoryQueries(store: Store, deviceIds: string[], n: number): Promise<{ conversation: { p50: number; p99: number }; series: { p50: number; p99: number } }> {
  const conv: number[] = [];
  const series: number[] = [];
  const to = Date.now() + 1000;
  for (let i = -WARMUP_QUERIES; i < n; i++) {
    const deviceId = deviceIds[Math.floor(Math.random() * deviceIds.length)]!;
    let t = performance.now();
    const page = await store.conversation({ deviceId, fromMs: 0, toMs: to, limit: 500, order: 'desc' });
    if (i >= 0) conv.push(performance.now() - t);
    if (page.items.length === 0) throw new Error(`no history for ${deviceId}`);
    t = performance.now();
    await store.metricSeries({ deviceId, metric: 'cabinet.temp_c', fromMs: to - 500 * 60_000, toMs: to, bucketSeconds: 60 });
    if (i >= 0) series.push(performance.now() - t);
  }
  return { conversation: percentiles(conv), series: percentiles(series) };
}

/**
 * Waits until the engine has no merge running (two polls in a row), at most `maxMs`, reporting the
 * active part count now and then. Returns how long it waited and whether it settled.
 */
export async function waitForMerges(store: Store, maxMs: number, progress: (s: string) => void): Promise<{ seconds: number; settled: boolean; parts: number }> {
  const started = performance.now();
  let quiet = 0;
  let last = { merges: 0, parts: 0 };
  let reported = 0;
  while (performance.now() - started < maxMs) {
    last = await store.backgroundWork();
    quiet = last.merges === 0 ? quiet + 1 : 0;
    if (quiet >= 2) break;
    if (performance.now() - reported > 10_000) {
      reported = performance.now();
      progress(`  merging: ${last.merges} merges running, ${last.parts} active parts`);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return { seconds: (performance.now() - started) / 1000, settled: quiet >= 2, parts: last.parts };
}
