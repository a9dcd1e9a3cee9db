import type { ApiDeps } from '../deps';
import type { DeviceScope } from '../access/device-scope';
import { OPEN_END_MS } from '../access/device-scope';
import { syncDeviceDimension } from '../fleet/device-dimension';
import type { FastifyBaseLogger } from 'fastify';
import { anomalies, benchmark, findings, trends, type Anomaly, type Benchmark, type Trend } from './analyze';

const DAY = 86_400_000;
export const HISTORY_DAYS = 30;

export interface DeviceInsights {
  deviceId: string;
  generatedAt: string;
  from: number;
  to: number;
  trends: Trend[];
  anomalies: Anomaly[];
  benchmarks: Benchmark[];
  cohort: { model: string; firmware: string; devices: number; shown: boolean };
  findings: { metric: string; kind: string; text: string; evidence: string }[];
}

/**
 * Everything the insight routes say about one device within what `scope` may see: trends over
 * `days`, anomalies against the last 30 days, and benchmarks against a k-anonymous cohort of
 * consenting devices with the same model and firmware.
 */
export async function deviceInsights(deps: ApiDeps, scope: DeviceScope, days: number, log: FastifyBaseLogger): Promise<DeviceInsights> {
  const id = scope.device.id;
  const now = Date.now();
  const window = scope.window ?? { fromMs: 0, toMs: OPEN_END_MS };
  const fromMs = Math.max(window.fromMs, now - Math.max(2 * days, HISTORY_DAYS) * DAY);
  const toMs = Math.min(window.toMs, now + 3_600_000);
  const end = Math.min(now, toMs);
  const points = fromMs < toMs ? await deps.store.deviceHourly({ deviceId: id, fromMs, toMs, ...(scope.window ? { window: scope.window } : {}) }) : [];
  const t = trends(points, end, days);
  const a = anomalies(points.filter((p) => p.hour >= end - HISTORY_DAYS * DAY), end);

  await syncDeviceDimension(deps.registry, deps.store, log);
  const cohortRows = await deps.store.cohortMeans({
    model: scope.device.model,
    firmware: scope.device.firmware,
    fromMs: now - HISTORY_DAYS * DAY,
    toMs: now,
    excludeDevices: await deps.registry.ownership.fleetOptOuts(),
  });
  const cohortDevices = new Set(cohortRows.map((r) => r.deviceId)).size;
  const shown = cohortDevices >= deps.policy.kAnonymity;
  const b: Benchmark[] = [];
  if (shown) {
    const own = new Map<string, number[]>();
    for (const p of points) if (p.hour >= now - HISTORY_DAYS * DAY) own.set(p.metric, [...(own.get(p.metric) ?? []), p.mean]);
    for (const [metric, values] of own) {
      const cohort = cohortRows.filter((r) => r.metric === metric && r.deviceId !== id).map((r) => r.mean);
      if (cohort.length + 1 < deps.policy.kAnonymity) continue;
      const mine = values.reduce((x, y) => x + y, 0) / values.length;
      b.push(benchmark(metric, mine, [...cohort, mine]));
    }
  }
  const evidence = (metric: string) => `/v1/devices/${id}/metrics/${metric}?from=${new Date(fromMs).toISOString()}&to=${new Date(toMs).toISOString()}`;
  return {
    deviceId: id,
    generatedAt: new Date(now).toISOString(),
    from: fromMs,
    to: toMs,
    trends: t,
    anomalies: a,
    benchmarks: b,
    cohort: { model: scope.device.model, firmware: scope.device.firmware, devices: shown ? cohortDevices : 0, shown },
    findings: findings(t, a, b).map((f) => ({ ...f, evidence: evidence(f.metric) })),
  };
}
