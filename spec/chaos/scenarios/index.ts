// zookit's own chaos scenarios, the ones `npm run chaos` and CI's bounded run (chaos-ci.spec.ts)
// run: each checks one or more of issue 18's invariants (docs/chaos.md#invariants). A fresh
// instance per run: a scenario keeps the state of the run it is in.

import type { ChaosScenario } from '../../../testing/index.js';
import { acknowledgedWritesScenario } from './acknowledged-writes.js';
import { cacheConvergenceScenario } from './cache-convergence.js';
import { mutualExclusionScenario } from './mutual-exclusion.js';
import { orderingScenario } from './ordering.js';
import { recipesFinishScenario } from './recipes-finish.js';
import { watchCompletenessScenario } from './watch-completeness.js';

/** Makes one of each of zookit's scenarios, in the order they start. */
export function zookitScenarios(): ChaosScenario[] {
  return [
    mutualExclusionScenario(),
    acknowledgedWritesScenario(),
    watchCompletenessScenario(),
    orderingScenario(),
    cacheConvergenceScenario(),
    recipesFinishScenario(),
  ];
}
