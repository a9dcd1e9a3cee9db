-- Uplink messages: one row per device message, samples/events/results kept as parallel arrays.
-- The ingester inserts only here; materialized views fan the arrays out into per-sample, per-event
-- and per-result tables inside the engine (far cheaper than encoding every sample row in JS).
-- Ordering key = (device, device time, idempotency key): a re-sent message carries the same device
-- time, boot id and seq, so ReplacingMergeTree collapses duplicates and queries read with FINAL.
CREATE TABLE IF NOT EXISTS uplinks
(
    device_id        String,
    device_time      DateTime64(3, 'UTC'),
    boot_id          String,
    seq              UInt32,
    received_at      DateTime64(3, 'UTC'),
    firmware         LowCardinality(String),
    schema_version   UInt16,
    sample_metrics   Array(LowCardinality(String)),
    sample_values    Array(Float64),
    sample_times     Array(Int64),
    event_codes      Array(String),
    event_severities Array(LowCardinality(String)),
    event_times      Array(Int64),
    event_messages   Array(String),
    event_attributes Array(String),
    result_ids       Array(String),
    result_statuses  Array(LowCardinality(String)),
    result_times     Array(Int64),
    result_details   Array(String),
    raw              String CODEC(ZSTD(3)),
    source           String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(device_time)
ORDER BY (device_id, device_time, boot_id, seq);

CREATE TABLE IF NOT EXISTS samples
(
    device_id   String,
    metric      LowCardinality(String),
    ts          DateTime64(3, 'UTC'),
    boot_id     String,
    seq         UInt32,
    value       Float64,
    received_at DateTime64(3, 'UTC'),
    firmware    LowCardinality(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (device_id, metric, ts, boot_id, seq);

CREATE MATERIALIZED VIEW IF NOT EXISTS samples_from_uplinks TO samples AS
SELECT
    device_id,
    metric,
    fromUnixTimestamp64Milli(t, 'UTC') AS ts,
    boot_id,
    seq,
    value,
    received_at,
    firmware
FROM uplinks
ARRAY JOIN sample_metrics AS metric, sample_values AS value, sample_times AS t;

CREATE TABLE IF NOT EXISTS events
(
    device_id   String,
    ts          DateTime64(3, 'UTC'),
    boot_id     String,
    seq         UInt32,
    idx         UInt16,
    code        LowCardinality(String),
    severity    LowCardinality(String),
    message     String,
    attributes  String,
    received_at DateTime64(3, 'UTC'),
    firmware    LowCardinality(String)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (device_id, ts, boot_id, seq, idx);

CREATE MATERIALIZED VIEW IF NOT EXISTS events_from_uplinks TO events AS
SELECT
    device_id,
    fromUnixTimestamp64Milli(t, 'UTC') AS ts,
    boot_id,
    seq,
    toUInt16(i - 1) AS idx,
    code,
    severity,
    message,
    attrs AS attributes,
    received_at,
    firmware
FROM uplinks
ARRAY JOIN
    event_codes AS code,
    event_severities AS severity,
    event_times AS t,
    event_messages AS message,
    event_attributes AS attrs,
    arrayEnumerate(event_codes) AS i;

CREATE TABLE IF NOT EXISTS command_results
(
    device_id   String,
    command_id  String,
    ts          DateTime64(3, 'UTC'),
    status      LowCardinality(String),
    detail      String,
    boot_id     String,
    seq         UInt32,
    received_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (device_id, command_id, ts, status);

CREATE MATERIALIZED VIEW IF NOT EXISTS command_results_from_uplinks TO command_results AS
SELECT
    device_id,
    command_id,
    fromUnixTimestamp64Milli(t, 'UTC') AS ts,
    status,
    detail,
    boot_id,
    seq,
    received_at
FROM uplinks
ARRAY JOIN result_ids AS command_id, result_statuses AS status, result_times AS t, result_details AS detail;

-- Everything the platform sent to a device (commands, config, firmware offers).
CREATE TABLE IF NOT EXISTS downlinks
(
    device_id  String,
    command_id String,
    issued_at  DateTime64(3, 'UTC'),
    expires_at Nullable(DateTime64(3, 'UTC')),
    kind       LowCardinality(String),
    body       String,
    issued_by  String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(issued_at)
ORDER BY (device_id, issued_at, command_id);

-- Payloads the platform could not accept. Nothing is dropped silently: raw bytes, reason, device.
-- source = log position, so a re-delivered dead letter collapses into one row.
CREATE TABLE IF NOT EXISTS dead_letters
(
    device_id   String,
    received_at DateTime64(3, 'UTC'),
    source      String,
    topic       String,
    reason      LowCardinality(String),
    detail      String,
    raw_size    UInt32,
    raw         String CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (device_id, received_at, source);
