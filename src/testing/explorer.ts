/**
 * The generic engine of model-based tests, for any chart: `ChartExplorer` traverses the states a
 * `ChartModel` can reach (with `xstate/graph`), and returns shortest paths that together cover every
 * state node and transition (`coveringPaths`, a greedy set cover), and random walks for property tests
 * (fast-check). Nothing here knows a particular chart: that is the model's part.
 */

import type {
  AnyActorLogic,
  AnyEventObject,
  AnyMachineSnapshot,
  AnyStateMachine,
  AnyStateNode,
} from 'xstate';
import { createActor, createEmptyActor } from 'xstate';
import { getAdjacencyMap } from 'xstate/graph';
import { chartGraph, transitionKey } from '../visualize/walk.js';
import type { ChartModel, EventScope, EventSpec, ModelPath, ModelState, ModelStep } from './chart-model.js';
import { eventKey } from './chart-model.js';
import { describePath, formatValue } from './path-description.js';
import type { MacrostepResult } from './stepper.js';
import { createStepper } from './stepper.js';

const INIT = { type: 'xstate.init' } as const;

/**
 * A chart as a pure model: its reachable states (under the model's world), the events each state
 * accepts, and paths that cover every state node and transition. Throws, naming the event, when the
 * chart accepts an event the model has no spec for.
 *
 * @example
 * const explorer = new ChartExplorer({ machine: signalingMachine, input, events: { CONNECT: {}, ... } });
 * for (const path of explorer.coveringPaths('runtime')) await playPath(path, player);
 * const walk = explorer.walk([3, 1, 4, 1, 5], 'pure'); // a random walk, e.g. from fast-check
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

/** Delayed event type → the state that schedules it and the delay's name, from the chart's graph. */
function timersOf(machine: AnyStateMachine): Map<string, { source: string; delay: string }> {
  let timers = timerCache.get(machine);
  if (!timers) {
    timers = new Map();
    for (const t of chartGraph(machine).transitions) {
      if (t.kind === 'after') timers.set(t.eventType, { source: t.source, delay: String(t.delay) });
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
