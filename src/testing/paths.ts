/**
 * Model-based testing from peerstate's charts: test paths generated from the charts themselves, and
 * coverage measured against them.
 *
 * - `chartTargets(machine)`: what a test suite has to cover in a chart: every state node and every
 *   transition (each entry of a guarded list, `always`, `after`, invoke `onDone`/`onError`), found by
 *   walking `machine.root`, never from a copied list.
 * - `ChartCoverage`: which of those targets a test reached, fed from path steps or, for a running
 *   actor, from XState's inspection API (`createPeerSystem({ inspect: coverage.inspect })`).
 * - `ChartExplorer`: the chart as a pure model plus a small model of the world around it (what the
 *   RTCPeerConnection says when a guard asks it, which signaling session is current). It traverses
 *   the reachable states with `xstate/graph` and returns a few paths that together cover every target,
 *   and random walks for property tests (fast-check).
 * - `peerPaths()`: those paths for the peer chart, each a sequence of chart events with the state the
 *   peer must be in after each of them. `createPeerDriver()` (./model.ts) plays them on the scripted
 *   fakes; an application can play them through its own code and check its own view of each state.
 *
 * Events of a path are the chart's own events. Delays and invoked actors appear with XState's event
 * types (`xstate.after.<delay>.<stateId>`, `xstate.done.actor.<invokeId>`, `xstate.error.actor.<invokeId>`);
 * `eventKey()` names them by delay and actor source instead (`xstate.after.connectTimeout`,
 * `xstate.done.actor.createOffer`), which is how executors and event specs are keyed.
 */

import type {
  AnyActorLogic,
  AnyActorScope,
  AnyEventObject,
  AnyMachineSnapshot,
  AnyStateMachine,
  AnyStateNode,
  AnyTransitionDefinition,
  InspectionEvent,
  StateValue,
} from 'xstate';
import { createActor } from 'xstate';
import { getAdjacencyMap, getStateNodes } from 'xstate/graph';
import type { PeerContext, PeerEvent, PeerInput } from '../../machines/peer.js';
import { peerMachine } from '../../machines/peer.js';

// ---------------------------------------------------------------------------------------------------
// Targets

/** One transition of a chart, as a coverage target. */
export interface TransitionTarget {
  /** Stable key: `<source state id>:<event type, or "(always)">:<index in its list>`. */
  key: string;
  /** Id of the state node that declares it. */
  source: string;
  /** XState's event type (`''` for `always`). */
  eventType: string;
  /** Position in the guarded list of that event (or of `always`). */
  index: number;
  /** Readable form, e.g. `peer.connected: PC.CONNECTION_STATE [isTransportFailed] → peer.failed`. */
  label: string;
}

/** Everything a test suite of a chart has to cover. */
export interface ChartTargets {
  /** Ids of every state node but the root, depth first in document order. */
  states: string[];
  transitions: TransitionTarget[];
}

const ALWAYS = '(always)';

/** The coverage key of a transition definition (the same for a chart and its `.provide()` copies). */
export function transitionKey(transition: AnyTransitionDefinition): string {
  const source = transition.source;
  const list = transition.eventType ? source.transitions.get(transition.eventType) : source.always;
  const index = list ? list.indexOf(transition) : -1;
  return `${source.id}:${transition.eventType || ALWAYS}:${index}`;
}

function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard) return String((guard as { type: unknown }).type);
  if (typeof guard === 'function') {
    const fn = guard as { type?: string; guards?: unknown[]; stateValue?: unknown };
    if (fn.type === 'xstate.and' || fn.type === 'xstate.or') {
      const op = fn.type === 'xstate.and' ? ' && ' : ' || ';
      return (fn.guards ?? []).map(guardName).join(op);
    }
    if (fn.type === 'xstate.not') return `!${guardName(fn.guards?.[0])}`;
    if (fn.type === 'xstate.stateIn') return `in(${String(fn.stateValue)})`;
    return fn.name || 'inline';
  }
  return 'guard';
}

/** Every state node of a chart, root first, depth first in document order. */
function allNodes(machine: AnyStateMachine): AnyStateNode[] {
  return [machine.root, ...getStateNodes(machine.root)];
}

/** Every transition definition of a state node: its event transitions (with `after`, `onDone`, `onError`) and `always`. */
function nodeTransitions(node: AnyStateNode): AnyTransitionDefinition[] {
  return [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
}

/**
 * The coverage targets of a chart: every state node but the root, and every transition declared
 * anywhere in it (one per entry of a guarded list), found by walking `machine.root`.
 */
export function chartTargets(machine: AnyStateMachine): ChartTargets {
  const names = eventNames(machine);
  const transitions: TransitionTarget[] = [];
  for (const node of allNodes(machine)) {
    for (const t of nodeTransitions(node)) {
      const key = transitionKey(t);
      const guard = guardName(t.guard);
      const targets = (t.target ?? []).map((n: AnyStateNode) => n.id).join(', ');
      const trigger = t.eventType ? (names.get(t.eventType) ?? t.eventType) : 'always';
      transitions.push({
        key,
        source: node.id,
        eventType: t.eventType,
        index: Number(key.slice(key.lastIndexOf(':') + 1)),
        label: `${node.id}: ${trigger}${guard ? ` [${guard}]` : ''}${targets ? ` → ${targets}` : ''}`,
      });
    }
  }
  return { states: getStateNodes(machine.root).map((n) => n.id), transitions };
}

const eventNameCache = new WeakMap<AnyStateMachine, Map<string, string>>();

/** Event type → key for the generated event types of a chart (delays, invoked actors). */
function eventNames(machine: AnyStateMachine): Map<string, string> {
  const cached = eventNameCache.get(machine);
  if (cached) return cached;
  const names = new Map<string, string>();
  for (const node of allNodes(machine)) {
    for (const t of node.after as (AnyTransitionDefinition & { delay: unknown })[]) {
      names.set(t.eventType, `xstate.after.${String(t.delay)}`);
    }
    for (const invoke of node.invoke as { id: string; src: unknown }[]) {
      const src = typeof invoke.src === 'string' ? invoke.src : invoke.id;
      names.set(`xstate.done.actor.${invoke.id}`, `xstate.done.actor.${src}`);
      names.set(`xstate.error.actor.${invoke.id}`, `xstate.error.actor.${src}`);
    }
  }
  eventNameCache.set(machine, names);
  return names;
}

/**
 * The key executors and event specs are looked up by: the event type, except that delayed events are
 * named by their delay (`xstate.after.connectTimeout`) and done/error events of invoked actors by the
 * actor's source (`xstate.done.actor.createOffer`), so that keys survive changes to state ids.
 */
export function eventKey(machine: AnyStateMachine, eventType: string): string {
  return eventNames(machine).get(eventType) ?? eventType;
}

// ---------------------------------------------------------------------------------------------------
// Coverage

/** How much of a chart a test reached. */
export interface CoverageSummary {
  /** The chart's machine id. */
  chart: string;
  states: { covered: number; total: number; missing: string[] };
  transitions: { covered: number; total: number; missing: string[] };
}

/**
 * Coverage of one chart: which state nodes were active and which transitions were taken, keyed so
 * that the chart and its `.provide()` copies (as the runtime runs them) count as one.
 */
export class ChartCoverage {
  readonly targets: ChartTargets;
  readonly states = new Set<string>();
  readonly transitions = new Set<string>();
  private readonly stateIds: Set<string>;
  private readonly transitionKeys: Set<string>;

  constructor(readonly machine: AnyStateMachine) {
    this.targets = chartTargets(machine);
    this.stateIds = new Set(this.targets.states);
    this.transitionKeys = new Set(this.targets.transitions.map((t) => t.key));
  }

  /** Counts every state node active in `snapshot`. */
  addSnapshot(snapshot: AnyMachineSnapshot): void {
    for (const node of snapshot._nodes) if (this.stateIds.has(node.id)) this.states.add(node.id);
  }

  /** Counts transitions taken, as definitions or as keys (`transitionKey`). */
  addTransitions(transitions: Iterable<AnyTransitionDefinition | string>): void {
    for (const t of transitions) {
      const key = typeof t === 'string' ? t : transitionKey(t);
      if (this.transitionKeys.has(key)) this.transitions.add(key);
    }
  }

  /** Counts the states and transitions of every step of a path. */
  addPath(path: { steps: readonly ModelStep[] }): void {
    for (const step of path.steps) {
      this.addSnapshot(step.snapshot);
      this.addTransitions(step.transitions);
    }
  }

  /** Adds another coverage of the same chart. */
  merge(other: ChartCoverage): void {
    for (const s of other.states) this.states.add(s);
    for (const t of other.transitions) this.transitions.add(t);
  }

  /**
   * An inspection observer (`createActor(logic, { inspect })`, `createPeerSystem({ inspect })`) that
   * counts the microsteps of every actor running this chart (matched by machine id).
   */
  readonly inspect = (event: InspectionEvent): void => {
    const logic = event.actorRef.logic as { id?: unknown; root?: unknown } | undefined;
    if (!logic?.root || logic.id !== this.machine.id) return;
    if (event.type === '@xstate.microstep') {
      this.addSnapshot(event.snapshot as AnyMachineSnapshot);
      this.addTransitions(event._transitions);
    } else if (event.type === '@xstate.snapshot') {
      const snapshot = event.snapshot as AnyMachineSnapshot;
      if (snapshot._nodes) this.addSnapshot(snapshot);
    }
  };

  /** Covered and missing targets. */
  summary(): CoverageSummary {
    const labels = new Map(this.targets.transitions.map((t) => [t.key, t.label]));
    return {
      chart: this.machine.id,
      states: {
        covered: this.states.size,
        total: this.targets.states.length,
        missing: this.targets.states.filter((s) => !this.states.has(s)),
      },
      transitions: {
        covered: this.transitions.size,
        total: this.targets.transitions.length,
        missing: [...labels].filter(([key]) => !this.transitions.has(key)).map(([, label]) => label),
      },
    };
  }

  /** `model coverage <chart>: states a/b, transitions c/d`. */
  line(chart = this.machine.id): string {
    const { states, transitions } = this.summary();
    return `model coverage ${chart}: states ${states.covered}/${states.total}, transitions ${transitions.covered}/${transitions.total}`;
  }
}

/** The coverage of a chart reached by the given path steps (e.g. the steps of `peerPaths()`). */
export function coverageOf(machine: AnyStateMachine, steps: Iterable<ModelStep>): CoverageSummary {
  const coverage = new ChartCoverage(machine);
  coverage.addPath({ steps: [...steps] });
  return coverage.summary();
}

// ---------------------------------------------------------------------------------------------------
// Pure steps with the transitions they take

/** A pure macrostep: the next snapshot and every transition taken on the way (eventless and raised included). */
export interface MacrostepResult {
  snapshot: AnyMachineSnapshot;
  transitions: AnyTransitionDefinition[];
}

/**
 * A pure `transition(machine, snapshot, event)` that also reports the transitions taken, through XState's
 * inspection of microsteps. Actions other than `assign`/`raise` are not executed; actors are not started.
 */
export function createStepper(
  machine: AnyStateMachine,
): (snapshot: AnyMachineSnapshot, event: AnyEventObject) => MacrostepResult {
  const probe = createActor(machine);
  let taken: AnyTransitionDefinition[] = [];
  probe.system.inspect((event: InspectionEvent) => {
    if (event.type === '@xstate.microstep') taken.push(...event._transitions);
  });
  const scope = {
    self: probe,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    system: probe.system,
    stopChild: () => {},
    emit: () => {},
    actionExecutor: () => {},
  } as unknown as AnyActorScope;
  return (snapshot, event) => {
    taken = [];
    const next = machine.transition(snapshot, event, scope) as AnyMachineSnapshot;
    return { snapshot: next, transitions: taken };
  };
}

// ---------------------------------------------------------------------------------------------------
// Models and paths

/** How one kind of event (by `eventKey`) is generated for a traversal. */
export interface EventSpec<TEnv = unknown> {
  /**
   * The concrete events to try in `snapshot` (payload variants); default `[{ type }]`. `type` is
   * the chart's event type (for delays and actors, the generated one).
   */
  payloads?: (type: string, snapshot: AnyMachineSnapshot, env: TEnv) => AnyEventObject[];
  /**
   * Whether the real world can produce this event now (e.g. `PC.*` only while a pc exists). Paths
   * for runtime tests only contain feasible events; random walks of the pure chart ignore this.
   */
  when?: (snapshot: AnyMachineSnapshot, event: AnyEventObject, env: TEnv) => boolean;
  /** Nothing in the runtime produces this event: only pure walks send it. */
  pureOnly?: boolean;
  /** Raised by the chart itself, never sent from outside. */
  internal?: boolean;
}

/**
 * A model of the world around a chart: state that guards supplied from src/ read (the pc's
 * connectionState, the data channel's readyState) or that payloads need (the current signaling
 * session), updated by each event.
 */
export interface Environment<TEnv> {
  initial: TEnv;
  /** The world as it is when the event arrives (e.g. the pc reports `connected`: it is connected). */
  before?: (env: TEnv, event: AnyEventObject, snapshot: AnyMachineSnapshot) => TEnv;
  /** The world after the chart reacted (e.g. the pc was stopped: a new one starts fresh). */
  after?: (env: TEnv, next: AnyMachineSnapshot, previous: AnyMachineSnapshot) => TEnv;
  /** The part of the world that tells states apart in the traversal (default: all of it). */
  key?: (env: TEnv) => unknown;
}

/** A chart plus what it takes to traverse it: inputs, event payloads, a pure world. */
export interface ChartModel<TEnv = unknown> {
  /** The chart (as published in machines/). */
  machine: AnyStateMachine;
  /** Its input. */
  input?: unknown;
  /** Event specs by `eventKey`; a chart event without one fails the traversal, naming the event. */
  events: Record<string, EventSpec<TEnv>>;
  /**
   * Pure implementations for the traversal of what src/ supplies (guards that ask the pc, actions
   * with side effects), given the world of the step being taken.
   */
  provide?: (env: () => TEnv) => Record<string, unknown>;
  /** The part of the context that tells states apart in the traversal (default: all of it). */
  contextKey?: (context: AnyMachineSnapshot['context']) => unknown;
  environment?: Environment<TEnv>;
  /** Stop with an error beyond this many traversal steps. Default 200,000. */
  limit?: number;
}

/** One step of a path: the event sent and where the chart is afterwards. */
export interface ModelStep {
  /** The chart event (`{ type: 'xstate.init' }` for the first step). */
  event: AnyEventObject;
  /** `eventKey` of the event: what executors are keyed by. */
  key: string;
  /** The chart's snapshot after the event. */
  snapshot: AnyMachineSnapshot;
  /** Keys (`transitionKey`) of the transitions the event took. */
  transitions: string[];
  /** The world model after the event. */
  env: unknown;
}

/** A generated path: from the initial state, one event per step. */
export interface ModelPath {
  /** E.g. `peer.connected via CONNECT → REMOTE.PRESENT → …`. */
  description: string;
  /** The chart input the path was generated with. */
  input: unknown;
  /** First step: `xstate.init` with the initial snapshot. */
  steps: ModelStep[];
}

interface ModelState<TEnv> {
  snapshot: AnyMachineSnapshot;
  env: TEnv;
  /** The step that produced this state (events with their keys, transitions). */
  via?: ModelStep;
}

/** Which events a traversal offers: those the runtime can produce, or every event of the chart. */
export type EventScope = 'runtime' | 'pure';

const INIT = { type: 'xstate.init' } as const;

/** A readable one-line state value: `connecting(negotiation.stable, transport.checking, …)`. */
export function formatValue(value: StateValue): string {
  if (typeof value === 'string') return value;
  return Object.entries(value)
    .map(([key, sub]) => {
      if (typeof sub === 'string') return `${key}.${sub}`;
      const inner = formatValue(sub);
      return Object.keys(sub).length > 1 ? `${key}(${inner})` : `${key}.${inner}`;
    })
    .join(', ');
}

function describeEvent(step: ModelStep): string {
  const e = step.event as AnyEventObject & Record<string, unknown>;
  if (e.type === 'SIGNAL.DESCRIPTION') {
    return `SIGNAL.DESCRIPTION(${(e.description as { type: string }).type})`;
  }
  if (e.type === 'PC.CONNECTION_STATE') return `PC.CONNECTION_STATE(${String(e.state)})`;
  if (e.type === 'SIGNALING.FRAME') return `SIGNALING.FRAME(${(e.frame as { type: string }).type})`;
  return step.key;
}

/** A readable description of a path: its end state and its events. */
export function describePath(steps: readonly ModelStep[]): string {
  const last = steps.at(-1);
  const end = last ? formatValue(last.snapshot.value) : '';
  const events = steps.slice(1).map(describeEvent).join(' → ');
  return `${end} via ${events || '(initial)'}`;
}

/**
 * A chart as a pure model: its reachable states (under the model's world), the events each state
 * accepts, and paths that cover every state node and transition.
 */
export class ChartExplorer<TEnv = unknown> {
  readonly machine: AnyStateMachine;
  readonly initial: ModelState<TEnv>;
  private readonly step0: (s: AnyMachineSnapshot, e: AnyEventObject) => MacrostepResult;
  private current: TEnv;
  private readonly memo = new WeakMap<AnyMachineSnapshot, Map<string, ModelState<TEnv>>>();
  private readonly raised: Set<string>;

  constructor(readonly model: ChartModel<TEnv>) {
    const env = model.environment?.initial as TEnv;
    this.current = env;
    const provided = model.provide?.(() => this.current);
    this.machine = provided
      ? model.machine.provide(provided as Parameters<AnyStateMachine['provide']>[0])
      : model.machine;
    this.step0 = createStepper(this.machine);
    this.raised = raisedEventTypes(model.machine);
    const probe = createActor(this.machine, { input: model.input });
    const snapshot = probe.getSnapshot() as AnyMachineSnapshot;
    this.initial = {
      snapshot,
      env,
      via: { event: INIT, key: INIT.type, snapshot, transitions: [], env },
    };
  }

  /** The key that tells traversal states apart. */
  keyOf(state: ModelState<TEnv>): string {
    const { snapshot, env } = state;
    const context = this.model.contextKey ? this.model.contextKey(snapshot.context) : snapshot.context;
    const world = this.model.environment?.key ? this.model.environment.key(env) : env;
    return JSON.stringify([snapshot.status, snapshot.value, context, world ?? null]);
  }

  /** The spec of an event key; throws, naming the event, if the model has none. */
  spec(key: string, where?: AnyMachineSnapshot): EventSpec<TEnv> {
    const spec = this.model.events[key];
    if (!spec) {
      const state = where ? ` (in ${formatValue(where.value)})` : '';
      throw new Error(`chart ${this.machine.id}: no event spec for event "${key}"${state}`);
    }
    return spec;
  }

  /** The chart's own event descriptors in `snapshot` (what its active states accept). */
  private descriptors(snapshot: AnyMachineSnapshot): string[] {
    const seen = new Set<string>();
    for (const node of snapshot._nodes) for (const d of node.ownEvents) seen.add(d);
    return [...seen];
  }

  /**
   * The events to try in `state` that take at least one transition, with their keys. `scope`
   * `runtime` keeps only events the runtime can produce now (`when`, not `pureOnly`).
   */
  eventsOf(state: ModelState<TEnv>, scope: EventScope): { event: AnyEventObject; key: string }[] {
    const { snapshot, env } = state;
    if (snapshot.status !== 'active') return [];
    const out: { event: AnyEventObject; key: string }[] = [];
    for (const descriptor of this.descriptors(snapshot)) {
      const key = eventKey(this.machine, descriptor);
      if (!this.model.events[key] && this.raised.has(descriptor)) continue;
      const spec = this.spec(key, snapshot);
      if (spec.internal) continue;
      if (scope === 'runtime' && spec.pureOnly) continue;
      const events = spec.payloads ? spec.payloads(descriptor, snapshot, env) : [{ type: descriptor }];
      for (const event of events) {
        if (scope === 'runtime' && spec.when && !spec.when(snapshot, event, env)) continue;
        const next = this.next(state, event, key);
        if (next.via && next.via.transitions.length > 0) out.push({ event, key });
      }
    }
    return out;
  }

  /** The pure step from `state` with `event` (memoized). */
  next(state: ModelState<TEnv>, event: AnyEventObject, key = eventKey(this.machine, event.type)) {
    const id = JSON.stringify(event);
    let byEvent = this.memo.get(state.snapshot);
    if (!byEvent) {
      byEvent = new Map();
      this.memo.set(state.snapshot, byEvent);
    }
    const cached = byEvent.get(id);
    if (cached && cached.env === state.env) return cached;
    const environment = this.model.environment;
    const before = environment?.before ? environment.before(state.env, event, state.snapshot) : state.env;
    this.current = before;
    const result = this.step0(state.snapshot, event);
    const env = environment?.after ? environment.after(before, result.snapshot, state.snapshot) : before;
    const step: ModelStep = {
      event,
      key,
      snapshot: result.snapshot,
      transitions: result.transitions.map(transitionKey),
      env,
    };
    const next: ModelState<TEnv> = { snapshot: result.snapshot, env, via: step };
    if (!cached) byEvent.set(id, next);
    return next;
  }

  /**
   * Every state reachable with `scope`'s events (`xstate/graph`'s adjacency map, breadth first), and
   * for each the shortest path to it.
   */
  traverse(scope: EventScope): { paths: Map<string, ModelStep[]>; edges: ModelStep[][] } {
    const logic = {
      transition: (state: ModelState<TEnv>, event: AnyEventObject) => this.next(state, event),
      getInitialSnapshot: () => this.initial,
    } as unknown as AnyActorLogic;
    const adjacency = getAdjacencyMap(logic, {
      fromState: this.initial,
      serializeState: (state: ModelState<TEnv>) => this.keyOf(state),
      events: (state: ModelState<TEnv>) => this.eventsOf(state, scope).map((e) => e.event),
      limit: this.model.limit ?? 200_000,
    } as Parameters<typeof getAdjacencyMap>[1]);
    // Breadth first in the adjacency map's own (visiting) order: the first discovery of a state is
    // the snapshot the map holds for it, so each path replays exactly.
    const paths = new Map<string, ModelStep[]>();
    const rootKey = this.keyOf(this.initial);
    paths.set(rootKey, [this.initial.via as ModelStep]);
    const edges: ModelStep[][] = [];
    for (const [key, value] of Object.entries(adjacency)) {
      const path = paths.get(key);
      if (!path) continue;
      for (const { state } of Object.values(value.transitions) as { state: ModelState<TEnv> }[]) {
        const step = state.via as ModelStep;
        const extended = [...path, step];
        edges.push(extended);
        const nextKey = this.keyOf(state);
        if (!paths.has(nextKey)) paths.set(nextKey, extended);
      }
    }
    return { paths, edges };
  }

  /**
   * Paths that together cover every state node and transition reachable with `scope`'s events:
   * shortest paths to every state and every edge, then a greedy pick of the ones that add coverage.
   */
  coveringPaths(scope: EventScope = 'runtime'): ModelPath[] {
    const { edges } = this.traverse(scope);
    return pickCovering(this.machine, edges).map((steps) => ({
      description: describePath(steps),
      input: this.model.input,
      steps,
    }));
  }

  /**
   * A walk from the initial state: at each step the event `choices[i] % n` among the `n` events the
   * state accepts (`scope` as in `eventsOf`); stops early where no event is accepted.
   */
  walk(choices: readonly number[], scope: EventScope): ModelPath {
    let state = this.initial;
    const steps: ModelStep[] = [state.via as ModelStep];
    for (const choice of choices) {
      const options = this.eventsOf(state, scope);
      const pick = options[choice % Math.max(options.length, 1)];
      if (!pick) break;
      state = this.next(state, pick.event, pick.key);
      steps.push(state.via as ModelStep);
    }
    return { description: describePath(steps), input: this.model.input, steps };
  }
}

/** Greedy set cover: the candidate paths adding most new targets first (shorter on ties). */
function pickCovering(machine: AnyStateMachine, candidates: ModelStep[][]): ModelStep[][] {
  const targetsOf = (steps: ModelStep[]) => {
    const set = new Set<string>();
    for (const step of steps) {
      for (const node of step.snapshot._nodes) if (node.parent) set.add(`s:${node.id}`);
      for (const t of step.transitions) set.add(`t:${t}`);
    }
    return set;
  };
  const scored = candidates.map((steps) => ({ steps, targets: targetsOf(steps) }));
  const covered = new Set<string>();
  const chosen: ModelStep[][] = [];
  for (;;) {
    let best: (typeof scored)[number] | undefined;
    let bestGain = 0;
    for (const c of scored) {
      let gain = 0;
      for (const t of c.targets) if (!covered.has(t)) gain++;
      if (gain > bestGain || (gain === bestGain && gain > 0 && best && c.steps.length < best.steps.length)) {
        best = c;
        bestGain = gain;
      }
    }
    if (!best || bestGain === 0) break;
    for (const t of best.targets) covered.add(t);
    chosen.push(best.steps);
  }
  void machine;
  return chosen;
}

/** Event types the chart raises itself (its `raise` actions), which nothing outside sends. */
function raisedEventTypes(machine: AnyStateMachine): Set<string> {
  const types = new Set<string>();
  const actions = (machine.implementations.actions ?? {}) as Record<string, unknown>;
  for (const action of Object.values(actions)) {
    const raise = action as { type?: string; event?: unknown };
    if (typeof action !== 'function' || raise.type !== 'xstate.raise') continue;
    let event = raise.event;
    if (typeof event === 'function') {
      try {
        event = (event as (args: unknown) => unknown)({ context: {}, event: { type: '' } });
      } catch {
        continue;
      }
    }
    if (event && typeof event === 'object' && 'type' in event) types.add(String(event.type));
  }
  return types;
}
