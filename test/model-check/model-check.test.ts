/**
 * The model check at its small bound (docs/model-check.md): every scenario of ./scenarios.ts explored
 * exhaustively, with no safety violation and no state from which the peers cannot get to the goal.
 * `npm run model-check` runs the full bound.
 */
import { expect, it } from 'vitest';
import { formatTable, runScenario } from './report.js';
import { SCENARIOS } from './scenarios.js';

it('every scenario at the small bound: no violation, no stuck state, state space exhausted', () => {
  const results = SCENARIOS.map((scenario) => runScenario(scenario, 'small'));
  console.log(formatTable(results));
  for (const { scenario, result } of results) {
    expect({ scenario: scenario.name, violations: result.violations, stuck: result.stuck }).toEqual({
      scenario: scenario.name,
      violations: [],
      stuck: [],
    });
    expect(result.complete).toBe(true);
    // The scenario reached both peers connected (or closed) somewhere: it exercised the charts.
    expect(result.states).toBeGreaterThan(50);
  }
}, 120_000);
