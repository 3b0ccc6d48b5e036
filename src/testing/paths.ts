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
import { createActor, createEmptyActor } from 'xstate';
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
    // XState's combinators are functions named after themselves, with their operands attached.
    const fn = guard as { guards?: unknown[]; stateValue?: unknown; name?: string };
    if ((fn.name === 'and' || fn.name === 'or') && fn.guards) {
      return fn.guards.map(guardName).join(fn.name === 'and' ? ' && ' : ' || ');
    }
    if (fn.name === 'not' && fn.guards) return `!${guardName(fn.guards[0])}`;
    if (fn.name === 'stateIn' && fn.stateValue !== undefined) return `in(${String(fn.stateValue)})`;
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
      for (const id of step.states) if (this.stateIds.has(id)) this.states.add(id);
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
    const logic = (event.actorRef as { logic?: { id?: unknown; root?: unknown } }).logic;
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
  /** Ids of the state nodes active in any microstep (transient states included). */
  states: string[];
}

/**
 * A pure `transition(machine, snapshot, event)` that also reports the transitions taken, through XState's
 * inspection of microsteps. Actions other than `assign`/`raise` are not executed; actors are not started.
 */
export function createStepper(
  machine: AnyStateMachine,
): (snapshot: AnyMachineSnapshot, event: AnyEventObject) => MacrostepResult {
  // A parent, so that `sendParent` resolves (nothing is delivered: actions are not executed).
  const probe = createActor(machine, { parent: createEmptyActor() } as Parameters<typeof createActor>[1]);
  let taken: AnyTransitionDefinition[] = [];
  let states = new Set<string>();
  probe.system.inspect((event: InspectionEvent) => {
    if (event.type !== '@xstate.microstep') return;
    taken.push(...event._transitions);
    for (const node of (event.snapshot as AnyMachineSnapshot)._nodes) states.add(node.id);
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
    states = new Set();
    const next = machine.transition(snapshot, event, scope) as AnyMachineSnapshot;
    for (const node of next._nodes) states.add(node.id);
    return { snapshot: next, transitions: taken, states: [...states] };
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
  /**
   * What the world answers at once (synchronously, before anyone can look): e.g. a child actor that
   * reaches its final state when told to close. Given the chart after the event and the world as it
   * was before it; the replies are taken in the same step.
   */
  answers?: (snapshot: AnyMachineSnapshot, event: AnyEventObject, env: TEnv) => AnyEventObject[];
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
  /**
   * The part of the context that tells states apart in the traversal (default: all of it). Leave out
   * what grows without bound (counters, sequence numbers) and what no guard reads.
   */
  contextKey?: (context: AnyMachineSnapshot['context'], env: TEnv) => unknown;
  environment?: Environment<TEnv>;
  /**
   * The delays the runtime runs with, by name, in ms. Then a delayed event is feasible only if no
   * timer of the same state that expires earlier would take a transition first.
   */
  delays?: Record<string, number>;
  /** Stop with an error beyond this many traversal steps. Default 200,000. */
  limit?: number;
}

/** One step of a path: the event sent and where the chart is afterwards. */
export interface ModelStep {
  /** The chart event (`{ type: 'xstate.init' }` for the first step). */
  event: AnyEventObject;
  /** `eventKey` of the event: what executors are keyed by. */
  key: string;
  /** Events the world answered with at once, taken in the same step (see `EventSpec.answers`). */
  answers?: AnyEventObject[];
  /** The chart's snapshot after the event. */
  snapshot: AnyMachineSnapshot;
  /** Keys (`transitionKey`) of the transitions the event took. */
  transitions: string[];
  /** Ids of the state nodes the chart was in on the way (transient ones included). */
  states: string[];
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

/** Where a traversal stands: the chart's snapshot, the world's state, and the step that led here. */
export interface ModelState<TEnv> {
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
      if (sub === undefined) return key;
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
  private readonly memo = new WeakMap<
    AnyMachineSnapshot,
    Map<string, { from: TEnv; next: ModelState<TEnv> }[]>
  >();
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
    const probe = createActor(this.machine, {
      input: model.input,
      parent: createEmptyActor(),
    } as Parameters<typeof createActor>[1]);
    const snapshot = probe.getSnapshot() as AnyMachineSnapshot;
    this.initial = {
      snapshot,
      env,
      via: {
        event: INIT,
        key: INIT.type,
        snapshot,
        transitions: [],
        states: snapshot._nodes.map((n: AnyStateNode) => n.id),
        env,
      },
    };
  }

  /** The key that tells traversal states apart. */
  keyOf(state: ModelState<TEnv>): string {
    const { snapshot, env } = state;
    const context = this.model.contextKey ? this.model.contextKey(snapshot.context, env) : snapshot.context;
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
        if (scope === 'runtime' && this.overtaken(state, descriptor)) continue;
        if (this.inert(state, event)) continue;
        const next = this.next(state, event);
        if (next.via && next.via.transitions.length > 0) out.push({ event, key });
      }
    }
    return out;
  }

  /** The spec key of `event` in `snapshot`: its `eventKey`, or that of the (wildcard) descriptor it matches. */
  keyFor(snapshot: AnyMachineSnapshot, event: AnyEventObject): string {
    const key = eventKey(this.machine, event.type);
    if (this.model.events[key]) return key;
    for (const descriptor of this.descriptors(snapshot)) {
      const prefix = descriptor.endsWith('.*') ? descriptor.slice(0, -1) : undefined;
      if (descriptor === '*' || (prefix && event.type.startsWith(prefix))) {
        const wildcard = eventKey(this.machine, descriptor);
        if (this.model.events[wildcard]) return wildcard;
      }
    }
    return key;
  }

  /**
   * A cheap test that `event` does nothing in `state`: no transition is enabled for it and it does not
   * change the world (`before` returns the same object), so eventless transitions, at rest, stay
   * disabled (unless a guard of one reads the event itself).
   */
  private inert(state: ModelState<TEnv>, event: AnyEventObject): boolean {
    const before = this.model.environment?.before;
    if (before && before(state.env, event, state.snapshot) !== state.env) return false;
    this.current = state.env;
    return this.machine.getTransitionData(state.snapshot, event).length === 0;
  }

  /** One event through the world and the chart. */
  private apply(snapshot: AnyMachineSnapshot, env: TEnv, event: AnyEventObject) {
    const environment = this.model.environment;
    const before = environment?.before ? environment.before(env, event, snapshot) : env;
    this.current = before;
    const result = this.step0(snapshot, event);
    const after = environment?.after ? environment.after(before, result.snapshot, snapshot) : before;
    return { ...result, env: after };
  }

  /** Whether the delayed event `eventType` would be preceded by an earlier timer of its state that acts. */
  private overtaken(state: ModelState<TEnv>, eventType: string): boolean {
    const delays = this.model.delays;
    const timer = delays && timersOf(this.machine).get(eventType);
    if (!delays || !timer) return false;
    const ms = delays[timer.delay];
    if (ms === undefined) throw new Error(`chart ${this.machine.id}: no duration for delay "${timer.delay}"`);
    for (const [other, sibling] of timersOf(this.machine)) {
      if (other === eventType || sibling.source !== timer.source) continue;
      const earlier = delays[sibling.delay];
      if (earlier === undefined || earlier >= ms) continue;
      const next = this.next(state, { type: other });
      if (next.via && next.via.transitions.length > 0) return true;
    }
    return false;
  }

  /** The pure step from `state` with `event` (memoized per snapshot, world and event). */
  next(state: ModelState<TEnv>, event: AnyEventObject): ModelState<TEnv> {
    const id = JSON.stringify(event);
    let byEvent = this.memo.get(state.snapshot);
    if (!byEvent) {
      byEvent = new Map();
      this.memo.set(state.snapshot, byEvent);
    }
    const cached = byEvent.get(id)?.find((s) => s.from === state.env);
    if (cached) return cached.next;
    const key = this.keyFor(state.snapshot, event);
    const first = this.apply(state.snapshot, state.env, event);
    let { snapshot, env } = first;
    const transitions = [...first.transitions];
    const states = new Set(first.states);
    // What the world answers at once is part of the same step: the runtime is never seen in between.
    const answers = this.model.events[key]?.answers?.(snapshot, event, state.env) ?? [];
    for (const reply of answers) {
      if (snapshot.status !== 'active') break;
      const answered = this.apply(snapshot, env, reply);
      snapshot = answered.snapshot;
      env = answered.env;
      transitions.push(...answered.transitions);
      for (const id of answered.states) states.add(id);
    }
    const step: ModelStep = {
      event,
      key,
      ...(answers.length > 0 ? { answers } : {}),
      snapshot,
      transitions: transitions.map(transitionKey),
      states: [...states],
      env,
    };
    const next: ModelState<TEnv> = { snapshot, env, via: step };
    byEvent.set(id, [...(byEvent.get(id) ?? []), { from: state.env, next }]);
    return next;
  }

  /**
   * Every state reachable with `scope`'s events (`xstate/graph`'s adjacency map, breadth first), the
   * shortest path to each, and the candidate paths for coverage: the shortest path through each edge
   * that is the first to reach a state node or take a transition.
   */
  traverse(scope: EventScope): { paths: Map<string, ModelStep[]>; candidates: ModelStep[][] } {
    const logic = {
      transition: (state: ModelState<TEnv>, event: AnyEventObject) => this.next(state, event),
      getInitialSnapshot: () => this.initial,
    } as unknown as AnyActorLogic;
    const adjacency = getAdjacencyMap(logic, {
      fromState: this.initial,
      serializeState: (state: ModelState<TEnv>) => this.keyOf(state),
      events: (state: ModelState<TEnv>) => this.eventsOf(state, scope).map((e) => e.event),
      limit: this.model.limit ?? 200_000,
    } as unknown as Parameters<typeof getAdjacencyMap>[1]);
    // Breadth first in the adjacency map's own (visiting) order: the first discovery of a state is
    // the snapshot the map holds for it, so each path replays exactly.
    const paths = new Map<string, ModelStep[]>();
    const initial = this.initial.via as ModelStep;
    paths.set(this.keyOf(this.initial), [initial]);
    const seen = new Set<string>(initial.states.map((id) => `s:${id}`));
    const candidates: ModelStep[][] = [[initial]];
    for (const [key, value] of Object.entries(adjacency)) {
      const path = paths.get(key);
      if (!path) continue;
      for (const { state } of Object.values(value.transitions) as { state: ModelState<TEnv> }[]) {
        const step = state.via as ModelStep;
        const nextKey = this.keyOf(state);
        let novel = false;
        for (const target of stepTargets(step)) {
          if (!seen.has(target)) {
            seen.add(target);
            novel = true;
          }
        }
        if (novel || !paths.has(nextKey)) {
          const extended = [...path, step];
          if (novel) candidates.push(extended);
          if (!paths.has(nextKey)) paths.set(nextKey, extended);
        }
      }
    }
    return { paths, candidates };
  }

  /**
   * Paths that together cover every state node and transition reachable with `scope`'s events:
   * shortest paths to every state and every edge, then a greedy pick of the ones that add coverage.
   */
  coveringPaths(scope: EventScope = 'runtime'): ModelPath[] {
    return coveringPaths([this], scope);
  }

  /**
   * Every step the chart can take from where `step` left it, with `scope`'s events (e.g. `pure`
   * minus `runtime`: what only a pure walk can do there).
   */
  stepsFrom(step: ModelStep, scope: EventScope): ModelStep[] {
    const state: ModelState<TEnv> = { snapshot: step.snapshot, env: step.env as TEnv, via: step };
    return this.eventsOf(state, scope).map(({ event }) => this.next(state, event).via as ModelStep);
  }

  /**
   * A walk from the initial state, or on from the end of `from` (steps of a path of this explorer):
   * at each step the event `choices[i] % n` among the `n` events the state accepts (`scope` as in
   * `eventsOf`); stops early where no event is accepted.
   */
  walk(choices: readonly number[], scope: EventScope, from?: readonly ModelStep[]): ModelPath {
    const last = from?.at(-1);
    let state: ModelState<TEnv> = last
      ? { snapshot: last.snapshot, env: last.env as TEnv, via: last }
      : this.initial;
    const steps: ModelStep[] = from ? [...from] : [state.via as ModelStep];
    for (const choice of choices) {
      const options = this.eventsOf(state, scope);
      const pick = options[choice % Math.max(options.length, 1)];
      if (!pick) break;
      state = this.next(state, pick.event);
      steps.push(state.via as ModelStep);
    }
    return { description: describePath(steps), input: this.model.input, steps };
  }
}

/** The coverage targets one step reaches: `s:<state id>` and `t:<transition key>`. */
function stepTargets(step: ModelStep): string[] {
  return [...step.states.map((id) => `s:${id}`), ...step.transitions.map((t) => `t:${t}`)];
}

const timerCache = new WeakMap<AnyStateMachine, Map<string, { source: string; delay: string }>>();

/** Delayed event type → the state that schedules it and the delay's name. */
function timersOf(machine: AnyStateMachine): Map<string, { source: string; delay: string }> {
  let timers = timerCache.get(machine);
  if (!timers) {
    timers = new Map();
    for (const node of allNodes(machine)) {
      for (const t of node.after as (AnyTransitionDefinition & { delay: unknown })[]) {
        timers.set(t.eventType, { source: node.id, delay: String(t.delay) });
      }
    }
    timerCache.set(machine, timers);
  }
  return timers;
}

/**
 * Paths that together cover what several explorers of one chart reach (e.g. one per input: the polite
 * and the impolite side): every candidate is a shortest path to a state or an edge of one of them.
 */
export function coveringPaths(
  explorers: readonly {
    traverse(scope: EventScope): { candidates: ModelStep[][] };
    model: { input?: unknown };
  }[],
  scope: EventScope,
): ModelPath[] {
  const candidates: { steps: ModelStep[]; input: unknown }[] = [];
  for (const explorer of explorers) {
    for (const steps of explorer.traverse(scope).candidates)
      candidates.push({ steps, input: explorer.model.input });
  }
  const inputOf = new Map(candidates.map((c) => [c.steps, c.input]));
  return pickCovering(candidates.map((c) => c.steps)).map((steps) => ({
    description: describePath(steps),
    input: inputOf.get(steps),
    steps,
  }));
}

/**
 * Greedy set cover of state nodes and transitions: the candidate paths adding most new targets
 * first (shorter on ties), until none adds any.
 */
export function pickCovering(candidates: ModelStep[][]): ModelStep[][] {
  const targetsOf = (steps: ModelStep[]) => new Set(steps.flatMap(stepTargets));
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

// ---------------------------------------------------------------------------------------------------
// The peer chart

/**
 * The world of one peer actor as the traversal models it: whether the runtime has the actor yet,
 * which signaling session is current, and what the current RTCPeerConnection and its data channel say
 * (what `isPeerConnectionConnected` and `isChannelOpen` ask, and which events the pc can still fire).
 */
export interface PeerWorld {
  /** The system has an actor for the remote peer (after CONNECT or a first signal from it). */
  exists: boolean;
  /** Generation of the current signaling session (the first is 1). */
  session: number;
  /** The current pc, by the chart's connection number; null while the chart has none. */
  pc: { connection: number; state: RTCPeerConnectionState; channel: 'connecting' | 'open' | 'closed' } | null;
}

/** The ICE ufrag of every remote description in generated paths. */
export const REMOTE_UFRAG = 'rmt1';

/** A remote description as generated paths carry it (a fake SDP with `a=ice-ufrag:rmt1`). */
export function remoteDescription(type: 'offer' | 'answer'): { type: 'offer' | 'answer'; sdp: string } {
  return {
    type,
    sdp: `v=0\r\no=remote 1 1 IN IP4 127.0.0.1\r\ns=${type}\r\na=ice-ufrag:${REMOTE_UFRAG}\r\na=ice-pwd:remotepasswordremotepassword\r\n`,
  };
}

/** A remote candidate of the current (`rmt1`) or an older (`old0`) ICE generation. */
export function remoteCandidate(ufrag: string = REMOTE_UFRAG): {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
  usernameFragment: string;
} {
  return {
    candidate: `candidate:7 1 udp 2122260223 10.0.0.7 47000 typ host ufrag ${ufrag}`,
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: ufrag,
  };
}

/** Options of the peer chart's model (and of the system that plays its paths). */
export interface PeerModelOptions {
  /** Our id. Default `mmm`. */
  localId?: string;
  /** The remote's id: greater than ours makes us impolite (we offer). Default `zzz`. */
  remoteId?: string;
  /** Default 1 (so that a second candidate overflows). */
  maxBufferedCandidates?: number;
  /** Default 2 (a second restart after a first that did not help). With 0, every recovery from `connected` is a full reconnect. */
  maxIceRestarts?: number;
  /** Default 1. */
  maxReconnects?: number;
  /** The runtime's delays in ms (their order decides which timer can fire first). */
  delays?: Partial<PeerDelays>;
}

/** The peer chart's delays, in ms, as a test configures the runtime. */
export interface PeerDelays {
  connectTimeout: number;
  disconnectedGrace: number;
  iceRestartInterval: number;
  resumeTimeout: number;
  reconnectBackoff: number;
}

/** The delays generated paths assume; `peerSystemOptions()` configures a system with them. */
export const PEER_DELAYS: PeerDelays = {
  connectTimeout: 5_000,
  disconnectedGrace: 2_000,
  iceRestartInterval: 1_000,
  resumeTimeout: 600,
  reconnectBackoff: 400,
};

type PeerModelInput = Required<Omit<PeerModelOptions, 'delays'>>;

function peerInput(options: PeerModelOptions): PeerModelInput {
  return {
    localId: options.localId ?? 'mmm',
    remoteId: options.remoteId ?? 'zzz',
    maxBufferedCandidates: options.maxBufferedCandidates ?? 1,
    maxIceRestarts: options.maxIceRestarts ?? 2,
    maxReconnects: options.maxReconnects ?? 1,
  };
}

const peerCtx = (snapshot: AnyMachineSnapshot) => snapshot.context as PeerContext;

/** Who sent a remote signal: the remote peer actor (`instance`) and which of its pcs (`connection`). */
interface RemoteSender {
  instance: string;
  connection: number;
}

/**
 * Senders a remote signal may come from, relative to the remote pc the chart knows (`connectionOf`):
 * that pc (`current`), a newer pc of the same remote actor (`newer`: it replaced its pc), an older
 * one (`older`: a late signal) and a new remote actor (`restarted`: it numbers its pcs from 1 again).
 */
function remoteSenders(
  context: PeerContext,
): Record<'current' | 'newer' | 'older' | 'restarted', RemoteSender | null> {
  const known = context.remoteConnection;
  const instance = context.remoteInstance ?? 'r1';
  if (known === null)
    return { current: { instance, connection: 1 }, newer: null, older: null, restarted: null };
  const restarted = `r${Number(instance.slice(1)) + 1}`;
  return {
    // Before our pc is paired, any newer remote pc is the one we talk to.
    current: { instance, connection: context.paired ? known : known + 1 },
    newer: { instance, connection: known + 1 },
    older: known > 0 ? { instance, connection: known - 1 } : null,
    restarted: { instance: restarted, connection: 1 },
  };
}

/**
 * The peer chart as a model: its events with payloads, what the real world can produce when (a pc
 * event needs a pc, a channel event an open channel, ...), and the world the src/ guards read.
 * `paths.ts` stays pure: playing the paths on a system is `createPeerDriver()` in ./model.ts.
 */
export function peerModel(options: PeerModelOptions = {}): ChartModel<PeerWorld> {
  const input = peerInput(options);
  const delays = { ...PEER_DELAYS, ...options.delays };
  const exists = (_s: AnyMachineSnapshot, _e: AnyEventObject, w: PeerWorld) => w.exists;
  const hasPc = (_s: AnyMachineSnapshot, _e: AnyEventObject, w: PeerWorld) => w.pc !== null;
  const channel =
    (state: 'connecting' | 'open' | 'closed') => (_s: AnyMachineSnapshot, _e: AnyEventObject, w: PeerWorld) =>
      w.pc?.channel === state;
  const connectedWithOpenChannel = (s: AnyMachineSnapshot, _e: AnyEventObject, w: PeerWorld) =>
    s.matches('connected') && w.pc?.channel === 'open';
  /** Variants that differ in what the guards tell apart (`connectionOf`): current, replaced, stale. */
  /** Senders that differ in what the guards tell apart (`connectionOf`), without duplicates. */
  const senders = (s: AnyMachineSnapshot, which: ('current' | 'newer' | 'older' | 'restarted')[]) => {
    const all = remoteSenders(peerCtx(s));
    const found = new Map<string, RemoteSender>();
    for (const w of which) {
      const sender = all[w];
      if (sender) found.set(JSON.stringify(sender), sender);
    }
    return [...found.values()];
  };
  const done = (output: (s: AnyMachineSnapshot) => unknown) => (type: string, s: AnyMachineSnapshot) => [
    { type, output: output(s) },
  ];
  const failed = (type: string) => [{ type, error: new Error(`model: ${type} failed`) }];
  const localDescription = (kind: 'offer' | 'answer') => () => ({
    type: kind,
    sdp: `v=0\r\ns=local ${kind}\r\n`,
  });

  return {
    machine: peerMachine,
    input: { key: 1, instance: 'model.1', ...input } satisfies PeerInput,
    delays: { ...delays },
    provide: (world) => ({
      guards: {
        // What the binding of the chart's current connection says, in the modelled world.
        isPeerConnectionConnected: ({ context }: { context: PeerContext }) => {
          const pc = world().pc;
          return pc !== null && pc.connection === context.connection && pc.state === 'connected';
        },
        isChannelOpen: ({ context }: { context: PeerContext }) => {
          const pc = world().pc;
          return pc !== null && pc.connection === context.connection && pc.channel === 'open';
        },
      },
    }),
    // States differ by value, world and these counters only: other context (connection numbers,
    // generations, the ufrag, the resume point) is carried along in each path but does not split
    // states, which keeps the traversal small. Coverage, measured, says whether this is enough.
    contextKey: (context) => {
      const c = context as PeerContext;
      return [c.bufferedCandidates.length > 0, c.iceRestarts, c.reconnects, c.remotePresent];
    },
    environment: {
      initial: { exists: false, session: 1, pc: null },
      before: (w, e) => {
        const event = e as PeerEvent;
        let next = w;
        // (Unchanged worlds stay the same object: `inert` relies on it.)
        if (!w.exists && (event.type === 'CONNECT' || event.type.startsWith('SIGNAL.')))
          next = { ...next, exists: true };
        if (event.type === 'REMOTE.PRESENT' && event.generation > w.session)
          next = { ...next, session: event.generation };
        if (next.pc && event.type === 'PC.CONNECTION_STATE' && next.pc.state !== event.state)
          next = { ...next, pc: { ...next.pc, state: event.state } };
        if (next.pc && event.type === 'CHANNEL.OPEN' && next.pc.channel !== 'open')
          next = { ...next, pc: { ...next.pc, channel: 'open' } };
        if (next.pc && event.type === 'CHANNEL.CLOSE' && next.pc.channel !== 'closed')
          next = { ...next, pc: { ...next.pc, channel: 'closed' } };
        return next;
      },
      after: (w, snapshot) => {
        if (!snapshot.children.pc) return w.pc ? { ...w, pc: null } : w;
        const connection = peerCtx(snapshot).connection;
        if (w.pc?.connection === connection) return w;
        return { ...w, pc: { connection, state: 'new', channel: 'connecting' } };
      },
      key: (w) => [w.exists, w.pc && [w.pc.state, w.pc.channel]],
    },
    events: {
      CONNECT: {},
      CLOSE: { when: exists },
      SEND: { payloads: (type) => [{ type, data: 'm' }], when: exists },
      RETRY: { when: exists },
      RESTART_ICE: { when: exists },
      // The heartbeat runs while connected; the remote falls silent.
      'HEARTBEAT.LOST': { when: (s) => s.matches('connected') },
      'REMOTE.PRESENT': {
        // Present on the current session, or on a new one (the signaling session was replaced).
        payloads: (type, _s, w) => [
          { type, generation: w.session },
          { type, generation: w.session + 1 },
        ],
        when: exists,
      },
      'REMOTE.ABSENT': { when: exists },
      'SIGNAL.DESCRIPTION': {
        payloads: (type, s, w) => [
          ...senders(s, ['current', 'newer', 'older', 'restarted']).map((sender) => ({
            type,
            generation: w.session,
            ...sender,
            description: remoteDescription('offer'),
          })),
          ...senders(s, ['current']).map((sender) => ({
            type,
            generation: w.session,
            ...sender,
            description: remoteDescription('answer'),
          })),
        ],
      },
      'SIGNAL.CANDIDATE': {
        payloads: (type, s, w) => [
          ...senders(s, ['current', 'older']).map((sender) => ({
            type,
            generation: w.session,
            ...sender,
            candidate: remoteCandidate(),
          })),
          // Of the current remote pc, but of an ICE generation before the remote's last restart.
          ...senders(s, ['current']).map((sender) => ({
            type,
            generation: w.session,
            ...sender,
            candidate: remoteCandidate('old0'),
          })),
        ],
      },
      'SIGNAL.HELLO': {
        payloads: (type, s, w) =>
          senders(s, ['current', 'newer']).map((sender) => ({ type, generation: w.session, ...sender })),
      },
      'SIGNAL.BYE': {
        payloads: (type, s, w) =>
          senders(s, ['current']).map((sender) => ({ type, generation: w.session, ...sender })),
      },
      'REMOTE_DESCRIPTION.SET': { internal: true },
      'PC.ICE_CANDIDATE': {
        payloads: (type) => [
          {
            type,
            candidate: {
              ...remoteCandidate('loc1'),
              candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 40001 typ host',
            },
          },
        ],
        when: hasPc,
      },
      'PC.CONNECTION_STATE': {
        payloads: (type) =>
          (['connected', 'disconnected', 'failed'] as const).map((state) => ({ type, state })),
        // The binding reports changes only.
        when: (_s, e, w) => w.pc !== null && w.pc.state !== (e as PeerEvent & { state: string }).state,
      },
      // src/rtc/binding.ts reports PC.ERROR (a data-channel error), but the fake pc cannot raise one:
      // only pure walks send it.
      'PC.ERROR': { payloads: (type) => [{ type, code: 'pc-error', message: 'model' }], pureOnly: true },
      'CHANNEL.OPEN': { when: channel('connecting') },
      'CHANNEL.CLOSE': { when: (s, e, w) => hasPc(s, e, w) && w.pc?.channel !== 'closed' },
      'CHANNEL.HELLO': { payloads: (type) => [{ type, lastDelivered: 0 }], when: channel('open') },
      'CHANNEL.BUFFER_LOW': { when: connectedWithOpenChannel },
      'CHANNEL.SEND_FAILED': {
        payloads: (type) => [{ type, message: 'send queue is full' }],
        when: connectedWithOpenChannel,
      },
      'xstate.done.actor.createOffer': { payloads: done(localDescription('offer')) },
      'xstate.error.actor.createOffer': { payloads: failed },
      'xstate.done.actor.createAnswer': { payloads: done(localDescription('answer')) },
      'xstate.error.actor.createAnswer': { payloads: failed },
      'xstate.done.actor.setRemoteDescription': { payloads: done(() => ({ ufrag: REMOTE_UFRAG })) },
      'xstate.error.actor.setRemoteDescription': { payloads: failed },
      'xstate.done.actor.acceptOffer': { payloads: done(() => ({ ufrag: REMOTE_UFRAG })) },
      'xstate.error.actor.acceptOffer': { payloads: failed },
      'xstate.after.connectTimeout': {},
      'xstate.after.iceRestartInterval': {},
      'xstate.after.disconnectedGrace': {},
      'xstate.after.resumeTimeout': {},
      'xstate.after.reconnectBackoff': {},
    },
  };
}

/** The configurations `peerPaths()` explores: both sides of perfect negotiation, with and without ICE restarts. */
export const PEER_CONFIGURATIONS: readonly PeerModelOptions[] = [
  { remoteId: 'zzz' },
  { remoteId: 'aaa' },
  { remoteId: 'zzz', maxIceRestarts: 0 },
];

/** A path through the peer chart, with the peer input it was generated for. */
export interface PeerPath extends ModelPath {
  /** Ids and bounds: what `createPeerDriver({ input })` configures the system with. */
  input: PeerInput;
}

/**
 * Paths through the peer chart that together reach every state node and take every transition that
 * a real-world event can cause, for the impolite and the polite side (and with ICE restarts off, where
 * every recovery from `connected` is a full reconnect). Each step says the chart event (with payload)
 * and the state the peer must be in afterwards: `createPeerDriver()` plays them on the fakes.
 * Deterministic: the same chart gives the same paths.
 */
export function peerPaths(configurations: readonly PeerModelOptions[] = PEER_CONFIGURATIONS): PeerPath[] {
  return coveringPaths(
    configurations.map((options) => new ChartExplorer(peerModel(options))),
    'runtime',
  ) as PeerPath[];
}
