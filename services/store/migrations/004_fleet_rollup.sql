-- Fleet-level hourly rollup per metric, model and firmware, without the device id: the rollup the
-- fleet percentile queries read. The per-device rollups (002) hold about one row per device, metric
-- and hour — with minute-to-hour reporting intervals almost as many rows as the raw samples — so a
-- fleet query over them merges millions of t-digests; this table holds a few rows per hour.
--
-- Consent: a device in `fleet_exclusions` (opted out of fleet analytics) never enters it. When a
-- device's consent changes, or an ownership period is erased, or a device's model was not yet known
-- when its data arrived, the days it touched are marked in `fleet_dirty` and rebuilt from the
-- per-device rollups; until then queries covering a dirty day read the per-device rollups instead
-- (services/store/src/fleet-rollup.ts).
-- k-anonymity: `devices` is a uniqCombined(12) state — exact up to about 200 distinct devices (the
-- k floor is checked there), within about 2 % above.

CREATE TABLE IF NOT EXISTS fleet_exclusions
(
    device_id String,
    excluded  UInt8,
    at        DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(at)
ORDER BY device_id;

CREATE TABLE IF NOT EXISTS fleet_dirty
(
    firmware  LowCardinality(String),
    day       Date,
    marked_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = MergeTree
ORDER BY (firmware, day);

CREATE TABLE IF NOT EXISTS metric_fleet_hourly
(
    metric   LowCardinality(String),
    model    LowCardinality(String),
    firmware LowCardinality(String),
    hour     DateTime('UTC'),
    samples  SimpleAggregateFunction(sum, UInt64),
    sum      SimpleAggregateFunction(sum, Float64),
    min      SimpleAggregateFunction(min, Float64),
    max      SimpleAggregateFunction(max, Float64),
    digest   AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
    devices  AggregateFunction(uniqCombined(12), String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (metric, model, firmware, hour);

-- The device's model comes from a dictionary over the device dimension, not a join: a join would
-- read and hash the whole dimension on every insert (a million devices in the cluster mode). A server
-- reloads it when the dimension changes (checked every 1-10 s); embedded chDB does not reload in the
-- background, so the store reloads it before the first insert after writing the dimension. Data
-- that arrives before it knows the device is filed under model '' and re-filed by a rebuild.
CREATE DICTIONARY IF NOT EXISTS device_models
(
    device_id String,
    model     String
)
PRIMARY KEY device_id
SOURCE(CLICKHOUSE(TABLE 'devices' INVALIDATE_QUERY 'SELECT max(updated_at) FROM devices'))
LAYOUT(COMPLEX_KEY_HASHED())
LIFETIME(MIN 1 MAX 10);

CREATE MATERIALIZED VIEW IF NOT EXISTS metric_fleet_hourly_from_samples TO metric_fleet_hourly AS
SELECT
    metric,
    dictGetOrDefault('device_models', 'model', tuple(device_id), '') AS model,
    firmware,
    toStartOfHour(ts) AS hour,
    count() AS samples,
    sum(value) AS sum,
    min(value) AS min,
    max(value) AS max,
    quantilesTDigestState(0.5, 0.95, 0.99)(value) AS digest,
    uniqCombinedState(12)(device_id) AS devices
FROM samples
WHERE device_id NOT IN (SELECT device_id FROM fleet_exclusions FINAL WHERE excluded = 1)
GROUP BY metric, model, firmware, hour;

-- Backfill from the per-device rollups (nobody is excluded yet: the first fleet query records the
-- registry's opt-outs and rebuilds the days their devices touched).
INSERT INTO metric_fleet_hourly
SELECT m.metric, d.model, m.firmware, m.hour, sum(m.samples), sum(m.sum), min(m.min), max(m.max),
       quantilesTDigestMergeState(0.5, 0.95, 0.99)(m.digest), uniqCombinedState(12)(m.device_id)
FROM metric_hourly AS m
LEFT JOIN (SELECT device_id, model FROM devices FINAL) AS d ON m.device_id = d.device_id
GROUP BY m.metric, d.model, m.firmware, m.hour;
