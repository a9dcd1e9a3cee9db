import type { Broker } from '@parley/broker';
import { DELIVERY_GROUP, type Delivery } from '@parley/delivery';
import type { Ingester } from '@parley/ingester';
import type { TelemetryLog } from '@parley/log';
import type { Registry as DeviceRegistry } from '@parley/registry';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricSources {
  broker?: Broker | undefined;
  ingester?: Ingester | undefined;
  log?: TelemetryLog | undefined;
  delivery?: Delivery | undefined;
  /** Read for the delivery queues' sizes (with `delivery`). */
  registry?: DeviceRegistry | undefined;
  /** Consumer groups whose lag to report (default: the ingester's, and delivery's where it runs). */
  groups?: readonly string[];
}

/** A counter whose value is read from a running total at scrape time. */
function totalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/**
 * The platform's Prometheus registry: process defaults, plus whatever this process runs — broker
 * (connections, accepted, dead-lettered per reason, refusals), log (consumer lag), ingester
 * (batches, records, insert size and duration, ingest-to-queryable latency). Values are read from
 * the parts' own counters at scrape time, so nothing is added to the hot path.
 */
export function platformMetrics(sources: MetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'parley_process_' });
  const { broker, ingester, log, delivery } = sources;
  if (broker) {
    new Gauge({ name: 'parley_mqtt_connected_devices', help: 'Devices connected to this broker', registers: [registry], collect() { this.set(broker.stats().connected); } });
    totalCounter(registry, 'parley_mqtt_messages_accepted_total', 'Uplinks durably appended and acknowledged', () => broker.stats().accepted);
    new Counter({
      name: 'parley_mqtt_messages_dead_lettered_total',
      help: 'Publishes kept as dead letters, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(broker.stats().deadLettered)) this.inc({ reason }, n);
      },
    });
    totalCounter(registry, 'parley_mqtt_auth_failures_total', 'Refused MQTT connections (bad credentials)', () => broker.stats().authFailures);
    totalCounter(registry, 'parley_mqtt_rate_limited_total', 'Refused MQTT connections (per-device connect rate)', () => broker.stats().rateLimited);
    totalCounter(registry, 'parley_mqtt_acl_denials_total', 'Refused publishes/subscribes outside the device topics', () => broker.stats().aclDenials);
    totalCounter(registry, 'parley_log_append_failures_total', 'Appends that failed (nothing acknowledged)', () => broker.stats().appendFailures);
    totalCounter(registry, 'parley_mqtt_oversized_packets_total', 'Connections closed for announcing a packet over the size limit', () => broker.stats().oversizedPackets);
    totalCounter(registry, 'parley_mqtt_protocol_errors_total', 'Connections closed for malformed MQTT or a connect timeout', () => broker.stats().protocolErrors);
  }
  if (log) {
    const groups = sources.groups ?? [...(ingester || !delivery ? ['ingester'] : []), ...(delivery ? [DELIVERY_GROUP] : [])];
    new Gauge({
      name: 'parley_log_consumer_lag_records',
      help: 'Records appended but not yet committed, per consumer group',
      labelNames: ['group'] as const,
      registers: [registry],
      async collect() {
        for (const group of groups) this.set({ group }, Number((await log.lag(group)).lag));
      },
    });
  }
  if (ingester) {
    totalCounter(registry, 'parley_ingest_batches_total', 'Batches inserted into the store', () => ingester.stats().batches);
    totalCounter(registry, 'parley_ingest_records_total', 'Log records ingested', () => ingester.stats().records);
    totalCounter(registry, 'parley_ingest_dead_letters_total', 'Records stored as dead letters by the ingester', () => ingester.stats().deadLetters);
    totalCounter(registry, 'parley_ingest_failed_batches_total', 'Inserts that failed and were retried', () => ingester.stats().failedBatches);
    new Gauge({ name: 'parley_ingest_last_batch_records', help: 'Records in the last inserted batch', registers: [registry], collect() { this.set(ingester.stats().lastBatchRecords); } });
    new Gauge({ name: 'parley_ingest_last_insert_seconds', help: 'Duration of the last insert', registers: [registry], collect() { this.set(ingester.stats().lastInsertMs / 1000); } });
    new Gauge({
      name: 'parley_ingest_latency_seconds',
      help: 'Broker receive to queryable, over recent records',
      labelNames: ['quantile'] as const,
      registers: [registry],
      collect() {
        const s = ingester.stats();
        if (s.latencyP50Ms !== null) this.set({ quantile: '0.5' }, s.latencyP50Ms / 1000);
        if (s.latencyP99Ms !== null) this.set({ quantile: '0.99' }, s.latencyP99Ms / 1000);
      },
    });
  }
  if (delivery) deliveryMetrics(registry, delivery, sources.registry);
  return registry;
}

/** Owner-directed push: records read, queued, sent; failed attempts and dead letters; queue sizes. */
function deliveryMetrics(registry: Registry, delivery: Delivery, devices: DeviceRegistry | undefined): void {
  totalCounter(registry, 'parley_delivery_uplinks_total', 'Accepted uplinks the delivery role read from the log', () => delivery.stats().uplinks);
  totalCounter(registry, 'parley_delivery_queued_total', 'Records queued for destinations (one per destination and record)', () => delivery.stats().queued);
  totalCounter(registry, 'parley_delivery_sent_records_total', 'Records destinations accepted', () => delivery.stats().sentRecords);
  totalCounter(registry, 'parley_delivery_failed_attempts_total', 'Delivery attempts (batches) that failed', () => delivery.stats().failedAttempts);
  totalCounter(registry, 'parley_delivery_dead_lettered_total', 'Records moved to a destination dead-letter list', () => delivery.stats().deadLettered);
  totalCounter(registry, 'parley_delivery_failed_fan_outs_total', 'Log batches whose queueing failed and was retried', () => delivery.stats().failedFanOuts);
  if (!devices) return;
  new Gauge({
    name: 'parley_delivery_queue_records',
    help: 'Records waiting for destinations (pending) and in their dead-letter lists (dead), over all destinations',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const t = await devices.outbox.totals();
      this.set({ state: 'pending' }, t.pending);
      this.set({ state: 'dead' }, t.dead);
    },
  });
}
