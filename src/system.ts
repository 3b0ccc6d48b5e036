/**
 * createPeerSystem: provides the charts with their implementations, starts the root actor, and
 * exposes peers as handles with rxjs Observables.
 */
import type { Observable } from 'rxjs';
import {
  defer,
  distinctUntilChanged,
  filter,
  firstValueFrom,
  from,
  map,
  Subject,
  share,
  shareReplay,
  startWith,
} from 'rxjs';
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { createActor } from 'xstate';
import type { PeerActor, PeerSnapshot, PeerState } from '../machines/peer.js';
import { peerStateOf } from '../machines/peer.js';
import { signalingMachine } from '../machines/signaling.js';
import { peerSystemId, SIGNALING_CHILD_ID, systemMachine } from '../machines/system.js';
import { OutboxFullError, PeerClosedError, PeerstateError } from './errors.js';
import { providePeerMachine } from './peer/actors.js';
import type { PeerMessage } from './peer/resources.js';
import { PeerResourceRegistry } from './peer/resources.js';
import { payloadBytes } from './protocol/frames.js';
import type { RtcImplementation } from './rtc/binding.js';
import type { WebSocketConstructor } from './signaling/transport.js';
import { createSessionLogic, SocketTracker } from './signaling/transport.js';

/** The public states of a peer (tags of the peer chart). */
export type { PeerState };

/** Options of `createPeerSystem`. Times in ms, sizes in bytes. */
export interface PeerSystemOptions {
  /** Our peer id in the room (1-128 printable ASCII characters). */
  localId: string;
  /** Signaling server URL, e.g. `ws://127.0.0.1:8080`. */
  url: string;
  /** Room on the signaling server. Default `default`. */
  room?: string;
  /** The RTC implementation (browser globals, @roamhq/wrtc via `peerstate/node`, werift). */
  rtc: RtcImplementation;
  /** The WebSocket constructor (the global one in browsers, `ws` in Node). */
  WebSocket: WebSocketConstructor;
  /** ICE servers (RTCConfiguration.iceServers). Default none: host candidates only. */
  iceServers?: RTCIceServer[];
  /** Accept policy for peers that connect to us first. Default: accept everyone in the room. */
  accept?: (peerId: string) => boolean;
  /** Time `connecting` and `handshaking` may each take before `failed`. Default 15000 ms. */
  connectTimeoutMs?: number;
  /** ICE restarts tried in a row (after `disconnected` outlasts its grace, `failed`, or a lost heartbeat) before a full reconnect. Default 8. */
  maxIceRestarts?: number;
  /** Full reconnects (a new RTCPeerConnection on both sides, after backoff) before `failed`. Default 5. */
  maxReconnects?: number;
  /** Full reconnect backoff: first wait and cap, exponential with full jitter. Default 250 / 8000 ms. */
  peerReconnectBackoff?: { initialMs?: number; maxMs?: number };
  /** Time ICE may stay `disconnected` before an ICE restart. Default 2000 ms. */
  disconnectedGraceMs?: number;
  /** While restarting, time one ICE restart may take before the next. Default 3000 ms. */
  iceRestartIntervalMs?: number;
  /** After an ICE restart, time the resume handshake may take before a full reconnect. Default 1000 ms. */
  resumeTimeoutMs?: number;
  /** Heartbeat period over the data channel. Default 500 ms. */
  heartbeatIntervalMs?: number;
  /** Heartbeat periods without a frame from the remote before an ICE restart. Default 3 (about 1.5-2 s). */
  heartbeatMisses?: number;
  /** Time one RTCPeerConnection operation may take. Default 10000 ms. */
  operationTimeoutMs?: number;
  /** Remote candidates buffered per peer before the remote description is set. Default 256. */
  maxBufferedCandidates?: number;
  /** Largest message accepted from a remote (after reassembly of chunks). Default 16 MiB. */
  maxMessageBytes?: number;
  /** Outbox bounds per peer, counting messages not yet acknowledged by the remote. Default 10000 messages, 16 MiB. */
  outbox?: { maxMessages?: number; maxBytes?: number };
  /** Sending pauses at this `bufferedAmount`. Default 4 MiB. */
  highWaterMark?: number;
  /** Sending resumes at this `bufferedAmount`. Default 1 MiB. */
  lowWaterMark?: number;
  /** Poll period of `bufferedAmount` on stacks without `bufferedamountlow` (wrtc). Default 2 ms. */
  pollIntervalMs?: number;
  /** Signaling reconnect backoff: first wait and cap, with full jitter. Default 250 / 10000 ms. */
  reconnectBackoff?: { initialMs?: number; maxMs?: number };
  /** XState inspection callback (`createActor(..., { inspect })`), e.g. `@statelyai/inspect`'s. */
  inspect?: (event: InspectionEvent) => void;
}

/** A view of the actor of one remote peer. */
export interface PeerHandle {
  /** The remote peer id. */
  readonly id: string;
  /** The current top-level state. */
  readonly state: PeerState;
  /** Top-level states, starting with the current one; completes when the peer is closed. */
  readonly state$: Observable<PeerState>;
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
  /** Starts an ICE restart now if the peer is `connected` (webrtc-pc restartIce, done as an explicit offer). */
  restartIce(): void;
  /** Cuts a reconnect backoff short: the next attempt starts now (RC-10). */
  retryNow(): void;
}

/** A running peer system. */
export interface PeerSystem {
  /** Our peer id. */
  readonly localId: string;
  /** The root XState actor, for inspection. */
  readonly actor: ReturnType<typeof createActor<typeof systemMachine>>;
  /** Connects to a peer; idempotent per peer id (one actor, one RTCPeerConnection; RC-9). */
  connect(peerId: string): PeerHandle;
  /** The handle of a peer that has an actor, if any. */
  peer(peerId: string): PeerHandle | undefined;
  /** Handles of peers that connected to us first (accepted by `accept`). */
  readonly incoming$: Observable<PeerHandle>;
  /** Every message from every peer. */
  readonly messages$: Observable<PeerMessage>;
  /** Every error, typed. */
  readonly errors$: Observable<PeerstateError>;
  /** States of the signaling session, starting with the current one; completes on stop. */
  readonly signaling$: Observable<SignalingState>;
  /** Resolves when the signaling session is open (now, or the next time it opens). */
  signalingOpen(): Promise<void>;
  /** Reconnects the signaling session now, cutting a backoff wait short. */
  retrySignaling(): void;
  /**
   * Moves to another signaling server (a new session generation): nothing produced under the old
   * session is sent on the new one, nothing arriving on the old socket is processed (CB-3).
   */
  switchSignaling(url: string): void;
  /** Closes every peer and the signaling session; resolves when sockets are closed. Idempotent. */
  stop(): Promise<void>;
}

/** The states of the signaling session (the signaling chart's top level). */
export type SignalingState = 'disconnected' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A message larger than the outbox's byte limit: it could never be sent. */
function tooLarge(peerId: string, data: string | Uint8Array): PeerstateError {
  return new PeerstateError(
    'message-too-large',
    `a message of ${payloadBytes(data)} bytes is larger than the outbox`,
    {
      peerId,
    },
  );
}

function topState(snapshot: PeerSnapshot): PeerState {
  return peerStateOf(snapshot);
}

/**
 * Creates and starts a peer system: one signaling session and one actor per remote peer.
 * Errors are delivered on `errors$`, never thrown into the event loop.
 */
export function createPeerSystem(options: PeerSystemOptions): PeerSystem {
  const registry = new PeerResourceRegistry({
    maxMessages: options.outbox?.maxMessages ?? 10_000,
    maxBytes: options.outbox?.maxBytes ?? 16 * 1024 * 1024,
  });
  const tracker = new SocketTracker();
  const backoff = { initialMs: 250, maxMs: 10_000, ...options.reconnectBackoff };
  const accept = options.accept ?? (() => true);

  const peer = providePeerMachine({
    rtc: options.rtc,
    registry,
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    disconnectedGraceMs: options.disconnectedGraceMs ?? 2_000,
    iceRestartIntervalMs: options.iceRestartIntervalMs ?? 3_000,
    resumeTimeoutMs: options.resumeTimeoutMs ?? 1_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 500,
    heartbeatMisses: options.heartbeatMisses ?? 3,
    reconnectBackoff: { initialMs: 250, maxMs: 8_000, ...options.peerReconnectBackoff },
    maxMessageBytes: options.maxMessageBytes ?? 16 * 1024 * 1024,
    binding: {
      iceServers: options.iceServers ?? [],
      operationTimeoutMs: options.operationTimeoutMs ?? 10_000,
      highWaterMark: options.highWaterMark ?? 4 * 1024 * 1024,
      lowWaterMark: options.lowWaterMark ?? 1024 * 1024,
      pollIntervalMs: options.pollIntervalMs ?? 2,
    },
  });
  const signaling = signalingMachine.provide({
    actors: { session: createSessionLogic(options.WebSocket, tracker) },
    delays: {
      // Exponential backoff with full jitter.
      reconnectBackoff: ({ context }) =>
        Math.random() * Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(context.attempt, 16)),
    },
  });
  const machine = systemMachine.provide({
    actors: { peer, signaling },
    guards: {
      isAccepted: ({ event }) =>
        event.type === 'SIGNALING.FRAME' && event.frame.type === 'signal' && accept(event.frame.from),
    },
  });

  const actor = createActor(machine, {
    systemId: 'system',
    input: {
      localId: options.localId,
      url: options.url,
      room: options.room ?? 'default',
      maxBufferedCandidates: options.maxBufferedCandidates ?? 256,
      maxIceRestarts: options.maxIceRestarts ?? 8,
      maxReconnects: options.maxReconnects ?? 5,
      epoch: Math.floor(Math.random() * 2 ** 48).toString(36),
    },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });

  const errors = new Subject<PeerstateError>();
  const incoming = new Subject<PeerHandle>();
  const handles = new WeakMap<AnyActorRef, PeerHandle>();
  const subscriptions = [
    registry.errors.subscribe(errors),
    actor.on('staleSignal', (e) =>
      errors.next(
        new PeerstateError(
          'signaling-dropped',
          `signal from ${e.from} of stale session ${e.generation} dropped`,
          {
            peerId: e.from,
          },
        ),
      ),
    ),
    actor.on('refusedPeer', (e) =>
      errors.next(
        new PeerstateError('peer-refused', `peer ${e.peerId} refused by the accept policy`, {
          peerId: e.peerId,
        }),
      ),
    ),
    actor.on('serverError', (e) =>
      errors.next(new PeerstateError('signaling-server-error', `${e.code}: ${e.message}`)),
    ),
  ];
  const messages$ = registry.messages.pipe(share());

  const peerActor = (peerId: string) => actor.system.get(peerSystemId(peerId)) as PeerActor | undefined;

  function handleOf(ref: PeerActor): PeerHandle {
    const existing = handles.get(ref);
    if (existing) return existing;
    const id = ref.getSnapshot().context.remoteId;
    const key = ref.getSnapshot().context.key;
    const handle: PeerHandle = {
      id,
      actor: ref,
      get state() {
        return topState(ref.getSnapshot());
      },
      // defer: a late subscriber starts from the state at subscription, not at handle creation.
      state$: defer(() => from(ref).pipe(startWith(ref.getSnapshot()))).pipe(
        map(topState),
        distinctUntilChanged(),
      ),
      messages$: messages$.pipe(
        filter((m) => m.from === id),
        map((m) => m.data),
      ),
      errors$: errors.pipe(filter((e) => e.peerId === id)),
      send(data) {
        const resources = registry.get(key);
        if (!resources || ref.getSnapshot().status !== 'active') throw new PeerClosedError(id);
        if (!resources.outbox.canHold(data)) throw tooLarge(id, data);
        if (!resources.outbox.fits(data)) throw new OutboxFullError(id, resources.outbox.limits);
        ref.send({ type: 'SEND', data });
      },
      retryNow() {
        if (ref.getSnapshot().status === 'active') ref.send({ type: 'RETRY' });
      },
      restartIce() {
        if (ref.getSnapshot().status === 'active') ref.send({ type: 'RESTART_ICE' });
      },
      writable(data) {
        const resources = registry.get(key);
        if (!resources || ref.getSnapshot().status !== 'active')
          return Promise.reject(new PeerClosedError(id));
        if (data !== undefined && !resources.outbox.canHold(data)) return Promise.reject(tooLarge(id, data));
        return resources.outbox.whenWritable(data).then(() => {
          if (ref.getSnapshot().status !== 'active') throw new PeerClosedError(id);
        });
      },
      flushed() {
        const resources = registry.get(key);
        if (!resources || ref.getSnapshot().status !== 'active')
          return Promise.reject(new PeerClosedError(id));
        return resources.outbox.whenEmpty().then(() => {
          if (ref.getSnapshot().status !== 'active') throw new PeerClosedError(id);
        });
      },
      close() {
        // A finished actor has nothing left to close (RC-8): no event, no warning.
        if (ref.getSnapshot().status === 'active') ref.send({ type: 'CLOSE' });
      },
    };
    handles.set(ref, handle);
    return handle;
  }

  // Failures are also errors: one stream says everything that went wrong.
  const watched = new WeakSet<AnyActorRef>();
  function watch(ref: PeerActor, isIncoming: boolean) {
    if (watched.has(ref)) return;
    watched.add(ref);
    subscriptions.push(
      ref.on('failure', (e) =>
        errors.next(
          new PeerstateError('connection-failed', `${e.code}: ${e.message}`, { peerId: e.remoteId }),
        ),
      ),
      ref.on('sendFailure', (e) =>
        errors.next(
          new PeerstateError('send-failed', `send to ${e.remoteId} failed: ${e.message}`, {
            peerId: e.remoteId,
          }),
        ),
      ),
      ref.on('candidateOverflow', (e) =>
        errors.next(
          new PeerstateError(
            'candidate-overflow',
            `remote candidate buffer of ${e.remoteId} is full; newest dropped`,
            {
              peerId: e.remoteId,
            },
          ),
        ),
      ),
    );
    if (isIncoming) incoming.next(handleOf(ref));
  }

  // Peers spawned by an inbound signal: surface them as incoming handles. XState replaces the
  // children object only when a child is spawned or stopped: other snapshots (every routed signal)
  // skip the walk.
  let seenChildren: object | undefined;
  const rootSub = actor.subscribe((snapshot) => {
    if (snapshot.children === seenChildren) return;
    seenChildren = snapshot.children;
    for (const child of Object.values(snapshot.children)) {
      const ref = child as AnyActorRef | undefined;
      if (ref && ref.id !== SIGNALING_CHILD_ID && !watched.has(ref)) watch(ref as PeerActor, true);
    }
  });

  actor.start();
  actor.send({ type: 'SIGNALING.START' });
  const signalingRef = actor.system.get('signaling') as AnyActorRef;
  subscriptions.push(
    signalingRef.on('signalDropped', (e: { to: string; generation: number; currentGeneration: number }) =>
      errors.next(
        new PeerstateError(
          'signaling-dropped',
          `signal to ${e.to} of session ${e.generation} dropped (current session ${e.currentGeneration})`,
          { peerId: e.to },
        ),
      ),
    ),
    signalingRef.on('invalidFrame', (e: { reason: string }) =>
      errors.next(
        new PeerstateError('signaling-invalid-frame', `invalid frame from the server: ${e.reason}`),
      ),
    ),
  );
  const signaling$ = defer(() => from(signalingRef).pipe(startWith(signalingRef.getSnapshot()))).pipe(
    map((snapshot): SignalingState => (snapshot as { value: SignalingState }).value),
    distinctUntilChanged(),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  let stopping: Promise<void> | undefined;

  return {
    localId: options.localId,
    actor,
    incoming$: incoming.asObservable(),
    messages$,
    errors$: errors.asObservable(),
    connect(peerId) {
      if (actor.getSnapshot().status !== 'active')
        throw new PeerstateError('system-stopped', 'the system is stopped');
      const before = peerActor(peerId);
      actor.send({ type: 'CONNECT', peerId });
      const ref = peerActor(peerId);
      if (!ref) throw new PeerstateError('peer-refused', `no actor for ${peerId}`, { peerId });
      if (ref !== before) watch(ref, false);
      return handleOf(ref);
    },
    peer(peerId) {
      const ref = peerActor(peerId);
      return ref ? handleOf(ref) : undefined;
    },
    signaling$,
    signalingOpen() {
      return firstValueFrom(signaling$.pipe(filter((state) => state === 'open'))).then(() => undefined);
    },
    retrySignaling() {
      actor.send({ type: 'SIGNALING.RETRY' });
    },
    switchSignaling(url) {
      actor.send({ type: 'SIGNALING.SWITCH', url });
    },
    stop() {
      stopping ??= (async () => {
        // Peers close (each sends its bye), then the session closes; bounded, then everything stops.
        actor.send({ type: 'STOP' });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1_000);
          const sub = actor.subscribe({
            complete: () => {
              clearTimeout(timer);
              resolve();
            },
          });
          if (actor.getSnapshot().status !== 'active') {
            clearTimeout(timer);
            sub.unsubscribe();
            resolve();
          }
        });
        actor.stop();
        rootSub.unsubscribe();
        for (const sub of subscriptions) sub.unsubscribe();
        await tracker.settle(2_000);
        registry.complete();
        errors.complete();
        incoming.complete();
      })();
      return stopping;
    },
  };
}
