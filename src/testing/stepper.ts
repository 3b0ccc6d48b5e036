/**
 * A pure step of a chart that also says which transitions it took: what coverage counts and what a
 * traversal compares states by. Nothing runs but the chart's `assign`s, `raise`s and guards.
 */

import type {
  AnyActorScope,
  AnyEventObject,
  AnyMachineSnapshot,
  AnyStateMachine,
  AnyTransitionDefinition,
  InspectionEvent,
} from 'xstate';
import { createActor, createEmptyActor } from 'xstate';

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
