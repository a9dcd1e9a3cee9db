-- Devices and their credentials. Forward-only: never edit this file once released; add 002_… instead.

CREATE TABLE devices (
  -- COLLATE "C": byte order, identical on PGlite and any PostgreSQL locale, so keyset pagination
  -- by id gives the same pages everywhere (and text comparison skips the locale machinery).
  -- The id's character set (DEVICE_ID_PATTERN) is enforced by the code that generates ids: a regex
  -- CHECK here tripled the cost of bulk provisioning on PGlite.
  id            text COLLATE "C" PRIMARY KEY CHECK (octet_length(id) BETWEEN 1 AND 128),
  model         text NOT NULL,
  -- The firmware version the device last reported (provisioned value until the first report).
  firmware      text NOT NULL,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  -- How secret_hash was computed; 1 = SHA-256(salt || secret). Lets a later scheme coexist.
  secret_scheme smallint NOT NULL DEFAULT 1,
  secret_salt   bytea NOT NULL,
  secret_hash   bytea NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Listing and counting one model's devices, in id order.
CREATE INDEX devices_model_id ON devices (model, id);
