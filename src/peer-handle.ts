/**
 * The peer handle: what a user holds for one remote peer. A view of the peer's actor and its
 * resources (outbox, inbox); it keeps no state of its own.
 */
import { distinctUntilChanged, filter, map, Observable } from 'rxjs';
import type { PeerActor, PeerEvent, PeerState } from '../machines/peer.js';
import { peerStateOf } from '../machines/peer.js';
import { OutboxFullError, PeerClosedError, PeerstateError } from './errors.js';
import type { PeerMessage, PeerResourceRegistry, PeerResources } from './peer/resources.js';
import { payloadBytes } from './protocol/frames.js';
import { snapshots } from './snapshots.js';

/** The public states of a peer: the peer chart's state tags (`peerStateOf`). */
export type { PeerState };

/**
 * A view of the actor of one remote peer.
 * @example
 * const peer = system.connect('bob');
 * peer.messages$.subscribe((data) => console.log('bob:', data));
 * await peer.writable();
 * peer.send('hello');
 */
export interface PeerHandle {
  /** The remote peer id. */
  readonly id: string;
  /** The current top-level state. */
  readonly state: PeerState;
  /** Top-level states, starting with the current one; completes when the peer is closed. */
  readonly state$: Observable<PeerState>;
  /**
   * How hard the peer is working to get back to `connected`, starting with the current figures, then
   * on every change; completes when the peer is closed. During a long outage the counts keep growing
   * (with the defaults reconnects never stop while the remote is present), and `remotePresent` says
   * whether the peer is waiting for the remote to come back to the room rather than for the network.
   * @example peer.recovery$.subscribe(({ reconnects }) => reconnects >= 3 && showBanner('reconnecting…'))
   */
  readonly recovery$: Observable<PeerRecovery>;
  /** Messages from this peer, in order, each once. Hot: subscribe right after `connect`. */
  readonly messages$: Observable<string | Uint8Array>;
  /** Errors concerning this peer. */
  readonly errors$: Observable<PeerstateError>;
  /** The peer's actor, for inspection. */
  readonly actor: PeerActor;
  /**
   * Queues a message; it is sent when the peer is `connected` and kept until the remote
   * acknowledges it, so it reaches the remote application once and in order across ICE restarts and
   * full reconnects. Messages larger than the channel's maxMessageSize are chunked.
   * @throws PeerClosedError if the peer is closed. @throws OutboxFullError if the outbox is full
   * (see `writable()`); nothing is dropped silently.
   */
  send(data: string | Uint8Array): void;
  /**
   * Resolves when the outbox has room for `data` (or, without it, for another message), at once if it
   * has: the backpressure signal for senders. Rejects with PeerClosedError if the peer is or becomes
   * closed, and with a `message-too-large` error if `data` could never fit.
   */
  writable(data?: string | Uint8Array): Promise<void>;
  /**
   * Resolves when every message sent so far was acknowledged by the remote: `await peer.flushed()`
   * before `close()` is a graceful close. Rejects with PeerClosedError if the peer closes first.
   */
  flushed(): Promise<void>;
  /** Closes this peer (sends `bye`, closes the pc). Idempotent. */
  close(): void;
  /**
   * Starts an ICE restart now if the peer is `connected` (webrtc-pc restartIce, done as an explicit
   * offer); where ICE restarts are off (`maxIceRestarts` 0, as on werift and node-datachannel), a new
   * RTCPeerConnection on both sides instead.
   */
  restartIce(): void;
  /** Cuts a reconnect backoff short: the next attempt starts now (RC-10). */
  retryNow(): void;
}

/**
 * A peer's recovery figures (the peer chart's context): both counts are 0 while `connected` and
 * count the attempts since it was last connected.
 */
export interface PeerRecovery {
  /** ICE restarts tried on the current RTCPeerConnection (webrtc-pc §4.4.1.6 restartIce). */
  iceRestarts: number;
  /** Full reconnects (a new RTCPeerConnection after backoff) tried. */
  reconnects: number;
  /** Whether the remote is present in the signaling room, as last reported by the server. */
  remotePresent: boolean;
}

const sameRecovery = (a: PeerRecovery, b: PeerRecovery) =>
  a.iceRestarts === b.iceRestarts && a.reconnects === b.reconnects && a.remotePresent === b.remotePresent;

function recoveryOf(snapshot: ReturnType<PeerActor['getSnapshot']>): PeerRecovery {
  const { iceRestarts, reconnects, remotePresent } = snapshot.context;
  return { iceRestarts, reconnects, remotePresent };
}

/** What handles are views of: the peers' resources and the system's streams. */
export interface PeerHandleSources {
  registry: PeerResourceRegistry;
  /** Every message from every peer (shared). */
  messages$: Observable<PeerMessage>;
  /** Every error of the system. */
  errors$: Observable<PeerstateError>;
}

/** A message larger than the outbox's byte limit: it could never be sent. */
function tooLarge(peerId: string, data: string | Uint8Array): PeerstateError {
  return new PeerstateError(
    'message-too-large',
    `a message of ${payloadBytes(data)} bytes is larger than the outbox`,
    { peerId },
  );
}

/** The result of `fn` as a promise: what it throws becomes a rejection. */
function promised(fn: () => Promise<void>): Promise<void> {
  try {
    return fn();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Creates the handle of one peer actor. */
export function createPeerHandle(ref: PeerActor, sources: PeerHandleSources): PeerHandle {
  const { registry } = sources;
  const { remoteId: id, key } = ref.getSnapshot().context;

  // The one guard: a finished actor takes no events and its resources are gone (RC-8).
  const isRunning = () => ref.getSnapshot().status === 'active';
  /** Sends `event` if the actor still runs; a finished one has nothing left to do (no event, no warning). */
  const tell = (event: PeerEvent) => {
    if (isRunning()) ref.send(event);
  };
  /** The peer's resources; PeerClosedError once the actor has finished. */
  const resources = (): PeerResources => {
    const found = registry.get(key);
    if (!found || !isRunning()) throw new PeerClosedError(id);
    return found;
  };
  /** After a wait: PeerClosedError if the actor finished meanwhile. */
  const stillRunning = () => {
    if (!isRunning()) throw new PeerClosedError(id);
  };

  return {
    id,
    actor: ref,
    get state() {
      return peerStateOf(ref.getSnapshot());
    },
    // A late subscriber starts from the state at subscription, not at handle creation. The chart's
    // `state` events name every public state entered, in order, even several in one step (a snapshot
    // shows only the last); the stream completes (or errors) with the actor.
    state$: new Observable<PeerState>((subscriber) => {
      subscriber.next(peerStateOf(ref.getSnapshot()));
      const end = ref.subscribe({
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      if (subscriber.closed) return end;
      const states = ref.on('state', (e) => subscriber.next(e.state));
      return () => {
        end.unsubscribe();
        states.unsubscribe();
      };
    }).pipe(distinctUntilChanged()),
    recovery$: snapshots(ref).pipe(map(recoveryOf), distinctUntilChanged(sameRecovery)),
    messages$: sources.messages$.pipe(
      filter((m) => m.from === id),
      map((m) => m.data),
    ),
    errors$: sources.errors$.pipe(filter((e) => e.peerId === id)),
    send(data) {
      const { outbox } = resources();
      if (!outbox.canHold(data)) throw tooLarge(id, data);
      if (!outbox.fits(data)) throw new OutboxFullError(id, outbox.limits);
      ref.send({ type: 'SEND', data });
    },
    writable(data) {
      return promised(() => {
        const { outbox } = resources();
        if (data !== undefined && !outbox.canHold(data)) throw tooLarge(id, data);
        return outbox.whenWritable(data).then(stillRunning);
      });
    },
    flushed() {
      return promised(() => resources().outbox.whenEmpty().then(stillRunning));
    },
    close: () => tell({ type: 'CLOSE' }),
    restartIce: () => tell({ type: 'RESTART_ICE' }),
    retryNow: () => tell({ type: 'RETRY' }),
  };
}

/**
 * A handle factory that gives each peer actor one handle (the same object on every call), so
 * `connect`, `peer` and `incoming$` hand out the same handle for the same actor.
 */
export function peerHandles(sources: PeerHandleSources): (ref: PeerActor) => PeerHandle {
  const handles = new WeakMap<PeerActor, PeerHandle>();
  return (ref) => {
    let handle = handles.get(ref);
    if (!handle) {
      handle = createPeerHandle(ref, sources);
      handles.set(ref, handle);
    }
    return handle;
  };
}
