/**
 * Coverage of a chart: what a test suite has to reach (`chartTargets`: every state node and every
 * transition, each entry of a guarded list, `always`, `after`, invoke `onDone`/`onError`, found by
 * walking `machine.root`, never from a copied list) and what a test reached (`ChartCoverage`, fed from
 * path steps or, for a running actor, from XState's inspection API).
 */

import type { AnyMachineSnapshot, AnyStateMachine, AnyTransitionDefinition, InspectionEvent } from 'xstate';
import { chartGraph, transitionKey, transitionLabel } from '../visualize/walk.js';
import type { ModelStep } from './chart-model.js';

export { transitionKey };

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
  /** Readable form: `<source id>: TRIGGER [guard] → <target ids>` (trigger and guard as the diagrams label them). */
  label: string;
}

/** Everything a test suite of a chart has to cover. */
export interface ChartTargets {
  /** Ids of every state node but the root, depth first in document order. */
  states: string[];
  transitions: TransitionTarget[];
}

/**
 * The coverage targets of a chart: every state node but the root, and every transition declared
 * anywhere in it (one per entry of a guarded list), in document order.
 *
 * @example
 * const { states, transitions } = chartTargets(peerMachine);
 * console.log(`${states.length} states, ${transitions.length} transitions to cover`);
 */
export function chartTargets(machine: AnyStateMachine): ChartTargets {
  const graph = chartGraph(machine);
  return {
    states: graph.states.filter((s) => s.parent !== null).map((s) => s.id),
    transitions: graph.transitions.map((t) => ({
      key: t.key,
      source: t.source,
      eventType: t.eventType,
      index: t.index,
      label: `${t.source}: ${transitionLabel(t)}${t.targets.length > 0 ? ` → ${t.targets.join(', ')}` : ''}`,
    })),
  };
}

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
 *
 * @example
 * const coverage = new ChartCoverage(peerMachine);
 * const system = createPeerSystem({ ...options, inspect: coverage.inspect });
 * // ...drive the system...
 * console.log(coverage.line()); // model coverage peer: states a/b, transitions c/d
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

/**
 * The coverage of a chart reached by the given path steps (e.g. the steps of `peerPaths()`).
 *
 * @example
 * const { transitions } = coverageOf(peerMachine, peerPaths().flatMap((path) => path.steps));
 * expect(transitions.missing).toEqual([]);
 */
export function coverageOf(machine: AnyStateMachine, steps: Iterable<ModelStep>): CoverageSummary {
  const coverage = new ChartCoverage(machine);
  coverage.addPath({ steps: [...steps] });
  return coverage.summary();
}
