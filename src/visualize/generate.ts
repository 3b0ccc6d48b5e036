/**
 * Generates visualizations/ from the charts: per chart `<chart>.mmd` (Mermaid), `<chart>.svg`
 * (Graphviz, offline) and `<chart>.json` (`machine.config` for the Stately tools). The output is a
 * pure function of machines/ (stable order, no timestamps), so it can be checked for freshness.
 * visualizations/ holds generated files only.
 */

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
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

async function listFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** How a visualizations folder differs from what the charts generate now. */
export interface Staleness {
  /** Generated files that are not there. */
  missing: string[];
  /** Files whose content differs. */
  changed: string[];
  /** Files there that the generator does not produce. */
  extra: string[];
}

/** Compares `outDir` with {@link renderAll}; every list is empty when it is fresh. */
export async function checkVisualizations(outDir: string): Promise<Staleness> {
  const expected = await renderAll();
  const present = await listFiles(outDir);
  const result: Staleness = { missing: [], changed: [], extra: [] };
  for (const [file, content] of expected) {
    if (!present.includes(file)) result.missing.push(file);
    else if ((await readFile(path.join(outDir, file), 'utf8')) !== content) result.changed.push(file);
  }
  result.extra = present.filter((file) => !expected.has(file));
  return result;
}

/**
 * Writes every generated file into `outDir` (created if needed) and removes files there that the
 * generator no longer produces. Returns the paths written.
 */
export async function generateVisualizations(outDir: string): Promise<string[]> {
  const files = await renderAll();
  await mkdir(outDir, { recursive: true });
  for (const file of await listFiles(outDir)) {
    if (!files.has(file)) await rm(path.join(outDir, file));
  }
  const written: string[] = [];
  for (const [file, content] of files) {
    const target = path.join(outDir, file);
    await writeFile(target, content);
    written.push(target);
  }
  return written;
}
