/** What the generated Mermaid and SVG must show, read from the files the generator writes. */
import { beforeAll, describe, expect, it } from 'vitest';
import { PEER_STATES } from '../../machines/peer.js';
import { listCharts } from '../../src/visualize/charts.js';
import { stateElementId } from '../../src/visualize/dot.js';
import { renderChart } from '../../src/visualize/render.js';
import { walkMachine } from '../../src/visualize/walk.js';

const charts = listCharts();
const files = new Map<string, string>();
const warnings: string[] = [];

beforeAll(async () => {
  for (const { name, machine } of charts) {
    const onWarning = (message: string) => warnings.push(`${name}: ${message}`);
    for (const [file, content] of await renderChart(name, machine, onWarning)) files.set(file, content);
  }
});

it('lays out every chart without a Graphviz warning (nothing of the drawing was ignored)', () => {
  expect(warnings).toEqual([]);
});

const file = (name: string): string => {
  const content = files.get(name);
  if (content === undefined) throw new Error(`${name} was not generated`);
  return content;
};

describe('peer.mmd', () => {
  it('declares each public state under an alias (in idle or live), disconnected initial, closed final', () => {
    const mmd = file('peer.mmd');
    expect(mmd.startsWith('stateDiagram-v2\n')).toBe(true);
    for (const state of PEER_STATES)
      expect(mmd).toMatch(new RegExp(`^ +state "${state}" as peer_(idle_|live_)?${state}\\b`, 'm'));
    expect(mmd).toMatch(/^ {2}\[\*\] --> peer_idle$/m);
    expect(mmd).toMatch(/^ {4}\[\*\] --> peer_idle_disconnected$/m);
    expect(mmd).toMatch(/^ {2}peer_closed --> \[\*\]$/m);
  });

  it('separates the parallel regions of connecting and labels always and after transitions', () => {
    const mmd = file('peer.mmd');
    expect(mmd).toMatch(/^ {6}--$/m);
    expect(mmd).toMatch(/ : always \[/);
    expect(mmd).toMatch(/ : after connectTimeout$/m);
  });
});

describe.each(charts)('$name (mmd)', ({ name, machine }) => {
  it('is plain stateDiagram-v2: identifier ids, balanced blocks, one line per transition target', () => {
    const mmd = file(`${name}.mmd`);
    let depth = 0;
    for (const line of mmd.trimEnd().split('\n').slice(1)) {
      const text = line.trim();
      if (text.endsWith('{')) depth++;
      else if (text === '}') depth--;
      expect(depth).toBeGreaterThanOrEqual(0);
      if (text.startsWith('state ')) expect(text).toMatch(/^state "[^"]+" as [A-Za-z]\w*( \{)?$/);
      else if (text.includes('-->'))
        expect(text).toMatch(/^(\[\*\]|[A-Za-z]\w*) --> (\[\*\]|[A-Za-z]\w*)( : .+)?$/);
    }
    expect(depth).toBe(0);
    const graph = walkMachine(machine);
    const targeted = graph.transitions.reduce((n, t) => n + t.targets.length, 0);
    const edges = mmd.split('\n').filter((l) => /^\s*[A-Za-z]\w* --> [A-Za-z]\w* : /.test(l)).length;
    expect(edges).toBe(targeted);
  });
});

describe.each(charts)('$name (svg)', ({ name, machine }) => {
  it('is one SVG document naming every state', () => {
    const svg = file(`${name}.svg`);
    expect(svg.startsWith('<?xml') || svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<svg\b/g)).toHaveLength(1);
    for (const state of walkMachine(machine).states) expect(svg).toContain(`>${state.key}</text>`);
  });

  it('gives every state one element with the stable id state:<state id>, which a page can look up', () => {
    const svg = file(`${name}.svg`);
    for (const state of walkMachine(machine).states) {
      const id = stateElementId(state.id);
      expect(id).toBe(`state:${state.id}`);
      expect(svg.split(`id="${id}"`)).toHaveLength(2);
    }
  });
});
