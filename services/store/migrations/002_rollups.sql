-- Fleet analytics without scanning raw samples: hourly rollups per device, written by materialized
-- views in the same insert as the raw rows (so there is no "not yet rolled up" interval), plus a
-- device dimension (model, cohort tags) synced from the registry for filtering inside the engine.
-- Rollups keep the device id so that consent opt-outs and k-anonymity (distinct devices per group)
-- can be applied at query time, and so an erased ownership period can be removed from them too.

CREATE TABLE IF NOT EXISTS devices
(
    device_id  String,
    model      LowCardinality(String),
    tags       Array(LowCardinality(String)),
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY device_id;

CREATE TABLE IF NOT EXISTS metric_hourly
(
    metric   LowCardinality(String),
    hour     DateTime('UTC'),
    firmware LowCardinality(String),
    device_id String,
    samples  SimpleAggregateFunction(sum, UInt64),
    sum      SimpleAggregateFunction(sum, Float64),
    min      SimpleAggregateFunction(min, Float64),
    max      SimpleAggregateFunction(max, Float64),
    -- mergeable quantile sketch (t-digest): p50/p95/p99 over any set of hours and devices
    digest   AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (metric, hour, firmware, device_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS metric_hourly_from_samples TO metric_hourly AS
SELECT
    metric,
    toStartOfHour(ts) AS hour,
    firmware,
    device_id,
    count() AS samples,
    sum(value) AS sum,
    min(value) AS min,
    max(value) AS max,
    quantilesTDigestState(0.5, 0.95, 0.99)(value) AS digest
FROM samples
GROUP BY metric, hour, firmware, device_id;

CREATE TABLE IF NOT EXISTS event_hourly
(
    code      LowCardinality(String),
    severity  LowCardinality(String),
    hour      DateTime('UTC'),
    firmware  LowCardinality(String),
    device_id String,
    events    SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (code, hour, firmware, device_id, severity);

CREATE MATERIALIZED VIEW IF NOT EXISTS event_hourly_from_events TO event_hourly AS
SELECT code, severity, toStartOfHour(ts) AS hour, firmware, device_id, count() AS events
FROM events
GROUP BY code, severity, hour, firmware, device_id;

-- Backfill what was stored before this migration (deduplicated through FINAL).
INSERT INTO metric_hourly
SELECT metric, toStartOfHour(ts) AS hour, firmware, device_id, count(), sum(value), min(value), max(value), quantilesTDigestState(0.5, 0.95, 0.99)(value)
FROM samples FINAL
GROUP BY metric, hour, firmware, device_id;

INSERT INTO event_hourly
SELECT code, severity, toStartOfHour(ts) AS hour, firmware, device_id, count()
FROM events FINAL
GROUP BY code, severity, hour, firmware, device_id;
