/**
 * `npm run model-check`: every scenario of ./scenarios.ts at its full bound; prints the table of
 * ./report.ts and exits non-zero on any violation or stuck state. `-- --small` runs the small bound,
 * `-- --only <text>` the scenarios whose name contains it.
 */
import { formatTable, runScenario } from './report.js';
import { SCENARIOS } from './scenarios.js';

const args = process.argv.slice(2);
const bound = args.includes('--small') ? 'small' : 'full';
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const results = [];
for (const scenario of SCENARIOS) {
  if (only && !scenario.name.includes(only)) continue;
  const outcome = runScenario(scenario, bound);
  console.error(`${scenario.name}: ${outcome.result.states} states, ${outcome.result.seconds.toFixed(1)} s`);
  results.push(outcome);
}
console.log(`model check, ${bound} bound`);
console.log(formatTable(results));
const failed = results.some(
  ({ result }) => result.violations.length + result.stuck.length > 0 || !result.complete,
);
process.exitCode = failed ? 1 : 0;
