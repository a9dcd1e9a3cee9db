import { fridgeX1 } from './fridge-x1.js';
import { heatpumpH3 } from './heatpump-h3.js';
import type { ApplianceModel } from './types.js';
import { washerW2 } from './washer-w2.js';

export type { ApplianceModel, ApplianceSim, CommandOutcome, MetricSpec, ModelOptions } from './types.js';
export { isValidMetricName, MAX_METRIC_NAME_LENGTH } from './metric-name.js';
export { fridgeX1 } from './fridge-x1.js';
export { washerW2 } from './washer-w2.js';
export { heatpumpH3 } from './heatpump-h3.js';

/** Every model the simulator knows, by name. */
export const MODELS: ReadonlyMap<string, ApplianceModel> = new Map(
  [fridgeX1, washerW2, heatpumpH3].map((m) => [m.name, m]),
);

/** Looks a model up by name; throws a message listing the known ones. */
export function getModel(name: string): ApplianceModel {
  const model = MODELS.get(name);
  if (!model) throw new Error(`unknown model "${name}" (known: ${[...MODELS.keys()].join(', ')})`);
  return model;
}
