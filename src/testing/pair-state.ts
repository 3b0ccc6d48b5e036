/**
 * The state of the composed model of two peers (./pair-model.ts) and what both the model and its
 * invariants (./pair-invariants.ts) read of it: which pc operation a chart is waiting for, which pc
 * its `pc` actor is, whether the two pcs are paired.
 */

import type { AnyActorRef, AnyMachineSnapshot } from 'xstate';
import type { PeerEvent } from '../../machines/peer.js';
import type { Signal } from '../protocol/signals.js';
import type { DeliveryState } from './delivery-model.js';
import type { OperationModel, PcModel } from './pc-model.js';
import { pcOfUfrag } from './pc-model.js';

/** The two peers (which one is polite is an option of the model). */
export type Side = 'a' | 'b';

/** A signal on its way through the signaling server. */
export interface WireMessage {
  from: Side;
  /** The receiver's session the server relays it to (its session when the signal was sent). */
  toSession: number;
  signal: Signal;
}

/** One peer in the composed state. */
export interface SideState {
  snapshot: AnyMachineSnapshot;
  /** The modelled RTCPeerConnection of the chart's `pc` actor, null while it has none. */
  pc: PcModel | null;
  /** The generation of this side's signaling session. */
  session: number;
  /** The peer actor instance (a new one after the remote restarts as a new actor). */
  instance: string;
  /** Presence events from the signaling server, delivered in order. */
  notices: PeerEvent[];
  /** The outbox, the inbox and what the application received (./delivery-model.ts). */
  delivery: DeliveryState;
  /** Messages this actor instance's application sent (`a1:1`, `a1:2`, ...). */
  sent: number;
}

/** Budgets of the one-off events a scenario allows (how many are left). */
export interface Budgets {
  losses: number;
  duplicates: number;
  /** Transport faults (ICE `disconnected`/`failed`) and failed pc operations. */
  faults: number;
  /** Timers (and heartbeat losses) that may still fire while something else is under way. */
  timers: number;
  /** Sides that may still call `close()`. */
  close: Side[];
  /** Sides that may still call `restartIce()`. */
  restartIce: Side[];
  /** Sides that may still restart as a new actor (the process crashed: no bye). */
  restart: Side[];
  /** Sides whose signaling session may still be replaced (a new generation). */
  session: Side[];
  /** Messages the applications may still send: one per entry, by the side named. */
  send: Side[];
}

/** The composed state. */
export interface PairState {
  a: SideState;
  b: SideState;
  wire: WireMessage[];
  left: Budgets;
  /** Who called `close()`, if anyone: the goal is then that side closed and the other without a pc. */
  closed: Side | null;
}

/** The other side. */
export const OTHER: Readonly<Record<Side, Side>> = { a: 'b', b: 'a' };
/** Both sides, `a` first. */
export const SIDES: readonly Side[] = ['a', 'b'];

/** The chart's invoked negotiation step of a snapshot, if one is running. */
export function pendingOperation(
  snapshot: AnyMachineSnapshot,
  operations: Record<string, OperationModel>,
): { id: string; src: string; input: Record<string, unknown> } | null {
  for (const [id, child] of Object.entries(snapshot.children)) {
    const ref = child as AnyActorRef & { src?: unknown; options?: { input?: unknown } };
    if (typeof ref.src === 'string' && ref.src in operations)
      return { id, src: ref.src, input: (ref.options?.input ?? {}) as Record<string, unknown> };
  }
  return null;
}

/** The connection number the chart's current `pc` actor was invoked with. */
export function pcConnection(snapshot: AnyMachineSnapshot): number | null {
  const ref = snapshot.children.pc as
    | (AnyActorRef & { options?: { input?: { connection?: number } } })
    | undefined;
  return ref?.options?.input?.connection ?? null;
}

/** Whether `side`'s pc is paired with the other side's current pc (each holds the other's description). */
export function associated(state: PairState, side: Side): boolean {
  const pc = state[side].pc;
  const peer = state[OTHER[side]].pc;
  const remote = pc?.remote;
  if (!pc || !peer || !remote || !peer.remote) return false;
  const them = pcOfUfrag(remote);
  const us = pcOfUfrag(peer.remote);
  return (
    them.instance === peer.instance &&
    them.connection === peer.connection &&
    us.instance === pc.instance &&
    us.connection === pc.connection
  );
}
