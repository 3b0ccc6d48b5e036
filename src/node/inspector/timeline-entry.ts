/**
 * A peer's state change as a timeline entry, the same for a live feed and a replay: the leaf states
 * left and entered, the public states before and after, and the event as the chart draws it.
 */
import { peerMachine } from '../../../machines/peer.js';
import { chartGraph } from '../../visualize/walk.js';
import { leafStates, publicStateOf } from './peer-view.js';
import type { TimelineEntry } from './views.js';

/** Triggers of the peer chart by XState event type: `done createOffer` for `xstate.done.actor.<id>`. */
const triggers = new Map(chartGraph(peerMachine).transitions.map((t) => [t.eventType, t.trigger]));

/**
 * An event type as the timeline shows it: XState's generated names (actor done or error, delays)
 * as the chart draws them (`done <actor>`, `error <actor>`, `after <delay>`), others as they are.
 */
export function eventLabel(type: string): string {
  return type.startsWith('xstate.') ? (triggers.get(type) ?? type) : type;
}

/** True when two state values are equal (strings, or objects of state values). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** The leaf states in `a` that are not in `b`, joined: what a transition left or entered. */
function leavesNotIn(a: unknown, b: unknown): string {
  const others = new Set(leafStates(b));
  return leafStates(a)
    .filter((leaf) => !others.has(leaf))
    .join(', ');
}

/** The entry for `peer` of `system` moving from state value `before` to `after` on `event` (a type) at `t`. */
export function transitionEntry(
  t: number,
  system: string,
  peer: string,
  before: unknown,
  after: unknown,
  event: string,
): TimelineEntry {
  return {
    kind: 'transition',
    t,
    system,
    peer,
    from: leavesNotIn(before, after),
    to: leavesNotIn(after, before),
    fromState: publicStateOf(before),
    toState: publicStateOf(after),
    event: eventLabel(event),
  };
}
