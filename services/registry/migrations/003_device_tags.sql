-- Cohort tags per device (region:eu-west, cohort:beta, …): fleet analytics filter and group by them.
ALTER TABLE devices ADD COLUMN tags text[] NOT NULL DEFAULT '{}';
