// The drills `tandem drill` knows, in the order --help lists them.

import { arrayLoss } from './array-loss.js';
import type { Scenario } from './context.js';
import { failback } from './failback.js';
import { linkCut } from './link-cut.js';
import { siteLoss } from './site-loss.js';

export const SCENARIOS: readonly Scenario[] = [arrayLoss, linkCut, siteLoss, failback];

export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
