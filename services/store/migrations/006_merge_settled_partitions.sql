-- A month's partition that has had no new part for an hour is merged into one part.
--
-- Why: a one-device read (a conversation page, a metric series) opens every part of every
-- partition its range covers, and each part costs about a millisecond whatever it holds
-- (measured on 100M samples: 13 parts of uplinks, 24 ms for a 500-row page; 2 parts, 11.5 ms).
-- The engine's own merge policy leaves a finished month in several parts for good. With this,
-- every finished month is one part, so a device with a year of history pays for 12 parts plus
-- the current month's, not for 12 × 6. Duplicates a re-delivery left in a closed month go in the
-- same merge.
--
-- `on_partition_only`: only a whole partition all of whose parts are older than the hour, so a
-- month written to at least hourly (the current month of the telemetry tables) keeps the engine's
-- usual merge policy rather than being rewritten on every insert. A partition that went quiet for
-- an hour is rewritten once: a closed month once, a late store-and-forward batch for it once, the
-- current month of a quiet table (downlinks, dead letters, a fleet that stopped sending) once per
-- quiet spell.
ALTER TABLE uplinks MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE samples MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE events MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE command_results MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE downlinks MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE dead_letters MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE metric_hourly MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE event_hourly MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE activity_hourly MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE metric_fleet_hourly MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE metric_daily MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
ALTER TABLE activity_daily MODIFY SETTING min_age_to_force_merge_seconds = 3600, min_age_to_force_merge_on_partition_only = 1;
