/**
 * A pure step of a chart that also says which transitions it took: what coverage counts and what a
 * traversal compares states by. Nothing runs but the chart's `assign`s, `raise`s and guards; what the
 * step sends is recorded (the composed model of ./pair-model.ts delivers it itself).
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
  /**
   * Events the step sent with `sendTo`, in order, and to whom: `target` is the child's id when the
   * action named one (`'pc'`), else undefined; `to` is the actor ref it resolved to. Not delivered.
   */
  sent: SentEvent[];
}

/** An event a step sent with `sendTo` (what the runtime would deliver after the step). */
export interface SentEvent {
  target: string | undefined;
  to: unknown;
  event: AnyEventObject;
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
  let sent: SentEvent[] = [];
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
    // Nothing is executed; what `sendTo` would deliver is recorded.
    actionExecutor: (action: { type: string; params?: unknown }) => {
      if (action.type !== 'xstate.sendTo') return;
      const params = action.params as { targetId?: string; to: unknown; event: AnyEventObject };
      sent.push({ target: params.targetId, to: params.to, event: params.event });
    },
  } as unknown as AnyActorScope;
  return (snapshot, event) => {
    taken = [];
    states = new Set();
    sent = [];
    const next = machine.transition(snapshot, event, scope) as AnyMachineSnapshot;
    for (const node of next._nodes) states.add(node.id);
    return { snapshot: next, transitions: taken, states: [...states], sent };
  };
}
