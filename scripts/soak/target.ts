import type { SoakApi } from './api-client';
import { metricValue } from './api-client';
import type { FaultName } from './args';

/** One injected fault and how long the part took to come back. */
export interface FaultReport {
  fault: FaultName;
  /** What was done, for the log: `kill -9 broker-1 pid 123, restarted as pid 456`. */
  what: string;
  /** From the kill/stop to the part answering again, ms. */
  recoveryMs: number;
}

/**
 * What the soak runs against: the embedded platform (`embedded-target.ts`) or the cluster mode's
 * servers and role processes (`cluster-target.ts`). The fleet, the fault schedule, the drain and
 * the reconciliation in `main.ts` are the same for both.
 */
export interface SoakTarget {
  /** Lines for the header: what runs where. */
  readonly description: readonly string[];
  /** MQTT URLs of the brokers; the fleet is split across them, each device keeps to its broker. */
  readonly mqttUrls: readonly string[];
  /** The API (manufacturer token) that provisions devices and answers the reconciliation. */
  readonly api: SoakApi;
  /** Injects `fault` and waits until the part is back (restarted, answering). */
  inject(fault: FaultName): Promise<FaultReport>;
  /** Records appended but not yet committed by the ingester group; null when no metrics answer. */
  lag(): Promise<number | null>;
  /** The ingest p99 (broker receive → queryable, ms) over the ingesters' recent records; null when none answers. */
  ingestP99Ms(): Promise<number | null>;
  /** Parts that are down although no fault is being injected into them (they died on their own). */
  down(): string[];
  /** `up`, or which part is being restarted. */
  state(): string;
  /** Clean stop of everything, in dependency order; says how each part exited. */
  stop(): Promise<string>;
  /** Last resort on process exit: SIGKILL every process still running, without waiting. */
  killNow(): void;
}

/** The ingester group's lag and the ingest p99 (ms) in one `/metrics` text; null for what is absent. */
export function ingestFigures(metricsText: string): { lag: number | null; p99Ms: number | null } {
  const p99 = metricValue(metricsText, 'parley_ingest_latency_seconds', { quantile: '0.99' });
  return {
    lag: metricValue(metricsText, 'parley_log_consumer_lag_records', { group: 'ingester' }),
    p99Ms: p99 === null ? null : Math.round(p99 * 1000),
  };
}
