-- The owner's side: accounts and tokens, claiming and ownership periods, grants with consent
-- receipts, the access log, the relationship timeline (claims, inferences, disputes, commands),
-- and commands that wait for the owner's consent. Forward-only: add 003_… for changes.

-- A household: the pseudonymous party that owns devices. Members are accounts of kind 'owner'.
CREATE TABLE owners (
  id           text COLLATE "C" PRIMARY KEY,
  display_name text,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Everyone who can hold a token: manufacturer engineers, household members, grantees (apps/people).
CREATE TABLE accounts (
  id           text COLLATE "C" PRIMARY KEY,
  kind         text NOT NULL CHECK (kind IN ('manufacturer', 'owner', 'grantee')),
  -- manufacturer: viewer | operator | admin; owner: owner | co-owner | viewer; grantee: grantee
  role         text NOT NULL,
  owner_id     text COLLATE "C" REFERENCES owners (id),
  display_name text,
  created_by   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  disabled_at  timestamptz,
  CHECK ((kind = 'owner') = (owner_id IS NOT NULL)),
  CHECK (
    (kind = 'manufacturer' AND role IN ('viewer', 'operator', 'admin')) OR
    (kind = 'owner' AND role IN ('owner', 'co-owner', 'viewer')) OR
    (kind = 'grantee' AND role = 'grantee')
  )
);
CREATE INDEX accounts_owner ON accounts (owner_id) WHERE owner_id IS NOT NULL;

-- Bearer tokens: `prl_<id>_<secret>`; only SHA-256(secret) is kept (256-bit secrets need no KDF).
CREATE TABLE tokens (
  id           text COLLATE "C" PRIMARY KEY,
  account_id   text COLLATE "C" NOT NULL REFERENCES accounts (id),
  hash         bytea NOT NULL,
  label        text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz,
  revoked_at   timestamptz
);
CREATE INDEX tokens_account ON tokens (account_id);

-- One-time claim code per device (printed on the box); salted SHA-256 like device secrets.
ALTER TABLE devices ADD COLUMN claim_salt bytea, ADD COLUMN claim_hash bytea;

-- Failed claim attempts per device in the current window (rate limit shared by all API processes).
CREATE TABLE claim_attempts (
  device_id    text COLLATE "C" PRIMARY KEY REFERENCES devices (id),
  failures     integer NOT NULL,
  window_start timestamptz NOT NULL
);

-- Who owned a device when. An owner sees only data received inside their own period(s).
CREATE TABLE ownership_periods (
  id              text COLLATE "C" PRIMARY KEY,
  device_id       text COLLATE "C" NOT NULL REFERENCES devices (id),
  owner_id        text COLLATE "C" NOT NULL REFERENCES owners (id),
  started_at      timestamptz NOT NULL,
  ended_at        timestamptz,
  end_reason      text CHECK (end_reason IN ('transfer', 'release', 'erased')),
  -- The owner's consent to fleet analytics for this period (opt-out, default in).
  fleet_analytics boolean NOT NULL DEFAULT true,
  -- Set when the owner erased the period's data (the row stays: it proves the erasure and keeps
  -- later owners' windows apart).
  erased_at       timestamptz,
  CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE UNIQUE INDEX ownership_one_open ON ownership_periods (device_id) WHERE ended_at IS NULL;
CREATE INDEX ownership_owner ON ownership_periods (owner_id);
CREATE INDEX ownership_device ON ownership_periods (device_id, started_at);

-- A pending transfer: the current owner hands a one-time code to the next owner.
CREATE TABLE transfer_codes (
  id          text COLLATE "C" PRIMARY KEY,
  period_id   text COLLATE "C" NOT NULL REFERENCES ownership_periods (id),
  device_id   text COLLATE "C" NOT NULL REFERENCES devices (id),
  code_salt   bytea NOT NULL,
  code_hash   bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX transfer_codes_device ON transfer_codes (device_id);

-- Scoped, revocable read access to one device for one grantee, inside one ownership period.
CREATE TABLE grants (
  id          text COLLATE "C" PRIMARY KEY,
  device_id   text COLLATE "C" NOT NULL REFERENCES devices (id),
  period_id   text COLLATE "C" NOT NULL REFERENCES ownership_periods (id),
  grantee_id  text COLLATE "C" NOT NULL REFERENCES accounts (id),
  metrics     text[] NOT NULL,
  events      text[] NOT NULL,
  data_from   timestamptz,
  data_to     timestamptz,
  expires_at  timestamptz NOT NULL,
  purpose     text NOT NULL,
  created_by  text COLLATE "C" NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz,
  receipt_id  text NOT NULL
);
CREATE INDEX grants_grantee ON grants (grantee_id, device_id);
CREATE INDEX grants_period ON grants (period_id);

-- Consent receipts (grants) and deletion receipts (erasure); kept so both sides can fetch them.
CREATE TABLE receipts (
  id          text COLLATE "C" PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('consent', 'deletion')),
  device_id   text COLLATE "C" NOT NULL,
  period_id   text COLLATE "C",
  grantee_id  text COLLATE "C",
  body        jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipts_device ON receipts (device_id, created_at);

-- Every read of a device's data: who, in which role, what, why, when.
CREATE TABLE access_log (
  id           bigserial PRIMARY KEY,
  device_id    text COLLATE "C" NOT NULL,
  -- The ownership period whose data was read (the requested one, else the open one at read time).
  period_id    text COLLATE "C",
  at           timestamptz NOT NULL DEFAULT now(),
  account_id   text COLLATE "C" NOT NULL,
  kind         text NOT NULL,
  role         text NOT NULL,
  route        text NOT NULL,
  purpose      text NOT NULL,
  grant_id     text COLLATE "C"
);
CREATE INDEX access_log_device ON access_log (device_id, id);

-- The relationship's own entries in a device's conversation (beside what the device said and was
-- sent): claims, transfers, inferences, disputes, command proposals and decisions.
CREATE TABLE timeline (
  id          bigserial PRIMARY KEY,
  device_id   text COLLATE "C" NOT NULL,
  at          timestamptz NOT NULL DEFAULT now(),
  kind        text NOT NULL,
  actor       text NOT NULL,
  subject_id  text COLLATE "C",
  body        jsonb NOT NULL
);
CREATE INDEX timeline_device ON timeline (device_id, at, id);

-- What the manufacturer believes about a device, with its evidence; the owner sees and answers it.
CREATE TABLE inferences (
  id          text COLLATE "C" PRIMARY KEY,
  device_id   text COLLATE "C" NOT NULL REFERENCES devices (id),
  code        text NOT NULL,
  title       text NOT NULL,
  detail      text NOT NULL,
  evidence    jsonb NOT NULL,
  status      text NOT NULL CHECK (status IN ('open', 'disputed', 'upheld', 'corrected', 'withdrawn')),
  author_id   text COLLATE "C" NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inferences_device ON inferences (device_id, created_at);

CREATE TABLE inference_notes (
  id            text COLLATE "C" PRIMARY KEY,
  inference_id  text COLLATE "C" NOT NULL REFERENCES inferences (id),
  kind          text NOT NULL CHECK (kind IN ('dispute', 'annotation', 'response')),
  body          text NOT NULL,
  author_id     text COLLATE "C" NOT NULL,
  author_kind   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inference_notes_inference ON inference_notes (inference_id, created_at);

-- Commands proposed by the manufacturer; delivered only once approved (by the owner, a standing
-- policy, or as a configured emergency class).
CREATE TABLE commands (
  id           text COLLATE "C" PRIMARY KEY,
  device_id    text COLLATE "C" NOT NULL REFERENCES devices (id),
  period_id    text COLLATE "C",
  class        text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('command', 'config', 'firmware_offer')),
  body         jsonb NOT NULL,
  reason       text NOT NULL,
  emergency    boolean NOT NULL DEFAULT false,
  state        text NOT NULL CHECK (state IN ('pending', 'approved', 'declined', 'sent', 'acked', 'failed', 'expired')),
  approval     text CHECK (approval IN ('owner', 'policy', 'emergency', 'unowned')),
  proposed_by  text COLLATE "C" NOT NULL,
  proposed_at  timestamptz NOT NULL DEFAULT now(),
  decided_by   text COLLATE "C",
  decided_at   timestamptz,
  sent_at      timestamptz,
  result_at    timestamptz,
  result_detail text,
  expires_at   timestamptz NOT NULL
);
CREATE INDEX commands_device ON commands (device_id, proposed_at);

-- Standing approvals: commands of this class for this device (in this period) need no prompt.
CREATE TABLE command_policies (
  period_id   text COLLATE "C" NOT NULL REFERENCES ownership_periods (id),
  class       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (period_id, class)
);
