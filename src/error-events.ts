/**
 * Events the charts emit when something went wrong, and the `PeerstateError` each one becomes: one
 * table, so every code and message is written once and each actor needs one listener.
 */
import type { AnyActorRef, Subscription } from 'xstate';
import type { PeerEmitted } from '../machines/peer.js';
import type { SignalingEmitted } from '../machines/signaling.js';
import type { PeerRefusal, SystemEmitted } from '../machines/system.js';
import { PeerstateError } from './errors.js';

/** The emitted events that report a failure (the others, such as `peerSpawned`, are not errors). */
export type ErrorEvent =
  | Extract<SystemEmitted, { type: 'staleSignal' | 'refusedPeer' | 'refusedByRemote' | 'serverError' }>
  | SignalingEmitted
  | Extract<PeerEmitted, { type: 'failure' | 'attemptFailed' | 'sendFailure' | 'candidateOverflow' }>;

const refusalText: Record<PeerRefusal, string> = {
  'max-peers': 'maxPeers actors already',
  'max-pending-incoming': 'maxPendingIncoming peers already wait to connect',
  'not-accepted': 'the accept policy said no',
  'negotiation-rate': 'hellos and offers faster than maxRemoteNegotiationsPerMinute',
};

type ErrorOf = { [T in ErrorEvent['type']]: (event: Extract<ErrorEvent, { type: T }>) => PeerstateError };

const errorOf: ErrorOf = {
  // The system chart (machines/system.ts).
  staleSignal: (e) =>
    new PeerstateError(
      'signaling-dropped',
      `signal from ${e.from} of stale session ${e.generation} dropped`,
      {
        peerId: e.from,
      },
    ),
  refusedPeer: (e) =>
    new PeerstateError('peer-refused', `peer ${e.peerId} refused: ${refusalText[e.reason]}`, {
      peerId: e.peerId,
    }),
  refusedByRemote: (e) =>
    new PeerstateError('refused-by-remote', `peer ${e.peerId} refused us: ${refusalText[e.reason]}`, {
      peerId: e.peerId,
    }),
  serverError: (e) => new PeerstateError('signaling-server-error', `${e.code}: ${e.message}`),
  // The signaling chart (machines/signaling.ts).
  signalDropped: (e) =>
    new PeerstateError(
      'signaling-dropped',
      `signal to ${e.to} of session ${e.generation} dropped (current session ${e.currentGeneration})`,
      { peerId: e.to },
    ),
  invalidFrame: (e) =>
    new PeerstateError('signaling-invalid-frame', `invalid frame from the server: ${e.reason}`),
  // The peer chart (machines/peer.ts): failures are errors too, so one stream says everything that went wrong.
  failure: (e) => new PeerstateError('connection-failed', `${e.code}: ${e.message}`, { peerId: e.remoteId }),
  attemptFailed: (e) =>
    new PeerstateError(
      'attempt-failed',
      `attempt to connect to ${e.remoteId} failed (${e.code}: ${e.message}); reconnect ${e.reconnect} follows its backoff`,
      { peerId: e.remoteId },
    ),
  sendFailure: (e) =>
    new PeerstateError('send-failed', `send to ${e.remoteId} failed: ${e.message}`, { peerId: e.remoteId }),
  candidateOverflow: (e) =>
    new PeerstateError(
      'candidate-overflow',
      `remote candidate buffer of ${e.remoteId} is full; newest dropped`,
      {
        peerId: e.remoteId,
      },
    ),
};

/**
 * The error an emitted chart event reports, or `undefined` if it reports none.
 * @example errorOfEvent({ type: 'refusedPeer', peerId: 'mallory' })?.code // 'peer-refused'
 */
export function errorOfEvent(event: { type: string }): PeerstateError | undefined {
  if (!Object.hasOwn(errorOf, event.type)) return undefined;
  // The table is keyed by type, so the entry found takes exactly this event.
  const toError = errorOf[event.type as ErrorEvent['type']] as (e: typeof event) => PeerstateError;
  return toError(event);
}

/** Reports every error event `actor` emits to `report`, through one listener; unsubscribe to stop. */
export function reportErrorEvents(actor: AnyActorRef, report: (error: PeerstateError) => void): Subscription {
  return actor.on('*', (event: { type: string }) => {
    const error = errorOfEvent(event);
    if (error) report(error);
  });
}
