/**
 * Typed errors. Every error peerstate reports is a `PeerstateError` with a stable `code`; they are
 * delivered on `errors$` Observables (and thrown synchronously only to the direct caller of a method
 * that documents it), never into the event loop.
 */

/** Stable error codes, one per kind. */
export type PeerstateErrorCode =
  | 'peer-closed'
  | 'system-stopped'
  | 'outbox-full'
  | 'message-too-large'
  | 'undelivered'
  | 'received-undelivered'
  | 'send-failed'
  | 'operation-timeout'
  | 'operation-cancelled'
  | 'negotiation-failed'
  | 'connection-failed'
  | 'attempt-failed'
  | 'candidate-failed'
  | 'candidate-overflow'
  | 'invalid-frame'
  | 'signaling-invalid-frame'
  | 'signaling-dropped'
  | 'signaling-server-error'
  | 'peer-refused'
  | 'refused-by-remote';

/** Base class: `code` says which kind, `peerId` which remote peer it concerns (if any). */
export class PeerstateError extends Error {
  readonly code: PeerstateErrorCode;
  readonly peerId: string | undefined;

  constructor(code: PeerstateErrorCode, message: string, options: { peerId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.peerId = options.peerId;
  }
}

/** `send` on a peer that is closed, or a system that is stopped. Thrown by `PeerHandle.send`. */
export class PeerClosedError extends PeerstateError {
  constructor(peerId: string) {
    super('peer-closed', `peer ${peerId} is closed`, { peerId });
  }
}

/** The outbox is at its message or byte limit. Thrown by `PeerHandle.send`; nothing is dropped. */
export class OutboxFullError extends PeerstateError {
  constructor(peerId: string, limit: { maxMessages: number; maxBytes: number }) {
    super(
      'outbox-full',
      `outbox of ${peerId} is full (${limit.maxMessages} messages / ${limit.maxBytes} bytes)`,
      {
        peerId,
      },
    );
  }
}

/**
 * Messages accepted by `send` that the peer still held when it closed: `unsent` were never handed to
 * a channel (not delivered); `unacknowledged` were sent but not yet acknowledged by the remote (they
 * may or may not have been delivered).
 */
export class UndeliveredError extends PeerstateError {
  readonly unsent: readonly (string | Uint8Array)[];
  readonly unacknowledged: readonly (string | Uint8Array)[];

  constructor(
    peerId: string,
    held: { unsent: readonly (string | Uint8Array)[]; unacknowledged: readonly (string | Uint8Array)[] },
  ) {
    super(
      'undelivered',
      `closed with messages to ${peerId} held: ${held.unsent.length} never sent, ${held.unacknowledged.length} sent but not acknowledged`,
      { peerId },
    );
    this.unsent = held.unsent;
    this.unacknowledged = held.unacknowledged;
  }
}

/** An RTCPeerConnection operation did not settle in time (e.g. wrtc's addIceCandidate after close). */
export class OperationTimeoutError extends PeerstateError {
  constructor(operation: string, timeoutMs: number) {
    super('operation-timeout', `${operation} did not settle within ${timeoutMs} ms`);
  }
}

/** An RTCPeerConnection operation was cancelled because the state that started it was left. */
export class OperationCancelledError extends PeerstateError {
  constructor(operation: string) {
    super('operation-cancelled', `${operation} was cancelled`);
  }
}
