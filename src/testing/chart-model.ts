/**
 * What a model-based test of a chart is made of: the chart plus a pure model of the world around it
 * (`ChartModel`: event payloads, when the real world can produce each event, the state that guards
 * supplied from src/ read), and the paths a traversal returns (`ModelPath`, one `ModelStep` per event).
 *
 * Events of a path are the chart's own events. Delays and invoked actors appear with XState's event
 * types (`xstate.after.<delay>.<stateId>`, `xstate.done.actor.<invokeId>`, `xstate.error.actor.<invokeId>`);
 * `eventKey()` names them by delay and actor source instead (`xstate.after.connectTimeout`,
 * `xstate.done.actor.createOffer`), which is how executors and event specs are keyed.
 */

import type { AnyEventObject, AnyMachineSnapshot, AnyStateMachine } from 'xstate';
import { chartGraph } from '../visualize/walk.js';

const eventKeys = new WeakMap<AnyStateMachine, Map<string, string>>();

/** Event type → key for the generated event types of a chart (delays, invoked actors), from its graph. */
function eventKeysOf(machine: AnyStateMachine): Map<string, string> {
  let keys = eventKeys.get(machine);
  if (!keys) {
    keys = new Map();
    for (const t of chartGraph(machine).transitions) {
      if (t.kind === 'after') keys.set(t.eventType, `xstate.after.${t.delay}`);
      if (t.kind === 'done' || t.kind === 'error') keys.set(t.eventType, `xstate.${t.kind}.actor.${t.src}`);
    }
    eventKeys.set(machine, keys);
  }
  return keys;
}

/**
 * The key executors and event specs are looked up by: the event type, except that delayed events are
 * named by their delay (`xstate.after.connectTimeout`) and done/error events of invoked actors by the
 * actor's source (`xstate.done.actor.createOffer`), so that keys survive changes to state ids.
 *
 * @example
 * // An executor table keyed like a model's event specs:
 * const run = executors[eventKey(peerMachine, step.event.type)]; // e.g. 'xstate.after.connectTimeout'
 */
export function eventKey(machine: AnyStateMachine, eventType: string): string {
  return eventKeysOf(machine).get(eventType) ?? eventType;
}

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
  /** `<end state> via EVENT → EVENT → …`, the end state as `formatValue` writes it (`describePath`). */
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
