/**
 * Where each transition is drawn: from which box to which box. Shared by the Mermaid and DOT writers.
 *
 * A transition declared on a compound or parallel state S is drawn from S's border, except when it
 * lands inside S (e.g. the root's `CLOSE → .closed`): that one starts at S's "any state" node, drawn
 * inside S. A target that contains the source (re-entering an ancestor) is drawn to the state it
 * enters: the initial child (compound) or first region (parallel), down to a state that does not
 * contain the source.
 */

import type { ChartGraph, ChartState, ChartTransition } from './walk.js';
import { isWithin, transitionLabel } from './walk.js';

/** One drawn edge: one transition to one target. */
export interface ChartEdge {
  transition: ChartTransition;
  /** The state the edge starts from (its box, or its "any state" node when `fromAny`). */
  tail: string;
  /** True when the edge starts at the "any state" node of `tail`. */
  fromAny: boolean;
  /** The state the edge points to (a box or a cluster). */
  head: string;
  /** `TRIGGER [guard]`. */
  label: string;
}

/** True for a compound or parallel state (drawn as a cluster). */
export function isComposite(state: ChartState): boolean {
  return state.kind === 'compound' || state.kind === 'parallel';
}

function entryChild(state: ChartState): ChartState | undefined {
  if (state.kind === 'compound') return state.children.find((c) => c.id === state.initial);
  return state.children[0];
}

function resolveHead(graph: ChartGraph, source: ChartState, targetId: string): ChartState {
  let head = graph.byId.get(targetId);
  if (!head) throw new Error(`unknown target state ${targetId}`);
  while (isComposite(head) && isWithin(graph, source.id, head.id)) {
    const next = entryChild(head);
    if (!next) break;
    head = next;
  }
  return head;
}

/** Every transition with targets, as drawn edges (one per target), in document order. */
export function chartEdges(graph: ChartGraph): ChartEdge[] {
  const edges: ChartEdge[] = [];
  for (const t of graph.transitions) {
    const source = graph.byId.get(t.source);
    if (!source) throw new Error(`unknown source state ${t.source}`);
    for (const target of t.targets) {
      const head = resolveHead(graph, source, target);
      const fromAny = isComposite(source) && isWithin(graph, head.id, source.id);
      edges.push({ transition: t, tail: source.id, fromAny, head: head.id, label: transitionLabel(t) });
    }
  }
  return edges;
}

/** The transitions of `stateId` that have no target (actions only), in document order. */
export function targetlessTransitions(graph: ChartGraph, stateId: string): ChartTransition[] {
  return graph.transitions.filter((t) => t.source === stateId && t.targets.length === 0);
}

/** `LABEL / action, action` for a targetless transition (or a line of entry/exit actions). */
export function withActions(label: string, actions: readonly string[]): string {
  return actions.length > 0 ? `${label} / ${actions.join(', ')}` : label;
}

/** The lines a state's box lists: entry, exit, invoke, then its targetless transitions. */
export function stateLines(graph: ChartGraph, state: ChartState): string[] {
  const lines: string[] = [];
  if (state.entry.length > 0) lines.push(withActions('entry', state.entry));
  if (state.exit.length > 0) lines.push(withActions('exit', state.exit));
  for (const src of state.invoke) lines.push(`invoke ${src}`);
  for (const t of targetlessTransitions(graph, state.id))
    lines.push(withActions(transitionLabel(t), t.actions));
  return lines;
}
