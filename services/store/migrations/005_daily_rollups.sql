-- Per-device daily rollups for the questions asked per device over weeks: the owner benchmark
-- (each cohort device's 30-day means), deviation outliers, and firmware comparison's device-days and
-- device-hours. Per-device hourly rollups hold about one row per device, metric and hour — with
-- minute-to-hour reporting intervals almost as many rows as the raw samples — so these questions
-- read 24 times fewer rows here. Ranges are widened to whole UTC days.

CREATE TABLE IF NOT EXISTS metric_daily
(
    firmware  LowCardinality(String),
    metric    LowCardinality(String),
    day       Date,
    device_id String,
    samples   SimpleAggregateFunction(sum, UInt64),
    sum       SimpleAggregateFunction(sum, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (firmware, metric, day, device_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS metric_daily_from_samples TO metric_daily AS
SELECT firmware, metric, toDate(ts) AS day, device_id, count() AS samples, sum(value) AS sum
FROM samples
GROUP BY firmware, metric, day, device_id;

-- hours: the hours of the day (0-23) the device reported in, as a bitmap — device-hours stay exact.
CREATE TABLE IF NOT EXISTS activity_daily
(
    firmware  LowCardinality(String),
    day       Date,
    device_id String,
    hours     AggregateFunction(groupBitmap, UInt8),
    messages  SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (firmware, day, device_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS activity_daily_from_uplinks TO activity_daily AS
SELECT firmware, toDate(device_time) AS day, device_id, groupBitmapState(toUInt8(toHour(device_time))) AS hours, count() AS messages
FROM uplinks
GROUP BY firmware, day, device_id;

INSERT INTO metric_daily
SELECT firmware, metric, toDate(hour) AS day, device_id, sum(samples), sum(sum)
FROM metric_hourly
GROUP BY firmware, metric, day, device_id;

INSERT INTO activity_daily
SELECT firmware, toDate(hour) AS day, device_id, groupBitmapState(toUInt8(toHour(hour))), sum(messages)
FROM activity_hourly
GROUP BY firmware, day, device_id;
