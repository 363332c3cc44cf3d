// Issue 9, goal 4: what each lifecycle path costs in Temporal history events and billable actions, held to the
// budget at the top of its lifecycle's file, where the count by hand is. The same paths are measured by
// `npm run bench` (bench/history-cost.ts), which also prints each path's breakdown and its children.
import { belowCount, COST_PATHS, type CostRig, overBudget, rigOf } from './helpers/cost-paths';
import { timeSkippingSuite } from './helpers/temporal';

const suite = timeSkippingSuite();
const rig = (): CostRig => rigOf(suite);

describe('history events and actions per lifecycle path, within budget', () => {
  it.each(COST_PATHS)('$rules: $title stays within its history budget ($file)', async (path) => {
    const cost = await path.run(rig());
    // Cheaper than counted: said, so the count and the budget come down, but not a failure.
    const below = belowCount(path, cost);
    if (below) console.warn(below);
    expect(overBudget(path, cost)).toBeNull();
  });
});
