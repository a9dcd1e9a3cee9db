-- One row per device and hour it reported in (messages counted), for activity questions — device-
-- hours, device-days, active/silent devices — without touching the per-metric rollups, which hold a
-- row per metric and so are several times larger.
CREATE TABLE IF NOT EXISTS activity_hourly
(
    firmware  LowCardinality(String),
    hour      DateTime('UTC'),
    device_id String,
    messages  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (firmware, hour, device_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS activity_hourly_from_uplinks TO activity_hourly AS
SELECT firmware, toStartOfHour(device_time) AS hour, device_id, count() AS messages
FROM uplinks
GROUP BY firmware, hour, device_id;

INSERT INTO activity_hourly
SELECT firmware, toStartOfHour(device_time) AS hour, device_id, count()
FROM uplinks FINAL
GROUP BY firmware, hour, device_id;
