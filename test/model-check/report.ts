/**
 * Runs the scenarios of ./scenarios.ts at one bound and formats the table `npm run model-check`
 * prints and the suite logs: per scenario its states, transitions, depth, seconds and violations.
 */
import type { CheckResult } from '../../src/testing/model-checker.js';
import { checkModel } from '../../src/testing/model-checker.js';
import type { PairOptions } from '../../src/testing/pair-model.js';
import { pairSystem } from '../../src/testing/pair-model.js';
import type { Scenario } from './scenarios.js';

/** One scenario's outcome. */
export interface ScenarioResult {
  scenario: Scenario;
  options: PairOptions;
  result: CheckResult;
}

/** Checks one scenario at `bound`. */
export function runScenario(scenario: Scenario, bound: 'small' | 'full', maxStates?: number): ScenarioResult {
  const options = scenario[bound];
  return { scenario, options, result: checkModel(pairSystem(options), maxStates ? { maxStates } : {}) };
}

/** The bounds of a scenario as the table prints them. */
export function describeBounds(options: PairOptions): string {
  const parts = [
    `window ${options.window ?? 2}`,
    `losses ${options.losses ?? 0}`,
    `duplicates ${options.duplicates ?? 0}`,
    `faults ${options.faults ?? 0}`,
    `early timers ${options.timers ?? 1}`,
    `capacity ${options.capacity ?? 8}`,
  ];
  if (options.send?.length) parts.push(`messages sent by ${options.send.join(', ')}`);
  if (options.startConnected) parts.push('from connected');
  return parts.join(', ');
}

/** A counterexample as lines: the message, then the moves that lead to it. */
function describeCounterexample(kind: string, c: { message: string; path: string[] }): string[] {
  return [`  ${kind}: ${c.message}`, ...c.path.map((move, i) => `    ${i + 1}. ${move}`)];
}

/** The table: one row per scenario, then its bounds and every counterexample. */
export function formatTable(results: readonly ScenarioResult[]): string {
  const header = ['scenario', 'states', 'transitions', 'depth', 'seconds', 'violations', 'stuck', 'complete'];
  const rows = results.map(({ scenario, result }) => [
    scenario.name,
    String(result.states),
    String(result.transitions),
    String(result.depth),
    result.seconds.toFixed(1),
    String(result.violations.length),
    String(result.stuck.length),
    result.complete ? 'yes' : 'no',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line), ''];
  for (const { scenario, options, result } of results) {
    out.push(`${scenario.name}: ${describeBounds(options)}; ${result.cut} states beyond capacity`);
    for (const v of result.violations) out.push(...describeCounterexample('violation', v));
    for (const s of result.stuck) out.push(...describeCounterexample('stuck', s));
  }
  return out.join('\n');
}
