/**
 * createPeerSystem: the composition point. It resolves the options, provides the charts with their
 * implementations, starts the root actor, and exposes peers as handles with rxjs Observables.
 */
import type { Observable } from 'rxjs';
import { distinctUntilChanged, filter, firstValueFrom, map, Subject } from 'rxjs';
import type { AnyActorRef, Subscription } from 'xstate';
import { createActor } from 'xstate';
import type { PeerActor } from '../machines/peer.js';
import { signalingMachine } from '../machines/signaling.js';
import type { SystemInput } from '../machines/system.js';
import { peerAdmittedBySystem, peerSystemId, systemMachine } from '../machines/system.js';
import { reportErrorEvents } from './error-events.js';
import { PeerstateError } from './errors.js';
import type { PeerSystemOptions, ResolvedOptions } from './options.js';
import { resolveOptions } from './options.js';
import { providePeerMachine } from './peer/actors.js';
import type { PeerMessage } from './peer/resources.js';
import { PeerResourceRegistry } from './peer/resources.js';
import type { PeerHandle } from './peer-handle.js';
import { peerHandles } from './peer-handle.js';
import { RemoteAskLimiter } from './remote-asks.js';
import { createSessionLogic, SocketTracker } from './signaling/transport.js';
import { snapshots } from './snapshots.js';

// Where these types were always exported from (peerstate/testing and peerstate/node import them here).
export type { PeerSystemOptions } from './options.js';
export type { PeerHandle, PeerState } from './peer-handle.js';

/**
 * After STOP, the time the peers (each sending its bye) and the signaling session get to close on
 * their own before the actors are stopped where they stand, in ms.
 */
const STOP_GRACE_MS = 1_000;

/** After the actors stopped, the time the WebSockets get to finish their close handshakes, in ms. */
const SOCKET_CLOSE_TIMEOUT_MS = 2_000;

/** A running peer system. */
export interface PeerSystem {
  /** Our peer id. */
  readonly localId: string;
  /** The root XState actor, for inspection. */
  readonly actor: ReturnType<typeof createActor<typeof systemMachine>>;
  /**
   * Connects to a peer; idempotent per peer id (one actor, one RTCPeerConnection; RC-9).
   * @throws PeerstateError `system-stopped` after `stop()`.
   */
  connect(peerId: string): PeerHandle;
  /** The handle of a peer that has an actor, if any. */
  peer(peerId: string): PeerHandle | undefined;
  /**
   * What the peer holds outside its chart (outbox, channel buffer, held inbound messages), read-only,
   * for inspectors; undefined when the peer has no actor.
   */
  deliveryFigures(peerId: string): DeliveryFigures | undefined;
  /** Handles of peers that connected to us first (accepted by `accept`); never one we `connect`ed to. */
  readonly incoming$: Observable<PeerHandle>;
  /** Every message from every peer. */
  readonly messages$: Observable<PeerMessage>;
  /**
   * Every error, typed: failures of peers (`connection-failed`, `send-failed`, `candidate-overflow`,
   * `candidate-failed`, `invalid-frame`, `undelivered`), of signaling (`signaling-dropped`, `signaling-invalid-frame`,
   * `signaling-server-error`) and refused peers (`peer-refused`).
   */
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
  /**
   * Closes every peer and the signaling session; resolves when sockets are closed (or after at most
   * about 3 s). Idempotent: every call returns the same promise.
   */
  stop(): Promise<void>;
}

/** What a peer holds outside its chart, read for inspection: counts of messages, sizes in bytes. */
export interface DeliveryFigures {
  /** Messages in the outbox: not yet sent, or sent and not yet acknowledged. */
  outboxMessages: number;
  /** Payload bytes of those messages. */
  outboxBytes: number;
  /** Of those, messages sent and not yet acknowledged. */
  unacknowledged: number;
  /** The data channel's `bufferedAmount` (0 without a pc). */
  bufferedAmount: number;
  /** Messages received in order that wait for `connected` before the application sees them. */
  pendingInbound: number;
  /** The last heartbeat round trip (ping to pong), in ms; null before the first. */
  roundTripMs: number | null;
}

/** The states of the signaling session (the signaling chart's top level). */
export type SignalingState = 'disconnected' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** The system chart with every implementation supplied: the one place charts meet the runtime. */
function provideSystemMachine(
  options: ResolvedOptions,
  runtime: { registry: PeerResourceRegistry; tracker: SocketTracker },
) {
  const asks = new RemoteAskLimiter({
    perMinute: options.maxRemoteNegotiationsPerMinute,
    // Ids a lying server may invent are remembered up to this many: a few hundred bytes each.
    maxRemotes: Math.max(1_024, 4 * options.maxPeers),
  });
  const peer = providePeerMachine({
    rtc: options.rtc,
    registry: runtime.registry,
    connectTimeoutMs: options.connectTimeoutMs,
    disconnectedGraceMs: options.disconnectedGraceMs,
    iceRestartIntervalMs: options.iceRestartIntervalMs,
    resumeTimeoutMs: options.resumeTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs,
    heartbeatMisses: options.heartbeatMisses,
    reconnectPolicy: options.reconnectPolicy,
    maxMessageBytes: options.maxMessageBytes,
    binding: {
      iceServers: options.iceServers,
      operationTimeoutMs: options.operationTimeoutMs,
      highWaterMark: options.highWaterMark,
      lowWaterMark: options.lowWaterMark,
      pollIntervalMs: options.pollIntervalMs,
    },
  });
  const signaling = signalingMachine.provide({
    actors: { session: createSessionLogic(options.WebSocket, runtime.tracker, options.signalingToken) },
    delays: {
      // `attempt` counts reconnects since the session was last open: 1 on the first.
      reconnectBackoff: ({ context }) => options.signalingReconnectPolicy.nextDelayMs(context.attempt) ?? 0,
    },
  });
  return systemMachine.provide({
    actors: { peer: peerAdmittedBySystem(peer), signaling },
    guards: {
      isAccepted: ({ event }) =>
        event.type === 'SIGNALING.FRAME' && event.frame.type === 'signal' && options.accept(event.frame.from),
      isRemoteAskAdmitted: ({ event }) =>
        event.type === 'SIGNALING.FRAME' && event.frame.type === 'signal' && asks.admitAsk(event.frame.from),
      mayTellRefusal: ({ event }) =>
        event.type === 'SIGNALING.FRAME' && event.frame.type === 'signal' && asks.mayTell(event.frame.from),
    },
  });
}

/** The system chart's input from the resolved options. */
function systemInput(options: ResolvedOptions): SystemInput {
  return {
    localId: options.localId,
    url: options.url,
    // One URL needs no failover list: the chart then keeps it.
    ...(options.urls.length > 1 ? { urls: options.urls } : {}),
    room: options.room,
    maxBufferedCandidates: options.maxBufferedCandidates,
    maxIceRestarts: options.maxIceRestarts,
    maxReconnects: options.maxReconnects,
    maxPeers: options.maxPeers,
    maxPendingIncoming: options.maxPendingIncoming,
    maxConcurrentNegotiations: options.maxConcurrentNegotiations,
    epoch: Math.floor(Math.random() * 2 ** 48).toString(36),
  };
}

/** Resolves when `actor` is done, or after `timeoutMs` (ms), whichever comes first. */
function whenDone(actor: AnyActorRef, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (actor.getSnapshot().status !== 'active') return resolve();
    const timer = setTimeout(resolve, timeoutMs);
    actor.subscribe({
      complete: () => {
        clearTimeout(timer);
        resolve();
      },
    });
  });
}

/**
 * Creates and starts a peer system: one signaling session and one actor per remote peer. Errors are
 * delivered on `errors$`, never thrown into the event loop.
 * @example
 * const system = createPeerSystem({ localId: 'alice', url: 'ws://127.0.0.1:8080', rtc, WebSocket });
 * system.incoming$.subscribe((peer) => peer.messages$.subscribe(console.log));
 * system.connect('bob').send('hi');
 * await system.stop();
 */
export function createPeerSystem(userOptions: PeerSystemOptions): PeerSystem {
  const options = resolveOptions(userOptions);
  const registry = new PeerResourceRegistry(options.outbox);
  const tracker = new SocketTracker();
  const actor = createActor(provideSystemMachine(options, { registry, tracker }), {
    systemId: 'system',
    input: systemInput(options),
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });

  const errors = new Subject<PeerstateError>();
  const incoming = new Subject<PeerHandle>();
  const messages$ = registry.messages.asObservable();
  const handleOf = peerHandles({ registry, messages$, errors$: errors });
  const peerActor = (peerId: string) => actor.system.get(peerSystemId(peerId)) as PeerActor | undefined;
  const report = (error: PeerstateError) => errors.next(error);

  const subscriptions: Subscription[] = [registry.errors.subscribe(errors), reportErrorEvents(actor, report)];
  // Every peer the chart spawns reports its errors; those an inbound signal spawned are also incoming.
  subscriptions.push(
    actor.on('peerSpawned', ({ peerId, incoming: isIncoming }) => {
      const ref = peerActor(peerId);
      if (!ref) return;
      // Not kept: the listener lives on the peer actor and goes with it (kept here, each finished
      // peer's subscription stayed reachable: 2–6 KiB per connect/close cycle).
      reportErrorEvents(ref, report);
      if (isIncoming) incoming.next(handleOf(ref));
    }),
  );

  actor.start();
  actor.send({ type: 'SIGNALING.START' });
  const signalingRef = actor.system.get('signaling') as AnyActorRef;
  subscriptions.push(reportErrorEvents(signalingRef, report));
  const signaling$ = snapshots(signalingRef).pipe(
    map((snapshot): SignalingState => (snapshot as { value: SignalingState }).value),
    distinctUntilChanged(),
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
      actor.send({ type: 'CONNECT', peerId });
      const ref = peerActor(peerId);
      if (!ref) throw new PeerstateError('peer-refused', `no actor for ${peerId}`, { peerId });
      return handleOf(ref);
    },
    peer(peerId) {
      const ref = peerActor(peerId);
      return ref ? handleOf(ref) : undefined;
    },
    deliveryFigures(peerId) {
      const ref = peerActor(peerId);
      const resources = ref && registry.get(ref.getSnapshot().context.key);
      if (!resources) return undefined;
      return {
        outboxMessages: resources.outbox.size,
        outboxBytes: resources.outbox.bytes,
        unacknowledged: resources.outbox.unacknowledged,
        bufferedAmount: resources.binding?.bufferedAmount ?? 0,
        pendingInbound: resources.pending.length,
        roundTripMs: resources.roundTripMs,
      };
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
    // The close sequence:
    //
    //   STOP ─▶ system chart: CLOSE to every peer (each sends its bye, closes its pc),
    //           then CLOSE to signaling (the byes are queued before it, so they go out first)
    //     │
    //     ├─ wait until the root actor is done ............ at most STOP_GRACE_MS
    //     ├─ actor.stop(): whatever did not finish stops where it stands
    //     ├─ unsubscribe the event listeners
    //     ├─ wait until every WebSocket closed ............ at most SOCKET_CLOSE_TIMEOUT_MS
    //     └─ complete messages$, errors$ and incoming$
    stop() {
      stopping ??= (async () => {
        actor.send({ type: 'STOP' });
        await whenDone(actor, STOP_GRACE_MS);
        actor.stop();
        for (const sub of subscriptions) sub.unsubscribe();
        await tracker.settle(SOCKET_CLOSE_TIMEOUT_MS);
        registry.complete();
        errors.complete();
        incoming.complete();
      })();
      return stopping;
    },
  };
}
