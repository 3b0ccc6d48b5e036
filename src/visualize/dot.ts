/**
 * A chart as Graphviz DOT (rendered to SVG by svg.ts).
 *
 * Atomic and final states are boxes (final: double border), compound and parallel states are
 * clusters (a parallel state's regions have dashed borders), a dot marks each initial state. A box or
 * cluster label lists entry/exit actions, invoked actors and targetless transitions. Edges carry
 * `EVENT [guard]` and, in grey, their actions; `always` edges are dashed, `error <src>` edges red.
 *
 * Layout: an edge back to a state declared earlier in the chart is drawn reversed (`dir=back`), so
 * ranks follow the chart's own order (peer: disconnected → ... → connected → failed, closed). Edges
 * between the same two ends become one edge with a label line per transition. Edges leave a cluster
 * from an invisible node at its bottom and enter it at its initial dot (ltail/lhead clip them at the
 * border).
 *
 * Every state's box or cluster carries the SVG id `state:<state id>` (e.g. `state:peer.live.connected`),
 * so a page can find the active states of a running actor in the drawing and highlight them.
 */

import type { ChartEdge } from './edges.js';
import { chartEdges, isComposite, stateLines } from './edges.js';
import type { ChartGraph, ChartState } from './walk.js';

const FONT = 'DejaVu Sans';
const MUTED = '#57606a';
const INK = '#24292f';
const ERROR = '#cf222e';

/** The SVG id of a state's box or cluster: `state:` and XState's state id. */
export function stateElementId(stateId: string): string {
  return `state:${stateId}`;
}

/** A double-quoted DOT id or attribute value. */
function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** Text for an HTML-like label. */
function html(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** ` [k="v", ...]`; a value starting with `<` is an HTML-like label and goes in unquoted. */
function attrs(values: Record<string, string | number | undefined>): string {
  const parts = Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' && v.startsWith('<') ? v : quote(String(v))}`);
  return parts.length > 0 ? ` [${parts.join(', ')}]` : '';
}

function table(rows: readonly string[]): string {
  return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">${rows.join('')}</table>>`;
}

function small(text: string, size = 9): string {
  return `<font point-size="${size}" color="${MUTED}">${html(text)}</font>`;
}

/** A box or cluster label: the state's name in bold, then its lines, small and grey. */
function stateLabel(title: string, lines: readonly string[]): string {
  return table([
    `<tr><td align="left"><b>${html(title)}</b></td></tr>`,
    ...lines.map((line) => `<tr><td align="left">${small(line)}</td></tr>`),
  ]);
}

/** Breaks a long `TRIGGER [guard]` before the guard and between `&`/`|` terms. */
function wrapLabel(label: string): string[] {
  const open = label.indexOf(' [');
  if (label.length <= 32 || open < 0) return [label];
  const guard = label.slice(open + 1);
  return [label.slice(0, open), ...(guard.length > 40 ? guard.split(/(?<= [&|]) /) : [guard])];
}

/** One label for the transitions an edge stands for: each trigger, its actions below it. */
function edgeLabel(edges: readonly ChartEdge[]): string {
  const rows: string[] = [];
  for (const edge of edges) {
    const color = edge.transition.kind === 'error' ? ` color="${ERROR}"` : '';
    for (const line of wrapLabel(edge.label))
      rows.push(`<tr><td><font${color}>${html(line)}</font></td></tr>`);
    const { actions } = edge.transition;
    if (actions.length > 0) rows.push(`<tr><td>${small(`/ ${actions.join(', ')}`, 8)}</td></tr>`);
  }
  return table(rows);
}

interface Endpoint {
  node: string;
  /** The cluster the edge is clipped at (`ltail`/`lhead`), for a compound or parallel state. */
  cluster?: string;
}

/** Renders a walked chart as Graphviz DOT source (ends with a newline). */
export function toDot(graph: ChartGraph): string {
  const order = new Map(graph.states.map((s, i) => [s.id, i]));
  const get = (id: string): ChartState => {
    const state = graph.byId.get(id);
    if (!state) throw new Error(`unknown state ${id}`);
    return state;
  };
  const isCluster = (state: ChartState): boolean => isComposite(state) && state.children.length > 0;
  const clusterOf = (state: ChartState): string => `cluster_${state.id}`;
  const initialNode = (state: ChartState): string => `${state.id}:initial`;
  const exitNode = (state: ChartState): string => `${state.id}:exit`;
  const anyNode = (state: ChartState): string => `${state.id}:any`;
  /** Where edges enter a cluster: its initial dot (a parallel state's: its first region's). */
  const entryAnchor = (state: ChartState): string => {
    const first = state.children[0];
    if (state.kind === 'compound' && state.initial !== null) return initialNode(state);
    return first && isCluster(first) ? entryAnchor(first) : (first?.id ?? state.id);
  };
  /** The upper end of a drawn edge: a box, or a cluster left from its bottom. */
  const upper = (state: ChartState): Endpoint =>
    isCluster(state) ? { node: exitNode(state), cluster: clusterOf(state) } : { node: state.id };
  /** The lower end of a drawn edge: a box, or a cluster entered at its initial dot. */
  const lower = (state: ChartState): Endpoint =>
    isCluster(state) ? { node: entryAnchor(state), cluster: clusterOf(state) } : { node: state.id };

  // An edge back to a state declared earlier is drawn reversed (dir=back), so every edge ranks its
  // states in the chart's order. Edges between the same two ends, drawn the same way, become one.
  interface Group {
    from: Endpoint;
    to: Endpoint;
    back: boolean;
    dashed: boolean;
    edges: ChartEdge[];
  }
  const groups = new Map<string, Group>();
  /** States whose "any state" node, and clusters whose bottom exit node, some edge uses. */
  const anyTails = new Set<string>();
  const exits = new Set<string>();
  for (const edge of chartEdges(graph)) {
    const source = get(edge.tail);
    const target = get(edge.head);
    const back = (order.get(target.id) ?? 0) < (order.get(source.id) ?? 0);
    const start: Endpoint = edge.fromAny ? { node: anyNode(source) } : back ? lower(source) : upper(source);
    const end = back ? upper(target) : lower(target);
    const top = back ? target : edge.fromAny ? undefined : source;
    if (top && isCluster(top)) exits.add(top.id);
    if (edge.fromAny) anyTails.add(source.id);
    const dashed = edge.transition.kind === 'always';
    const [from, to] = back ? [end, start] : [start, end];
    const key = JSON.stringify([from, to, back, dashed]);
    const group = groups.get(key) ?? { from, to, back, dashed, edges: [] };
    group.edges.push(edge);
    groups.set(key, group);
  }

  const lines = [
    `digraph ${quote(graph.id)} {`,
    `  graph${attrs({ compound: 'true', fontname: FONT, fontsize: 12, nodesep: 0.3, ranksep: 0.45, labeljust: 'l', pad: 0.2 })}`,
    `  node${attrs({ shape: 'box', style: 'rounded,filled', fillcolor: '#f6f8fa', color: MUTED, fontname: FONT, fontsize: 11, margin: '0.12,0.06' })}`,
    `  edge${attrs({ fontname: FONT, fontsize: 9, color: MUTED, fontcolor: INK, arrowsize: 0.7 })}`,
  ];

  const atomicDescendants = (state: ChartState): ChartState[] =>
    state.children.flatMap((c) => (isCluster(c) ? atomicDescendants(c) : [c]));

  const emitState = (state: ChartState, pad: string, inParallel: boolean): void => {
    if (!isCluster(state)) {
      const history = state.history === 'deep' ? 'H*' : 'H';
      const look =
        state.kind === 'history'
          ? { shape: 'circle', label: history, width: 0.3, fixedsize: 'true' }
          : {
              id: stateElementId(state.id),
              label: stateLabel(state.key, stateLines(graph, state)),
              peripheries: state.kind === 'final' ? 2 : undefined,
              tooltip: state.description ?? undefined,
            };
      lines.push(`${pad}${quote(state.id)}${attrs(look)}`);
      return;
    }
    const inner = `${pad}  `;
    lines.push(`${pad}subgraph ${quote(clusterOf(state))} {`);
    lines.push(`${inner}id=${quote(stateElementId(state.id))}`);
    const notes =
      state.kind === 'parallel'
        ? ['parallel regions', ...stateLines(graph, state)]
        : stateLines(graph, state);
    lines.push(`${inner}label=${stateLabel(state.key, notes)}`);
    lines.push(`${inner}style=${quote(inParallel ? 'rounded,dashed' : 'rounded')}`);
    lines.push(`${inner}color=${quote(MUTED)}`);
    if (state.description) lines.push(`${inner}tooltip=${quote(state.description)}`);
    if (anyTails.has(state.id)) {
      const look = { label: 'any state', style: 'rounded,dashed', fontsize: 9, fontcolor: MUTED };
      lines.push(`${inner}${quote(anyNode(state))}${attrs(look)}`);
    }
    if (state.kind === 'compound' && state.initial !== null) {
      const to = lower(get(state.initial));
      lines.push(
        `${inner}${quote(initialNode(state))}${attrs({ shape: 'point', width: 0.1, color: INK, fillcolor: INK })}`,
      );
      lines.push(`${inner}${quote(initialNode(state))} -> ${quote(to.node)}${attrs({ lhead: to.cluster })}`);
    }
    for (const child of state.children) emitState(child, inner, state.kind === 'parallel');
    if (exits.has(state.id)) {
      // Invisible, below every state inside: edges leaving the cluster start under it.
      lines.push(
        `${inner}${quote(exitNode(state))}${attrs({ shape: 'point', style: 'invis', width: 0.01 })}`,
      );
      for (const leaf of atomicDescendants(state)) {
        lines.push(
          `${inner}${quote(leaf.id)} -> ${quote(exitNode(state))}${attrs({ style: 'invis', weight: 0 })}`,
        );
      }
    }
    lines.push(`${pad}}`);
  };

  emitState(graph.root, '  ', false);

  for (const group of groups.values()) {
    const allErrors = group.edges.every((e) => e.transition.kind === 'error');
    lines.push(
      `  ${quote(group.from.node)} -> ${quote(group.to.node)}${attrs({
        label: edgeLabel(group.edges),
        ltail: group.from.cluster,
        lhead: group.to.cluster,
        dir: group.back ? 'back' : undefined,
        style: group.dashed ? 'dashed' : undefined,
        color: allErrors ? ERROR : undefined,
      })}`,
    );
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
