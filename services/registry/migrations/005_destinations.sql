-- Owner-directed push: destinations an owner sends their device's stream to (an HTTPS webhook or a
-- topic on an MQTT broker they name), the per-destination outbox the delivery role fills from the
-- log and drains, and a record count on access-log rows (one row stands for a batch of deliveries).
-- Forward-only; independent of 004.

CREATE TABLE destinations (
  id                text COLLATE "C" PRIMARY KEY,
  device_id         text COLLATE "C" NOT NULL REFERENCES devices (id),
  -- Like a grant, a destination lives inside one ownership period and ends with it.
  period_id         text COLLATE "C" NOT NULL REFERENCES ownership_periods (id),
  kind              text NOT NULL CHECK (kind IN ('webhook', 'mqtt')),
  name              text NOT NULL,
  purpose           text NOT NULL,
  -- webhook: the https URL; mqtt: the broker URL (mqtts://host:port).
  url               text NOT NULL,
  topic             text,
  username          text,
  -- The owner's broker password and the webhook signing secret are needed in the clear to use them;
  -- they are never returned after creation and never logged.
  password          text,
  secret            text,
  metrics           text[] NOT NULL,
  events            text[] NOT NULL,
  created_by        text COLLATE "C" NOT NULL,
  created_at        timestamptz NOT NULL DEFAULT now(),
  ended_at          timestamptz,
  end_reason        text CHECK (end_reason IN ('deleted', 'period_ended')),
  receipt_id        text NOT NULL,
  -- Delivery state, kept by the delivery role.
  delivered         bigint NOT NULL DEFAULT 0,
  failed_attempts   bigint NOT NULL DEFAULT 0,
  dead_lettered     bigint NOT NULL DEFAULT 0,
  -- Records not queued because the queue was full (the owner still has them in the export).
  skipped           bigint NOT NULL DEFAULT 0,
  last_delivered_at timestamptz,
  last_error        text,
  last_error_at     timestamptz,
  -- Backoff: nothing is sent before this (the head of the queue failed).
  retry_at          timestamptz,
  -- One worker at a time per destination (keeps per-device order across delivery processes).
  lease_owner       text,
  lease_until       timestamptz,
  CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
  CHECK ((kind = 'webhook') = (secret IS NOT NULL)),
  CHECK ((kind = 'mqtt') = (topic IS NOT NULL))
);
CREATE INDEX destinations_device ON destinations (device_id, created_at);
CREATE INDEX destinations_period ON destinations (period_id);

-- What each destination still has to receive (state 'pending', sent oldest first) and what it could
-- not take (state 'dead': the owner inspects and replays). One row per destination and log record:
-- a record the log delivers again is not queued twice.
CREATE TABLE destination_outbox (
  id             bigserial PRIMARY KEY,
  destination_id text COLLATE "C" NOT NULL REFERENCES destinations (id) ON DELETE CASCADE,
  -- The log position ("p{partition}:{offset}"): the idempotency key of the record.
  source         text NOT NULL,
  received_at    timestamptz NOT NULL,
  -- The record as sent: a conversation item narrowed to the destination's metrics and events.
  message        jsonb NOT NULL,
  state          text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
  attempts       integer NOT NULL DEFAULT 0,
  last_error     text,
  dead_at        timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (destination_id, source)
);
CREATE INDEX destination_outbox_queue ON destination_outbox (destination_id, state, id);

-- Deliveries are logged as one access-log row per destination and minute; `records` counts them
-- (null on ordinary reads).
ALTER TABLE access_log ADD COLUMN records integer;
