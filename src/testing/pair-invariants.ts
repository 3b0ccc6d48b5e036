/**
 * The safety invariants of the composed model of two peers (./pair-model.ts). Those of a state hold
 * in every reachable state; those of a step hold for every move. The pc model adds its own while a
 * move runs (a candidate applied before any remote description or of another ICE generation, an
 * operation the signaling state forbids), and so does the delivery model (./delivery-model.ts: a
 * message delivered twice, out of order or skipped; one sent again on the channel that carried it).
 */

import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import type { PeerContext } from '../../machines/peer.js';
import { connectionOf, peerStateOf } from '../../machines/peer.js';
import type { PairState, Side } from './pair-state.js';
import { associated, pcConnection, pendingOperation, SIDES } from './pair-state.js';
import { PC_OPERATIONS } from './pc-model.js';
import type { SentEvent } from './stepper.js';

/**
 * What a signal may not change when it is stale: the state, and what the chart knows of the session,
 * of its own pc and of the remote pc. (A candidate kept in `idle`'s buffer is not applied: not listed.)
 */
function essentials(snapshot: AnyMachineSnapshot): string {
  const c = snapshot.context as PeerContext;
  return JSON.stringify([
    snapshot.value,
    c.generation,
    c.connection,
    c.remoteConnection,
    c.remoteInstance,
    c.paired,
    c.remoteUfrag,
  ]);
}

/**
 * Why a signal delivered to `side` is stale, or null: it comes from a signaling session the receiver
 * left, or from a remote pc older than the one the receiver knows (same actor instance, lower
 * connection number), or it is a hello (an ask for a new pair) of a pc the receiver already knew.
 * A signal of an actor instance the remote replaced is not judged: instances are opaque ids, so no
 * receiver can order them (docs/model-check.md).
 */
function staleness(before: PairState, side: Side, event: AnyEventObject): string | null {
  if (!event.type.startsWith('SIGNAL.')) return null;
  const receiver = before[side];
  const signal = event as AnyEventObject & { generation: number; instance: string; connection: number };
  const context = receiver.snapshot.context as PeerContext;
  if (signal.generation !== receiver.session) return 'of a signaling session the receiver left';
  if (context.remoteConnection === null || signal.instance !== context.remoteInstance) return null;
  if (signal.connection < context.remoteConnection)
    return 'of a remote pc older than the one the receiver knows';
  if (event.type === 'SIGNAL.HELLO' && connectionOf(context, signal) === 'stale')
    return 'of a remote pc the receiver already knew';
  return null;
}

/** Invariants of one move of `side` (the chart's step with `event`, which sent `sent`). */
export function stepViolations(
  before: PairState,
  after: PairState,
  side: Side,
  event: AnyEventObject,
  sent: readonly SentEvent[],
): string[] {
  const violations: string[] = [];
  const was = before[side].snapshot;
  const now = after[side].snapshot;
  if (was.status === 'done' && (now !== was || sent.length > 0))
    violations.push(`${side}: ${event.type} changed a closed peer`);
  const stale = staleness(before, side, event);
  if (stale && (essentials(was) !== essentials(now) || sent.length > 0))
    violations.push(`${side}: a ${event.type} ${stale} changed its state`);
  return violations;
}

/** Invariants of a composed state. */
export function pairViolations(state: PairState): string[] {
  const violations: string[] = [];
  for (const side of SIDES) {
    const { snapshot, pc } = state[side];
    const connection = pcConnection(snapshot);
    // One pc per peer: the model's pc is the chart's `pc` actor, and every operation runs on it.
    if ((pc?.connection ?? null) !== connection)
      violations.push(`${side}: the pc model is not the chart's pc`);
    const operation = pendingOperation(snapshot, PC_OPERATIONS);
    if (operation && operation.input.connection !== connection)
      violations.push(
        `${side}: ${operation.src} runs on pc #${operation.input.connection}, not the current one`,
      );
  }
  // Both settled on descriptions, with nothing left to negotiate: they must be of each other's pcs.
  const settled = SIDES.every((side) => {
    const { snapshot, pc } = state[side];
    const at = snapshot.status === 'active' ? peerStateOf(snapshot) : 'closed';
    return (
      (at === 'handshaking' || at === 'connected') &&
      pc?.signalingState === 'stable' &&
      pc.remote !== null &&
      pendingOperation(snapshot, PC_OPERATIONS) === null
    );
  });
  const negotiating = state.wire.some((m) => m.signal.type === 'description' || m.signal.type === 'hello');
  if (settled && !negotiating && !SIDES.every((side) => associated(state, side)))
    violations.push('both sides settled on descriptions of different pcs');
  return violations;
}
