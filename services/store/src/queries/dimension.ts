/** Which devices a fleet query covers, by the device dimension: a model and/or a cohort tag. */
export interface DimensionFilter {
  model?: string;
  /** A cohort tag such as `region:eu-west`. */
  tag?: string;
}

/** `AND device_id IN (…)` for the filter ('' when there is none); binds `{model:String}` and `{tag:String}`. */
export function dimensionSql(f: DimensionFilter): string {
  const where = [f.model === undefined ? '' : 'model = {model:String}', f.tag === undefined ? '' : 'has(tags, {tag:String})'].filter(Boolean);
  return where.length ? `AND device_id IN (SELECT device_id FROM devices FINAL WHERE ${where.join(' AND ')})` : '';
}

/** Query parameters of {@link dimensionSql}. */
export const dimensionParams = (f: DimensionFilter) => ({ model: f.model ?? '', tag: f.tag ?? '' });
