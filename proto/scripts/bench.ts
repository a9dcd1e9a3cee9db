// Codec throughput for a realistic uplink (10 samples, one event): encode, decode and the broker's
// validateUplink, in messages per second of CPU time on one core.
//
//   npx tsx proto/scripts/bench.ts [seconds-per-case]     (default 2)
//
// The ingester's budget is ~20,000 decodes/s on a 2-core box that also runs the broker, ClickHouse
// and the API, so decode should be an order of magnitude above that.
import { decodeUplink, encodeUplink, validateUplink, type Uplink } from '../src/index';

const seconds = Number(process.argv[2] ?? 2);
if (!(seconds > 0)) {
  console.error('usage: tsx proto/scripts/bench.ts [seconds-per-case]');
  process.exit(2);
}

const now = Date.UTC(2026, 0, 1);
const metrics = [
  'temp_c',
  'setpoint_c',
  'compressor.power_w',
  'compressor.current_a',
  'door.open_count',
  'ambient.temp_c',
  'humidity_pct',
  'energy.total_wh',
  'fan.rpm',
  'defrost.heater_w',
];
const uplink: Uplink = {
  schemaVersion: 1,
  deviceId: 'fridge-x1-000123',
  bootId: 'b-5f0c2a9e7d',
  seq: 4711,
  deviceTimeMs: now,
  firmware: '2.1.0',
  samples: metrics.map((metric, i) => ({ metric, value: 3.5 + i * 17.25, timeMs: i === 0 ? 0 : now - i * 1000 })),
  events: [{ code: 'door_open', severity: 'info', timeMs: now - 500, message: '', attributes: { door: 'main' } }],
  commandResults: [],
};
const bytes = encodeUplink(uplink);
const ctx = { deviceId: uplink.deviceId, receivedAtMs: now + 200 };

// Results go into a sink so the optimiser cannot drop the work.
let sink = 0;

// CPU time of this process rather than wall time: the figures stay comparable on a shared box
// (CI, other services running) where the process is not always on a core.
function cpuNs(): bigint {
  const { user, system } = process.cpuUsage();
  return BigInt(user + system) * 1000n;
}

function measure(name: string, op: () => void): void {
  for (let i = 0; i < 20_000; i++) op(); // warm up the JIT
  const budgetNs = BigInt(Math.round(seconds * 1e9));
  const start = cpuNs();
  let n = 0;
  let elapsed = 0n;
  do {
    for (let i = 0; i < 1000; i++) op();
    n += 1000;
    elapsed = cpuNs() - start;
  } while (elapsed < budgetNs);
  const perSecond = n / (Number(elapsed) / 1e9);
  console.log(`${name.padEnd(16)} ${Math.round(perSecond).toLocaleString('en-US').padStart(12)} msgs/s  ${(1e6 / perSecond).toFixed(2).padStart(6)} µs/msg`);
}

console.log(`uplink: ${uplink.samples.length} samples, ${uplink.events.length} event, ${bytes.length} bytes; node ${process.version}; per CPU-second`);
measure('encodeUplink', () => {
  sink += encodeUplink(uplink).length;
});
measure('decodeUplink', () => {
  sink += decodeUplink(bytes).samples.length;
});
measure('validateUplink', () => {
  sink += validateUplink(bytes, ctx).ok ? 1 : 0;
});
if (sink === 0) console.log('(unreachable)');
