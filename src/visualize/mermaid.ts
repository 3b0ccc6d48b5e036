/**
 * A chart as a Mermaid `stateDiagram-v2` (renders on GitHub).
 *
 * Every state is declared as `state "key" as id` (ids are the XState ids with every character other
 * than letters, digits and `_` replaced by `_`, so `peer.connecting` becomes `peer_connecting`), compound
 * states nest, parallel regions are separated by `--`, `[*]` marks initial and final states.
 * Transitions are labelled `EVENT [guard]`, `always [guard]`, `after <delay>`, `done <src>`,
 * `error <src>`. A state's box lists its entry/exit actions, invoked actors and targetless transitions
 * (`EVENT [guard] / actions`); for a compound or parallel state those go on its "any state" node, which
 * is also where transitions that land inside the state start from.
 */

import type { ChartEdge } from './edges.js';
import { chartEdges, isComposite, stateLines } from './edges.js';
import type { ChartGraph, ChartState } from './walk.js';

const TOP = '';

/** Mermaid ids, unique per chart, stable for a given chart. */
function mermaidIds(graph: ChartGraph): Map<string, string> {
  const ids = new Map<string, string>();
  const used = new Set<string>();
  for (const state of graph.states) {
    const base = state.id.replace(/[^A-Za-z0-9_]/g, '_');
    let id = /^[A-Za-z]/.test(base) ? base : `s_${base}`;
    for (let n = 2; used.has(id); n++) id = `${base}_${n}`;
    used.add(id);
    ids.set(state.id, id);
  }
  return ids;
}

/** Text Mermaid takes literally in a label or a quoted name. */
function text(value: string): string {
  return value
    .replace(/[\r\n]+/g, ' ')
    .replace(/;/g, ',')
    .replace(/"/g, "'");
}

/** Renders a walked chart as Mermaid `stateDiagram-v2` source (ends with a newline). */
export function toMermaid(graph: ChartGraph): string {
  const ids = mermaidIds(graph);
  const idOf = (stateId: string): string => ids.get(stateId) ?? stateId;
  const anyId = (stateId: string): string => `${idOf(stateId)}__any`;
  const edges = chartEdges(graph);

  const needsAny = new Set<string>();
  for (const state of graph.states) {
    if (isComposite(state) && stateLines(graph, state).length > 0) needsAny.add(state.id);
  }
  for (const edge of edges) if (edge.fromAny) needsAny.add(edge.tail);

  /** The block a state is declared in: its parent (TOP for the root). */
  const scopeOf = (stateId: string): string => graph.byId.get(stateId)?.parent ?? TOP;
  /** The block an "any state" node is declared in: inside a compound state, beside a parallel one. */
  const anyScopeOf = (state: ChartState): string => {
    if (state.kind === 'parallel') return state.parent ?? TOP;
    return state.parent === null ? TOP : state.id;
  };
  const edgeScope = (edge: ChartEdge): string | null => {
    const tail = graph.byId.get(edge.tail);
    const from = edge.fromAny && tail ? anyScopeOf(tail) : scopeOf(edge.tail);
    return from === scopeOf(edge.head) ? from : null;
  };

  const lines = [
    'stateDiagram-v2',
    `  %% ${graph.id}: generated from machines/ by src/visualize; do not edit`,
  ];
  lines.push('  classDef anyState fill:#ffffff,stroke:#8c959f,stroke-dasharray:4 4,color:#57606a');
  const placed = new Set<ChartEdge>();

  const edgeLine = (pad: string, edge: ChartEdge): string => {
    const from = edge.fromAny ? anyId(edge.tail) : idOf(edge.tail);
    return `${pad}${from} --> ${idOf(edge.head)} : ${text(edge.label)}`;
  };

  const emitAny = (state: ChartState, pad: string): void => {
    if (!needsAny.has(state.id)) return;
    const id = anyId(state.id);
    lines.push(`${pad}state "any state of ${text(state.key)}" as ${id}`);
    for (const line of stateLines(graph, state)) lines.push(`${pad}${id} : ${text(line)}`);
    lines.push(`${pad}class ${id} anyState`);
  };

  const emitState = (state: ChartState, pad: string): void => {
    const id = idOf(state.id);
    if (!isComposite(state)) {
      const name = state.kind === 'history' ? (state.history === 'deep' ? 'H*' : 'H') : state.key;
      lines.push(`${pad}state "${text(name)}" as ${id}`);
      for (const line of stateLines(graph, state)) lines.push(`${pad}${id} : ${text(line)}`);
      return;
    }
    if (state.kind === 'parallel') emitAny(state, pad);
    lines.push(`${pad}state "${text(state.key)}" as ${id} {`);
    emitContent(state, `${pad}  `);
    lines.push(`${pad}}`);
  };

  const emitContent = (state: ChartState, pad: string): void => {
    if (state.kind === 'parallel') {
      state.children.forEach((child, i) => {
        if (i > 0) lines.push(`${pad}--`);
        emitState(child, pad);
      });
      return;
    }
    emitAny(state, pad);
    for (const child of state.children) emitState(child, pad);
    if (state.initial !== null) lines.push(`${pad}[*] --> ${idOf(state.initial)}`);
    for (const child of state.children) {
      if (child.kind === 'final') lines.push(`${pad}${idOf(child.id)} --> [*]`);
    }
    if (state.parent === null) return;
    for (const edge of edges) {
      if (edgeScope(edge) !== state.id) continue;
      lines.push(edgeLine(pad, edge));
      placed.add(edge);
    }
  };

  if (graph.root.kind === 'compound') emitContent(graph.root, '  ');
  else emitState(graph.root, '  ');
  for (const edge of edges) if (!placed.has(edge)) lines.push(edgeLine('  ', edge));
  return `${lines.join('\n')}\n`;
}
