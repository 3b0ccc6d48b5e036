/**
 * The published JSON of each chart loads back into `createMachine` (as the Stately tools import it)
 * with the same state nodes and the same transitions as the chart in machines/.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { createMachine } from 'xstate';
import { listCharts } from '../../src/visualize/charts.js';

const OUT = new URL('../../visualizations/', import.meta.url);

/** State nodes (id, type, initial) and transitions (source, event, targets) of a machine, sorted. */
function shape(machine: AnyStateMachine): { states: string[]; transitions: string[] } {
  const states: string[] = [];
  const transitions: string[] = [];
  const visit = (node: AnyStateNode): void => {
    const initial = node.type === 'compound' ? (node.initial?.target ?? []).map((s) => s.id) : [];
    states.push(JSON.stringify([node.id, node.type, initial]));
    for (const [event, list] of node.transitions) {
      for (const t of list)
        transitions.push(JSON.stringify([node.id, event, (t.target ?? []).map((s) => s.id)]));
    }
    for (const t of node.always ?? []) {
      transitions.push(JSON.stringify([node.id, 'always', (t.target ?? []).map((s) => s.id)]));
    }
    for (const child of Object.values(node.states as Record<string, AnyStateNode>)) visit(child);
  };
  visit(machine.root);
  return { states: states.sort(), transitions: transitions.sort() };
}

const charts = listCharts();

it('every chart of the design is published', () => {
  expect(charts.map((c) => c.name)).toEqual(expect.arrayContaining(['peer', 'signaling', 'system']));
});

describe.each(charts)('$name (json)', ({ name, machine }) => {
  const text = readFileSync(fileURLToPath(new URL(`${name}.json`, OUT)), 'utf8');
  const config = JSON.parse(text) as Parameters<typeof createMachine>[0];

  it('loads into createMachine with the same state nodes and transitions', () => {
    // No implementations: named actions, guards, actors and delays stay names, as in the Stately editor.
    const loaded = createMachine(config);
    const original = shape(machine);
    const imported = shape(loaded);
    expect(imported.states).toEqual(original.states);
    expect(imported.transitions).toEqual(original.transitions);
    expect(original.transitions.length).toBeGreaterThan(0);
  });

  it('names every function it could not keep', () => {
    expect(text).not.toMatch(/=>|function \(/);
    if (typeof machine.config.context === 'function') {
      expect((config as { context?: unknown }).context).toBe('[inline function: context]');
    }
  });
});
