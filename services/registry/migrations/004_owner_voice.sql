-- The owner's voice: notes pinned to a moment (or span) of a device's timeline, with every version
-- kept and the thread of replies; ideas for a model with one vote per ownership period, comments and
-- the manufacturer's status updates. Forward-only: add a later file for changes.

-- A note belongs to the ownership period it was written in: only that household (and the
-- manufacturer) sees it, and erasing the period deletes it. The row holds the current version.
CREATE TABLE notes (
  id          text COLLATE "C" PRIMARY KEY,
  device_id   text COLLATE "C" NOT NULL REFERENCES devices (id),
  period_id   text COLLATE "C" NOT NULL REFERENCES ownership_periods (id),
  author_id   text COLLATE "C" NOT NULL,
  -- The firmware the device ran when the note was written: fleet views count feedback per version.
  firmware    text NOT NULL,
  version     integer NOT NULL,
  at          timestamptz NOT NULL,
  until       timestamptz,
  category    text NOT NULL CHECK (category IN ('noise', 'smell', 'leak', 'performance', 'usage-context', 'other')),
  text        text NOT NULL,
  status      text NOT NULL CHECK (status IN ('open', 'withdrawn')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (until IS NULL OR until >= at)
);
CREATE INDEX notes_device ON notes (device_id, at);
CREATE INDEX notes_period ON notes (period_id);
CREATE INDEX notes_created ON notes (created_at);

-- Every version of a note, the current one included: an edit or a withdrawal adds a row, never
-- rewrites one.
CREATE TABLE note_versions (
  note_id     text COLLATE "C" NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
  version     integer NOT NULL,
  at          timestamptz NOT NULL,
  until       timestamptz,
  category    text NOT NULL,
  text        text NOT NULL,
  status      text NOT NULL,
  author_id   text COLLATE "C" NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (note_id, version)
);

CREATE TABLE note_replies (
  id          text COLLATE "C" PRIMARY KEY,
  note_id     text COLLATE "C" NOT NULL REFERENCES notes (id) ON DELETE CASCADE,
  author_id   text COLLATE "C" NOT NULL,
  author_kind text NOT NULL,
  text        text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX note_replies_note ON note_replies (note_id, created_at);

-- A proposal for a model, by the manufacturer or by an owner (then `period_id` is the ownership it
-- was proposed from, so erasing that period deletes it).
CREATE TABLE ideas (
  id          text COLLATE "C" PRIMARY KEY,
  model       text NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL,
  status      text NOT NULL CHECK (status IN ('proposed', 'under-review', 'planned', 'shipped', 'declined')),
  author_id   text COLLATE "C" NOT NULL,
  author_kind text NOT NULL CHECK (author_kind IN ('manufacturer', 'owner')),
  period_id   text COLLATE "C" REFERENCES ownership_periods (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ideas_model ON ideas (model, created_at);
CREATE INDEX ideas_period ON ideas (period_id) WHERE period_id IS NOT NULL;

-- One vote per idea and ownership period: a transfer starts a new period, so the next owner votes
-- anew and the previous owner's vote stays with the previous period. The device's firmware and
-- tags at voting time are the cohort the vote is counted in.
CREATE TABLE idea_votes (
  idea_id     text COLLATE "C" NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
  period_id   text COLLATE "C" NOT NULL REFERENCES ownership_periods (id),
  device_id   text COLLATE "C" NOT NULL,
  owner_id    text COLLATE "C" NOT NULL,
  account_id  text COLLATE "C" NOT NULL,
  value       text NOT NULL CHECK (value IN ('up', 'down')),
  firmware    text NOT NULL,
  tags        text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (idea_id, period_id)
);
CREATE INDEX idea_votes_period ON idea_votes (period_id);

CREATE TABLE idea_comments (
  id           text COLLATE "C" PRIMARY KEY,
  idea_id      text COLLATE "C" NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
  -- The ownership an owner spoke from (erasure deletes the comment with it); null for engineers.
  period_id    text COLLATE "C" REFERENCES ownership_periods (id),
  author_id    text COLLATE "C" NOT NULL,
  author_kind  text NOT NULL,
  text         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idea_comments_idea ON idea_comments (idea_id, created_at);
CREATE INDEX idea_comments_period ON idea_comments (period_id) WHERE period_id IS NOT NULL;

-- The manufacturer's status changes with their message ("shipped in 2.1").
CREATE TABLE idea_updates (
  id          text COLLATE "C" PRIMARY KEY,
  idea_id     text COLLATE "C" NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
  status      text NOT NULL,
  message     text NOT NULL,
  author_id   text COLLATE "C" NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idea_updates_idea ON idea_updates (idea_id, created_at);
