/**
 * Walks a machine's definition (`machine.root`) into a small graph model: the state tree in document
 * order and every transition (events, `always`, `after`, invoke `onDone`/`onError`, state `onDone`)
 * with its guard, targets and actions named. The Mermaid and DOT writers draw it; src/testing counts
 * coverage against it and keys delayed and actor events by it, so both read a chart the same way.
 *
 * Nothing here is a copy of a chart: whatever the machines in machines/ define is what comes out.
 * Pure: no Node built-ins, nothing from src/testing.
 */

import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

/** The kind of a state node, as XState types it. */
export type StateKind = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

/** One state node of a chart. */
export interface ChartState {
  /** XState's id, e.g. `peer.connecting.negotiation` (the root's is the machine id). */
  id: string;
  /** The key under its parent (the machine id for the root). */
  key: string;
  /** Id of the parent state, null for the root. */
  parent: string | null;
  kind: StateKind;
  /** `deep` or `shallow` for a history state, else null. */
  history: 'deep' | 'shallow' | null;
  /** Id of the initial child of a compound state, else null. */
  initial: string | null;
  /** Child states, in the order the chart declares them. */
  children: ChartState[];
  /** Entry actions, named. */
  entry: string[];
  /** Exit actions, named. */
  exit: string[];
  /** Actors invoked while in this state, by `src` name. */
  invoke: string[];
  description: string | null;
}

/** What triggers a transition. */
export type TriggerKind = 'event' | 'always' | 'after' | 'done' | 'error' | 'snapshot' | 'doneState';

/** One transition of a chart (one entry of a guarded list is one transition). */
export interface ChartTransition {
  /** Stable identity, as {@link transitionKey} gives it: `<source id>:<event type or (always)>:<index>`. */
  key: string;
  /** Id of the state node that declares it. */
  source: string;
  /** XState's event type (`''` for `always`, `xstate.after.*` for delays, `xstate.done.*`, ...). */
  eventType: string;
  /** Position in the guarded list of its event (or of `always`), from 0. */
  index: number;
  kind: TriggerKind;
  /**
   * The trigger as shown: `EVENT`, `always`, `after <delay>`, `done <src>`, `error <src>`,
   * `snapshot <src>` (invoke `onSnapshot`), `done` (the state's own `onDone`).
   */
  trigger: string;
  /** For `after`: the delay as declared (its name, or a number of ms; `inline` for a function), else null. */
  delay: string | number | null;
  /** For `done`, `error` and `snapshot`: the invoked actor's `src` name (`inline` for inline logic), else null. */
  src: string | null;
  /** The guard, named (combinators and `stateIn` spelled out), or null. */
  guard: string | null;
  /** Target state ids; empty for a targetless transition (actions only). */
  targets: string[];
  actions: string[];
  reenter: boolean;
}

/** A chart as a graph: its state tree and its transitions, both in document order. */
export interface ChartGraph {
  /** The machine id. */
  id: string;
  root: ChartState;
  /** Every state node, root first, depth first in document order. */
  states: ChartState[];
  /** Every state node by id. */
  byId: ReadonlyMap<string, ChartState>;
  transitions: ChartTransition[];
}

type GuardFunction = ((...args: never[]) => unknown) & {
  guards?: unknown[];
  stateValue?: unknown;
};

function stateValueName(value: unknown, machineId: string, sourceId: string): string {
  if (typeof value === 'string') {
    const id = value.startsWith('#') ? value.slice(1) : value;
    if (id.startsWith(`${sourceId}.`)) return id.slice(sourceId.length + 1);
    if (id.startsWith(`${machineId}.`)) return id.slice(machineId.length + 1);
    return id;
  }
  if (value && typeof value === 'object') {
    return Object.entries(value)
      .map(([key, child]) => `${key}.${stateValueName(child, machineId, '')}`)
      .join(',');
  }
  return String(value);
}

/**
 * Names a guard for a label: a named guard by its name, `and`/`or`/`not` as `a & b`, `a | b`, `!a`,
 * `stateIn('#m.x.y')` as `in(x.y)` (relative to the source state when inside it).
 */
export function guardName(guard: unknown, machineId: string, sourceId: string): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const fn = guard as GuardFunction;
    if ('stateValue' in fn) return `in(${stateValueName(fn.stateValue, machineId, sourceId)})`;
    if (Array.isArray(fn.guards)) {
      const parts = fn.guards.map((g) => {
        const name = guardName(g, machineId, sourceId);
        return / [&|] /.test(name) ? `(${name})` : name;
      });
      if (fn.name === 'not') return `!${parts[0] ?? ''}`;
      return parts.join(fn.name === 'or' ? ' | ' : ' & ');
    }
    return fn.name && fn.name !== 'guard' ? fn.name : 'inline';
  }
  if (guard && typeof guard === 'object' && 'type' in guard) return String(guard.type);
  return 'inline';
}

/** Names an action: a named action by its name, a built-in (`assign`, `raise`, ...) by its kind. */
export function actionName(action: unknown): string {
  if (typeof action === 'string') return action;
  if (action && (typeof action === 'object' || typeof action === 'function') && 'type' in action) {
    const type = String((action as { type: unknown }).type);
    return type.startsWith('xstate.') ? type.slice('xstate.'.length) : type;
  }
  if (typeof action === 'function' && action.name) return action.name;
  return 'inline';
}

function kindOf(node: AnyStateNode): StateKind {
  const type = node.type as string;
  if (type === 'compound' || type === 'parallel' || type === 'final' || type === 'history') return type;
  return 'atomic';
}

/** An invoke's `src` name; inline logic gets a generated `xstate.invoke.*` name, shown as `inline`. */
function invokeSrc(src: unknown, id: string): string {
  if (typeof src === 'string') return src.startsWith('xstate.invoke.') ? 'inline' : src;
  if (src && typeof src === 'object' && 'id' in src && typeof src.id === 'string') return src.id;
  return id;
}

/**
 * XState adds a `raise` (entry) and a `cancel` (exit) per `after` delay to the node's own actions:
 * those are how `after` works, not actions of the chart, so they are left out.
 */
function isDelayBookkeeping(delayEvents: readonly string[], action: unknown): boolean {
  if (typeof action !== 'function') return false;
  const { type, id, sendId } = action as { type?: unknown; id?: unknown; sendId?: unknown };
  const ref = type === 'xstate.raise' ? id : type === 'xstate.cancel' ? sendId : undefined;
  return typeof ref === 'string' && delayEvents.includes(ref);
}

function walkState(node: AnyStateNode): ChartState {
  const kind = kindOf(node);
  // Reading `after` first: XState adds the delay bookkeeping actions when it is first read.
  const delayEvents = node.after.map((t) => t.eventType as string);
  const own = (actions: readonly unknown[]) =>
    actions.filter((a) => !isDelayBookkeeping(delayEvents, a)).map(actionName);
  const children = Object.values(node.states as Record<string, AnyStateNode>).map(walkState);
  const initialTargets = kind === 'compound' ? (node.initial?.target ?? []) : [];
  return {
    id: node.id,
    key: node.key,
    parent: node.parent?.id ?? null,
    kind,
    history: kind === 'history' ? (node.history === 'deep' ? 'deep' : 'shallow') : null,
    initial: initialTargets[0]?.id ?? null,
    children,
    entry: own(node.entry),
    exit: own(node.exit),
    invoke: node.invoke.map((inv) => invokeSrc(inv.src, inv.id)),
    description: node.description ?? null,
  };
}

/** What triggers a transition, as {@link ChartTransition} spells it. */
type Trigger = Pick<ChartTransition, 'kind' | 'trigger' | 'delay' | 'src'>;

function trigger(node: AnyStateNode, eventType: string): Trigger {
  const delayed = node.after.find((t) => t.eventType === eventType);
  if (delayed) {
    const delay = typeof delayed.delay === 'function' ? 'inline' : delayed.delay;
    const shown = typeof delay === 'number' ? `${delay}ms` : String(delay);
    return { kind: 'after', trigger: `after ${shown}`, delay, src: null };
  }
  for (const inv of node.invoke) {
    const src = invokeSrc(inv.src, inv.id);
    const kind =
      eventType === `xstate.done.actor.${inv.id}`
        ? 'done'
        : eventType === `xstate.error.actor.${inv.id}`
          ? 'error'
          : eventType === `xstate.snapshot.${inv.id}`
            ? 'snapshot'
            : null;
    if (kind) return { kind, trigger: `${kind} ${src}`, delay: null, src };
  }
  if (eventType === `xstate.done.state.${node.id}`)
    return { kind: 'doneState', trigger: 'done', delay: null, src: null };
  return { kind: 'event', trigger: eventType, delay: null, src: null };
}

const ALWAYS = '(always)';

function keyOf(sourceId: string, eventType: string, index: number): string {
  return `${sourceId}:${eventType || ALWAYS}:${index}`;
}

/**
 * The stable identity of a transition definition: `<source state id>:<event type, or "(always)">:<index
 * in its guarded list>`, e.g. `m.a:GO:1` for the second entry of `GO` in state `a`. The same for a chart and its
 * `.provide()` copies, so transitions that XState reports while an actor runs (inspection's
 * `_transitions`) match the keys of the chart's graph (`ChartTransition.key`, which `chartTargets`
 * copies into each `TransitionTarget.key`).
 */
export function transitionKey(transition: AnyTransitionDefinition): string {
  const source = transition.source;
  const list = transition.eventType ? source.transitions.get(transition.eventType) : source.always;
  return keyOf(source.id, transition.eventType, list ? list.indexOf(transition) : -1);
}

function toTransition(
  node: AnyStateNode,
  machineId: string,
  eventType: string,
  index: number,
  t: AnyTransitionDefinition,
  how: Trigger,
): ChartTransition {
  return {
    key: keyOf(node.id, eventType, index),
    source: node.id,
    eventType,
    index,
    ...how,
    guard: t.guard === undefined ? null : guardName(t.guard, machineId, node.id),
    targets: (t.target ?? []).map((target) => target.id),
    actions: t.actions.map(actionName),
    reenter: t.reenter,
  };
}

function walkTransitions(node: AnyStateNode, machineId: string, out: ChartTransition[]): void {
  for (const [eventType, list] of node.transitions) {
    const how = trigger(node, eventType);
    for (const [index, t] of list.entries())
      out.push(toTransition(node, machineId, eventType, index, t, how));
  }
  const always: Trigger = { kind: 'always', trigger: 'always', delay: null, src: null };
  for (const [index, t] of (node.always ?? []).entries()) {
    out.push(toTransition(node, machineId, '', index, t, always));
  }
  for (const child of Object.values(node.states as Record<string, AnyStateNode>)) {
    walkTransitions(child, machineId, out);
  }
}

function flatten(state: ChartState, out: ChartState[]): ChartState[] {
  out.push(state);
  for (const child of state.children) flatten(child, out);
  return out;
}

/** Walks `machine.root` into a {@link ChartGraph}. */
export function walkMachine(machine: AnyStateMachine): ChartGraph {
  const root = walkState(machine.root);
  const transitions: ChartTransition[] = [];
  walkTransitions(machine.root, machine.id, transitions);
  const states = flatten(root, []);
  return { id: machine.id, root, states, byId: new Map(states.map((s) => [s.id, s])), transitions };
}

const graphs = new WeakMap<AnyStateMachine, ChartGraph>();

/**
 * {@link walkMachine}, once per machine object: for callers that ask often (a traversal keys every
 * event it tries). The graph is shared between them: read it, do not change it.
 */
export function chartGraph(machine: AnyStateMachine): ChartGraph {
  let graph = graphs.get(machine);
  if (!graph) {
    graph = walkMachine(machine);
    graphs.set(machine, graph);
  }
  return graph;
}

/** The label of a transition: `TRIGGER [guard]`. */
export function transitionLabel(t: ChartTransition): string {
  return t.guard === null ? t.trigger : `${t.trigger} [${t.guard}]`;
}

/** True when state `id` is state `ancestorId` or one of its descendants. */
export function isWithin(graph: ChartGraph, id: string, ancestorId: string): boolean {
  for (let at: string | null = id; at !== null; at = graph.byId.get(at)?.parent ?? null) {
    if (at === ancestorId) return true;
  }
  return false;
}
