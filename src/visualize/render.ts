/**
 * Renders visualizations from the charts: per chart `<chart>.mmd` (Mermaid), `<chart>.svg`
 * (Graphviz, offline) and `<chart>.json` (`machine.config` for the Stately tools). The output is a
 * pure function of machines/ (stable order, no timestamps), so it can be checked for freshness.
 * Writing the files is src/node/visualizations.ts's job (this folder uses no Node built-ins).
 */

import type { AnyStateMachine } from 'xstate';
import { listCharts } from './charts.js';
import { toDot } from './dot.js';
import { configToJson } from './json.js';
import { toMermaid } from './mermaid.js';
import { renderSvg } from './svg.js';
import { walkMachine } from './walk.js';

/** The files of one chart, by file name; Graphviz warnings go to `onWarning` (default: stderr). */
export async function renderChart(
  name: string,
  machine: AnyStateMachine,
  onWarning?: (message: string) => void,
): Promise<Map<string, string>> {
  const graph = walkMachine(machine);
  return new Map([
    [`${name}.json`, configToJson(machine)],
    [`${name}.mmd`, toMermaid(graph)],
    [`${name}.svg`, await renderSvg(toDot(graph), onWarning)],
  ]);
}

/** Every file visualizations/ should hold, by file name, sorted. */
export async function renderAll(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const { name, machine } of listCharts()) {
    for (const [file, content] of await renderChart(name, machine)) files.set(file, content);
  }
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
