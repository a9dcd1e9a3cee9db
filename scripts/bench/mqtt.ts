/**
 * npm run bench:mqtt — our broker's QoS 1 routing against Mosquitto's, with the same MQTT.js client
 * and payloads.
 *
 *   npm run bench:mqtt -- [--messages 200000] [--clients 4] [--payload-bytes 256] [--window 64]
 *                        [--mosquitto 127.0.0.1:1883]
 *
 * Three targets, each measured after an untimed warm-up round, each broker in its own process:
 *   mosquitto  127.0.0.1:1883 (anonymous): `--clients` publishers, each QoS 1 to its own topic, and
 *              as many subscribers (QoS 1), at most `--window` messages per pair published but not yet
 *              delivered (end-to-end flow control, the same for all three targets);
 *   aedes      the same clients against a plain Aedes with the options Parley's broker gives it — the
 *              like-for-like comparison (same protocol work, no Parley hooks);
 *   parley     `createBroker` as the platform builds it, `--clients` provisioned devices subscribed
 *              to their own down topics, the broker publishing downlinks to them (`publishDownlink`,
 *              QoS 1, paced by credits from the devices' receipts) — the route Parley really has, since a device may
 *              not subscribe to another's topic.
 * Also printed: the broker process's CPU per delivered message (Mosquitto's pid from `pgrep -x
 * mosquitto`, read-only), which stays comparable when the client process is the bottleneck.
 * Messages/s counts deliveries to subscribers from the first publish to the last delivery; latency
 * is publish → subscriber receive, from a time stamp in the payload.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import mqtt, { type MqttClient } from 'mqtt';
import { nowMs, payloadAgeMs, stampPayload } from './mqtt-payload';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    clients: { type: 'string', default: '4' },
    'payload-bytes': { type: 'string', default: '256' },
    window: { type: 'string', default: '64' },
    /** host:port of the Mosquitto to compare with. */
    mosquitto: { type: 'string', default: '127.0.0.1:1883' },
  },
});
const messages = Number(values.messages);
const clients = Number(values.clients);
const payloadBytes = Number(values['payload-bytes']);
const windowSize = Number(values.window);
const say = (s: string) => process.stdout.write(`${s}\n`);
const [mosquittoHost = '127.0.0.1', mosquittoPort = '1883'] = values.mosquitto.split(':');
const MOSQUITTO = { host: mosquittoHost, port: Number(mosquittoPort) };
const MQTT_OPTIONS = { protocolVersion: 4, reconnectPeriod: 0, clean: true, connectTimeout: 10_000, log: () => {} } as const;

interface Result {
  delivered: number;
  seconds: number;
  p50: number;
  p99: number;
  /** CPU of this (client) process during the round, in cores: near 1.0 means the clients were the limit. */
  clientCores: number;
  /** CPU of the broker process per delivered message, µs (null if its pid is unknown). */
  brokerUsPerMsg: number | null;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux; ticks of 1/100 s); null if unreadable. */
function procCpuS(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** The running Mosquitto's pid, to read its CPU time (read-only); undefined if not found. */
function mosquittoPid(): number | undefined {
  try {
    const pid = Number(execFileSync('pgrep', ['-x', 'mosquitto'], { encoding: 'utf8' }).split('\n')[0]);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host, port });
    s.setTimeout(2000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function connect(url: string, opts: Record<string, unknown> = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { ...MQTT_OPTIONS, ...opts });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

const subscribe = (c: MqttClient, topic: string) =>
  new Promise<void>((resolve, reject) =>
    c.subscribe(topic, { qos: 1 }, (err, granted) => (err ? reject(err) : granted?.[0]?.qos === 128 ? reject(new Error(`SUBACK refused ${topic}`)) : resolve())),
  );

/**
 * Collects deliveries on `subs` until `expected` arrived; `onDelivery(i)` runs for each one on
 * subscriber i (the flow control's credit). Resolves with the latencies.
 */
function collect(subs: MqttClient[], expected: number, timeoutMs: number, onDelivery: (i: number) => void): Promise<Float64Array> {
  const lat = new Float64Array(expected);
  let n = 0;
  return new Promise<Float64Array>((resolve, reject) => {
    const timer = setTimeout(() => {
      detach();
      reject(new Error(`only ${n} of ${expected} messages arrived within ${timeoutMs} ms`));
    }, timeoutMs);
    const handlers = subs.map((s, i) => {
      const h = (_t: string, payload: Buffer) => {
        if (n < expected) lat[n++] = payloadAgeMs(payload);
        onDelivery(i);
        if (n === expected) {
          clearTimeout(timer);
          detach();
          resolve(lat);
        }
      };
      s.on('message', h);
      return h;
    });
    const detach = () => subs.forEach((s, i) => s.off('message', handlers[i]!));
  });
}

function summarize(lat: Float64Array, seconds: number, cpu0: NodeJS.CpuUsage, brokerPid: number | undefined, brokerCpu0: number | null): Result {
  const cpu = process.cpuUsage(cpu0);
  const brokerCpu1 = procCpuS(brokerPid);
  const sorted = Float64Array.from(lat).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return {
    delivered: lat.length,
    seconds,
    p50: q(0.5),
    p99: q(0.99),
    clientCores: (cpu.user + cpu.system) / 1e6 / seconds,
    brokerUsPerMsg: brokerCpu0 === null || brokerCpu1 === null ? null : ((brokerCpu1 - brokerCpu0) * 1e6) / lat.length,
  };
}

/**
 * Times one round: `start(perPair, credit)` begins publishing and returns a function that grants
 * pair i one more message. Flow control is end to end — at most `--window` messages per pair
 * published but not yet delivered — for every target alike: a PUBACK only means the broker took
 * the message, and Mosquitto drops QoS 1 messages past a subscriber's `max_queued_messages` (1000).
 */
async function timedRound(subs: MqttClient[], total: number, brokerPid: number | undefined, start: (perPair: number) => (i: number) => void): Promise<Result> {
  const perPair = Math.ceil(total / subs.length);
  let credit: (i: number) => void = () => {};
  const delivered = collect(subs, perPair * subs.length, 300_000, (i) => credit(i));
  const cpu0 = process.cpuUsage();
  const brokerCpu0 = procCpuS(brokerPid);
  const t0 = nowMs();
  credit = start(perPair);
  const lat = await delivered;
  return summarize(lat, (nowMs() - t0) / 1000, cpu0, brokerPid, brokerCpu0);
}

/** Publisher i → topic bench/<run>/i → subscriber i, QoS 1 both ways. */
async function pubSub(url: string, label: string, brokerPid: number | undefined): Promise<Result> {
  const run = `${process.pid}-${label}`;
  const pubs = await Promise.all(Array.from({ length: clients }, (_, i) => connect(url, { clientId: `bench-pub-${run}-${i}` })));
  const subs = await Promise.all(Array.from({ length: clients }, (_, i) => connect(url, { clientId: `bench-sub-${run}-${i}` })));
  let failure: Error | undefined;
  try {
    await Promise.all(subs.map((s, i) => subscribe(s, `bench/${run}/${i}`)));
    const round = (total: number) =>
      timedRound(subs, total, brokerPid, (perPair) => {
        const sent = new Array<number>(clients).fill(0);
        const allowed = new Array<number>(clients).fill(windowSize);
        const pump = (i: number) => {
          while (sent[i]! < perPair && sent[i]! < allowed[i]!) {
            sent[i]!++;
            pubs[i]!.publish(`bench/${run}/${i}`, stampPayload(payloadBytes), { qos: 1 }, (err) => {
              if (err) failure ??= err;
            });
          }
        };
        for (let i = 0; i < clients; i++) pump(i);
        return (i) => {
          allowed[i]!++;
          pump(i);
        };
      });
    await round(Math.min(5000, messages));
    const r = await round(messages);
    if (failure) throw failure;
    return r;
  } finally {
    await Promise.all([...pubs, ...subs].map((c) => c.endAsync()));
  }
}

async function startBroker(mode: 'aedes' | 'parley'): Promise<{ proc: ChildProcess; url: string; devices?: { id: string; secret: string }[] }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', new URL('./mqtt-broker-process.ts', import.meta.url).pathname, mode, String(clients)], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`${mode} broker exited (${code}) before listening`)));
  });
  return { proc, ...(JSON.parse(line) as { url: string; devices?: { id: string; secret: string }[] }) };
}

async function stopBroker(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Devices subscribed to their own down topics; the broker process publishes downlinks to them. */
async function parleyDownlinks(): Promise<Result> {
  const b = await startBroker('parley');
  try {
    const devs = b.devices!;
    const subs = await Promise.all(devs.map((d) => connect(b.url, { clientId: d.id, username: d.id, password: d.secret })));
    try {
      await Promise.all(subs.map((s, i) => subscribe(s, `devices/${devs[i]!.id}/down`)));
      // Credits go to the broker process in batches, so IPC does not become the bottleneck.
      const batch = Math.max(1, Math.floor(windowSize / 8));
      const round = (total: number) =>
        timedRound(subs, total, b.proc.pid, (perPair) => {
          b.proc.send({ cmd: 'start', deviceIds: devs.map((d) => d.id), perDevice: perPair, window: windowSize, payloadBytes });
          const owed = new Array<number>(clients).fill(0);
          return (i) => {
            if (++owed[i]! >= batch) {
              b.proc.send({ cmd: 'credit', device: i, n: owed[i] });
              owed[i] = 0;
            }
          };
        });
      await round(Math.min(5000, messages));
      return await round(messages);
    } finally {
      await Promise.all(subs.map((c) => c.endAsync()));
    }
  } finally {
    await stopBroker(b.proc);
  }
}

async function aedesPubSub(): Promise<Result> {
  const b = await startBroker('aedes');
  try {
    return await pubSub(b.url, 'aedes', b.proc.pid);
  } finally {
    await stopBroker(b.proc);
  }
}

const children = new Set<ChildProcess>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const c of children) c.kill('SIGTERM');
    process.exit(130);
  });
}
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

async function main(): Promise<number> {
  const problems = [
    !(Number.isInteger(messages) && messages > 0) && '--messages must be a positive integer',
    !(Number.isInteger(clients) && clients > 0 && clients <= 1000) && '--clients must be an integer within 1..1000',
    !(Number.isInteger(payloadBytes) && payloadBytes >= 8 && payloadBytes <= 65536) && '--payload-bytes must be within 8..65536 (the first 8 carry the send time)',
    !(Number.isInteger(windowSize) && windowSize > 0) && '--window must be a positive integer',
  ].filter(Boolean);
  if (problems.length > 0) {
    process.stderr.write(`${problems.join('\n')}\n`);
    return 2;
  }
  if (!(await reachable(MOSQUITTO.host, MOSQUITTO.port))) {
    process.stderr.write(
      `Mosquitto is not reachable at ${MOSQUITTO.host}:${MOSQUITTO.port}. Start it with:\n  mosquitto -d -c /etc/mosquitto/mosquitto.conf\n(it must allow anonymous clients; --mosquitto host:port points elsewhere)\n`,
    );
    return 1;
  }
  say(`bench:mqtt — ${messages.toLocaleString('en')} QoS 1 messages of ${payloadBytes} bytes over ${clients} publisher/subscriber pairs, ${windowSize} in flight each; node ${process.version}`);
  const rows: [string, Result][] = [];
  const show = (name: string, r: Result) => {
    rows.push([name, r]);
    say(`${name.padEnd(47)} ${Math.round(r.delivered / r.seconds).toLocaleString('en').padStart(9)} msgs/s   p50 ${r.p50.toFixed(2).padStart(7)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms   broker CPU ${r.brokerUsPerMsg === null ? '-' : r.brokerUsPerMsg.toFixed(1)} µs/msg   client CPU ${r.clientCores.toFixed(2)} cores`);
  };
  show('mosquitto (pub → sub)', await pubSub(`mqtt://${MOSQUITTO.host}:${MOSQUITTO.port}`, 'mosquitto', values.mosquitto === '127.0.0.1:1883' ? mosquittoPid() : undefined));
  show('aedes, Parley options (pub → sub)', await aedesPubSub());
  show('parley createBroker (publishDownlink → device)', await parleyDownlinks());
  const rate = (r: Result) => r.delivered / r.seconds;
  const m = rows[0]![1];
  say('');
  if (rows.some(([, r]) => r.clientCores > 0.9)) {
    say('note: the client process was near one full core, so throughput is bounded by the clients; compare broker CPU per message.');
  }
  for (const [name, r] of rows.slice(1)) {
    const cpu = r.brokerUsPerMsg !== null && m.brokerUsPerMsg ? `, ${(r.brokerUsPerMsg / m.brokerUsPerMsg).toFixed(1)}× its broker CPU per message` : '';
    say(`${name}: ${(rate(r) / rate(m)).toFixed(2)}× Mosquitto's throughput, p99 ${(r.p99 / m.p99).toFixed(2)}× its latency${cpu}`);
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench:mqtt failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
