/**
 * A query's `[from, to)` (ms parameters `from`, `to`) on a rollup's time column: widened to whole
 * hours on `hour`, to whole UTC days on `day`, so every bucket the range touches is in.
 */
export const HOUR_RANGE = "hour >= toStartOfHour(fromUnixTimestamp64Milli({from:Int64}, 'UTC')) AND hour < fromUnixTimestamp64Milli({to:Int64}, 'UTC')";
export const DAY_RANGE = "day >= toDate(fromUnixTimestamp64Milli({from:Int64}, 'UTC')) AND toDateTime(day) < fromUnixTimestamp64Milli({to:Int64}, 'UTC')";
