import { MAX_METRIC_NAME_LENGTH, METRIC_NAME_PATTERN } from '@parley/proto';

export { MAX_METRIC_NAME_LENGTH };

/** Whether `name` is a metric name the platform accepts (the broker's own rule, from `@parley/proto`). */
export function isValidMetricName(name: string): boolean {
  return name.length <= MAX_METRIC_NAME_LENGTH && METRIC_NAME_PATTERN.test(name);
}
