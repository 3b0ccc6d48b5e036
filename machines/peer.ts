/**
 * The peer chart: the lifecycle of the connection to one remote peer.
 *
 * `disconnected → discovering → connecting → handshaking → connected`, plus `failed` and the final
 * `closed`. Two parents carry the rules that hold in several of those states, each stated once:
 * `idle` (disconnected, discovering, failed: no RTCPeerConnection; remote candidates wait, a remote
 * that asks starts an attempt) and `live` (connecting, handshaking, connected: it invokes the pc
 * actor, so entering `live` creates an RTCPeerConnection and leaving it closes that one; pc events,
 * failures, a replaced remote, bye and close are handled here). The public state names are the
 * tags of the seven states (`peerStateOf`). While `connecting`, negotiation, the remote-candidate
 * buffer, the ICE/DTLS transport and the data channel are parallel regions. Negotiation is MDN's perfect negotiation with explicit
 * rollback (the polite side rolls back on glare, the impolite side ignores the colliding offer).
 * Recovery is a path through the chart: ICE `disconnected` → a grace timer → ICE restart; `failed`, or
 * a lost heartbeat → ICE restart at once, repeated while restarts last; then `failed`. Pure: every action, guard, actor and delay that touches the
 * RTCPeerConnection, the data channel or the clock is a named placeholder here and is supplied from
 * src/peer/ with `peerMachine.provide(...)`.
 *
 * Terms: W3C webrtc-pc (connectionState, RTCIceCandidateInit), RFC 8838 (trickle ICE,
 * end-of-candidates), MDN perfect negotiation (polite, impolite).
 */

import type { ActorRefFrom, AnyActorRef, SnapshotFrom } from 'xstate';
import {
  and,
  assertEvent,
  assign,
  emit,
  fromCallback,
  fromPromise,
  not,
  raise,
  sendParent,
  sendTo,
  setup,
  stateIn,
} from 'xstate';
import type { Candidate, Description, Signal } from '../src/protocol/signals.js';
import type { RTCPeerConnectionState } from '../src/rtc/webrtc-types.js';

/** What the system gives a peer actor when it spawns it. */
export interface PeerInput {
  /** Integer key of this actor; also its child id under the system (cheap spawning). */
  key: number;
  /** Our own peer id. */
  localId: string;
  /** The remote peer's id. */
  remoteId: string;
  /** Remote candidates buffered at most while no remote description is set (ICE-5). */
  maxBufferedCandidates: number;
  /** ICE restarts tried in a row before a full reconnect (reset on reaching `connected`). */
  maxIceRestarts: number;
  /** Full reconnects (a new RTCPeerConnection after backoff) tried in a row before `failed`. */
  maxReconnects: number;
  /** Identifies this actor on the wire (unique per system run and actor), so a remote can tell a new actor of ours. */
  instance: string;
}

/** The peer actor's context. Serializable: the RTCPeerConnection itself lives in src/. */
export interface PeerContext extends PeerInput {
  /** Signaling session generation this peer's signals are stamped with (CB-3, CB-4). */
  generation: number;
  /** Remote candidates received before the remote description was set, in arrival order. */
  bufferedCandidates: (Candidate | null)[];
  /** The last error that moved the peer to `failed`, if any. */
  error: { code: string; message: string } | null;
  /**
   * The remote's resume point from its channel hello (the last sequence number it delivered), or null
   * until it arrived in this handshake. Recorded whenever it arrives: the remote may reach
   * `handshaking` and send it before this side has left `connecting`.
   */
  remoteResumePoint: number | null;
  /** ICE username fragment of the current remote description (RFC 8839 §5.4), or null before one. */
  remoteUfrag: string | null;
  /** ICE restarts tried since the peer was last `connected`. */
  iceRestarts: number;
  /** Full reconnects tried since the peer was last `connected`. */
  reconnects: number;
  /** Whether the remote is present on the signaling session, as last reported. */
  remotePresent: boolean;
  /** Generation of the newest signaling session the system reported. */
  sessionGeneration: number;
  /** Number of our current RTCPeerConnection to this peer (1, 2, ...); every signal carries it. */
  connection: number;
  /** The remote's connection number last seen in a description, or null before any. */
  remoteConnection: number | null;
  /** The remote actor instance that sent that description, or null before any. */
  remoteInstance: string | null;
  /** Whether our current pc has taken a remote description (is paired with `remoteConnection`). */
  paired: boolean;
  /**
   * Whether the current pc has been `connected`: a handshake on it after that is a resume (after an
   * ICE restart by either side), bounded by `resumeTimeout` like the restarting side's.
   */
  pcWasConnected: boolean;
}

/** Events the peer chart accepts. */
export type PeerEvent =
  // from the application (through the system)
  | { type: 'CONNECT' }
  | { type: 'CLOSE' }
  | { type: 'SEND'; data: string | Uint8Array }
  // from the system: admission, presence and routed signals
  | { type: 'ADMITTED' }
  | { type: 'REMOTE.PRESENT'; generation: number }
  | { type: 'REMOTE.ABSENT' }
  | {
      type: 'SIGNAL.DESCRIPTION';
      generation: number;
      instance: string;
      connection: number;
      description: Description;
    }
  | {
      type: 'SIGNAL.CANDIDATE';
      generation: number;
      instance: string;
      connection: number;
      candidate: Candidate | null;
    }
  | { type: 'SIGNAL.HELLO'; generation: number; instance: string; connection: number }
  | { type: 'SIGNAL.BYE'; generation: number; instance: string; connection: number }
  | { type: 'RETRY' }
  // raised inside the chart
  | { type: 'REMOTE_DESCRIPTION.SET'; ufrag: string | null }
  | { type: 'RESTART_ICE' }
  | { type: 'HEARTBEAT.LOST' }
  // from the RTCPeerConnection binding
  | { type: 'PC.ICE_CANDIDATE'; candidate: Candidate | null }
  | { type: 'PC.CONNECTION_STATE'; state: RTCPeerConnectionState }
  | { type: 'PC.ERROR'; code: string; message: string }
  | { type: 'CHANNEL.OPEN' }
  | { type: 'CHANNEL.CLOSE' }
  | { type: 'CHANNEL.HELLO'; lastDelivered: number }
  | { type: 'CHANNEL.BUFFER_LOW' }
  | { type: 'CHANNEL.SEND_FAILED'; message: string };

/** Events the peer actor emits to its observers (`actor.on(type, handler)`). */
export type PeerEmitted =
  | { type: 'candidateOverflow'; remoteId: string; dropped: Candidate | null }
  | { type: 'failure'; remoteId: string; code: string; message: string }
  /** An attempt ended (`code`, `message`: why) and reconnect number `reconnect` follows its backoff. */
  | { type: 'attemptFailed'; remoteId: string; code: string; message: string; reconnect: number }
  | { type: 'sendFailure'; remoteId: string; message: string }
  | { type: 'ignoredOffer'; remoteId: string }
  | { type: 'staleCandidate'; remoteId: string; candidate: Candidate | null }
  /** Entering a public state (every one, in order, even several in one step). */
  | { type: 'state'; remoteId: string; state: PeerState };

/** The public states of a peer, in lifecycle order; each is the tag of one chart state. */
export const PEER_STATES = [
  'disconnected',
  'discovering',
  'connecting',
  'handshaking',
  'connected',
  'failed',
  'closed',
] as const;

/** A public peer state (`peerStateOf`). */
export type PeerState = (typeof PEER_STATES)[number];

/**
 * What the chart tells its pc actor (invoked as `pc` while `live`): apply remote candidates, send the
 * channel hello, flush or resume the outbox, start or stop the heartbeat. An event sent to a pc
 * actor that was already stopped is dropped, so a command never reaches a replaced pc.
 */
export type PeerConnectionCommand =
  | { type: 'ADD_CANDIDATES'; candidates: (Candidate | null)[] }
  | { type: 'SEND_HELLO' }
  | { type: 'FLUSH' }
  | { type: 'FLUSH_FIRST' }
  | { type: 'RESUME'; lastDelivered: number }
  | { type: 'HEARTBEAT.START' }
  | { type: 'HEARTBEAT.STOP' };

/** A placeholder that must be supplied from src/ with `provide`: failing loudly beats doing nothing. */
function notProvided(name: string): never {
  throw new Error(`peer chart: "${name}" was not provided (supply it with peerMachine.provide)`);
}

/** Output of the actors that set a remote description: the ICE ufrag it carries. */
export interface RemoteDescriptionOutput {
  ufrag: string | null;
}

/**
 * How a signal's remote actor instance and connection number relate to our current pc: `current`
 * (the remote pc we talk to, or any newer one while our pc is fresh), `replaced` (the remote made a
 * new pc, or is a new actor, while ours is paired with its previous one: a full reconnect we must
 * follow) or `stale` (an older pc of the same remote actor).
 */
export function connectionOf(
  context: Pick<PeerContext, 'remoteConnection' | 'remoteInstance' | 'paired'>,
  signal: { connection: number; instance: string },
): 'current' | 'replaced' | 'stale' {
  const { connection } = signal;
  if (context.remoteConnection === null) return 'current';
  // Another remote actor (it restarted, numbering its connections from 1 again).
  if (signal.instance !== context.remoteInstance) return context.paired ? 'replaced' : 'current';
  if (context.paired) {
    if (connection === context.remoteConnection) return 'current';
    return connection > context.remoteConnection ? 'replaced' : 'stale';
  }
  return connection > context.remoteConnection ? 'current' : 'stale';
}

/**
 * Whether a remote candidate belongs to the ICE generation of the remote description whose ufrag is
 * `ufrag` (ICE-6). End-of-candidates and candidates that name no ufrag are taken as current.
 */
export function isOfGeneration(candidate: Candidate | null, ufrag: string | null): boolean {
  if (!candidate || ufrag === null) return true;
  const named = candidate.usernameFragment ?? /\sufrag\s(\S+)/.exec(candidate.candidate)?.[1];
  return named === undefined || named === null || named === ufrag;
}

/** Input of the actor that owns a peer's resources in src/ for the actor's whole life. */
export type PeerResourcesInput = Pick<PeerInput, 'key' | 'remoteId' | 'instance'>;

/** Input of every pc operation: whose pc (actor key) and which of its pcs (connection number). */
export interface OperationInput {
  key: number;
  connection: number;
}

/** Output of the negotiation actors: the local description to send. */
export type LocalDescriptionOutput = Description;

/** What the signaling actor accepts from a peer: a signal stamped with the generation it was made under. */
export interface OutboundSignal {
  type: 'SIGNALING.SEND';
  generation: number;
  to: string;
  signal: Signal;
}

function signalFor(context: PeerContext, signal: Signal): OutboundSignal {
  return {
    type: 'SIGNALING.SEND',
    generation: context.generation,
    to: context.remoteId,
    signal: { ...signal, instance: context.instance, connection: context.connection },
  };
}

/** The signaling actor, registered by the system under the systemId `signaling`. */
const signaling = ({ system }: { system: { get: (id: string) => AnyActorRef | undefined } }) =>
  system.get('signaling') as AnyActorRef;

/** Input of the steps that set a remote description: the description of the SIGNAL.DESCRIPTION that entered them. */
function remoteDescriptionInput({ context, event }: { context: PeerContext; event: PeerEvent }) {
  assertEvent(event, 'SIGNAL.DESCRIPTION');
  return { key: context.key, connection: context.connection, description: event.description };
}

/**
 * The peer chart (XState v5 machine, id `peer`): input `PeerInput`, context `PeerContext`, events
 * `PeerEvent`, emitted `PeerEmitted`; its public state is `peerStateOf(snapshot)`. Negotiation follows
 * MDN's perfect negotiation; candidates trickle (RFC 8838). Every actor, action and guard that touches
 * the RTCPeerConnection, the data channel, the outbox or the heartbeat throws until supplied with
 * `peerMachine.provide` (src/peer/actors.ts supplies them); the delays are defaults, in ms.
 */
export const peerMachine = setup({
  types: {
    context: {} as PeerContext,
    events: {} as PeerEvent,
    input: {} as PeerInput,
    emitted: {} as PeerEmitted,
  },
  actors: {
    /** Owns the resources of this actor in src/ (outbox, inbox) for the actor's whole life. */
    peerResources: fromCallback<PeerEvent, PeerResourcesInput>(() => notProvided('peerResources')),
    /**
     * Owns one RTCPeerConnection, its data channel, the receiver and the heartbeat clock; reports their
     * events as PC.* and CHANNEL.* and takes `PeerConnectionCommand`s. Invoked by `live` as `pc`.
     */
    peerConnection: fromCallback<PeerConnectionCommand, OperationInput>(() => notProvided('peerConnection')),
    /** createOffer (with `iceRestart` when asked) + setLocalDescription; resolves with the offer to send. */
    createOffer: fromPromise<LocalDescriptionOutput, OperationInput & { iceRestart: boolean }>(async () =>
      notProvided('createOffer'),
    ),
    /** Explicit rollback if a local offer is pending (wrtc has no implicit rollback), then setRemoteDescription(offer). */
    acceptOffer: fromPromise<RemoteDescriptionOutput, OperationInput & { description: Description }>(
      async () => notProvided('acceptOffer'),
    ),
    /** createAnswer + setLocalDescription; resolves with the answer to send. */
    createAnswer: fromPromise<LocalDescriptionOutput, OperationInput>(async () =>
      notProvided('createAnswer'),
    ),
    /** setRemoteDescription(answer). */
    setRemoteDescription: fromPromise<RemoteDescriptionOutput, OperationInput & { description: Description }>(
      async () => notProvided('setRemoteDescription'),
    ),
  },
  actions: {
    /** Appends a remote candidate to the buffer (arrival order). */
    bufferRemoteCandidate: assign({
      bufferedCandidates: ({ context, event }) => {
        assertEvent(event, 'SIGNAL.CANDIDATE');
        return [...context.bufferedCandidates, event.candidate];
      },
    }),
    /** ICE-5 overflow rule: the buffer keeps the earliest candidates; a newer one is dropped and reported. */
    reportCandidateOverflow: emit(({ context, event }) => {
      assertEvent(event, 'SIGNAL.CANDIDATE');
      return { type: 'candidateOverflow' as const, remoteId: context.remoteId, dropped: event.candidate };
    }),
    /** Applies the buffered candidates of the new description's ICE generation to the pc, in arrival order (ICE-4, ICE-6). Supplied from src/. */
    drainRemoteCandidates: () => notProvided('drainRemoteCandidates'),
    clearBufferedCandidates: assign({ bufferedCandidates: [] }),
    /** Applies one remote candidate to the pc. Supplied from src/. */
    addRemoteCandidate: () => notProvided('addRemoteCandidate'),
    /** Stamps this attempt with the signaling session it starts under (CB-6: never re-stamped mid-attempt). */
    adoptGeneration: assign({
      generation: ({ context, event }) =>
        'generation' in event ? event.generation : context.sessionGeneration,
    }),
    recordPresence: assign({
      remotePresent: true,
      sessionGeneration: ({ event }) => {
        assertEvent(event, 'REMOTE.PRESENT');
        return event.generation;
      },
    }),
    recordAbsence: assign({ remotePresent: false }),
    /**
     * A new RTCPeerConnection: the next connection number, not yet paired with a remote one. It
     * starts a new round of ICE restarts, with the full connect timeout.
     */
    nextConnection: assign({
      connection: ({ context }) => context.connection + 1,
      paired: false,
      iceRestarts: 0,
      pcWasConnected: false,
    }),
    markPcConnected: assign({ pcWasConnected: true }),
    pairRemoteConnection: assign(({ event }) => {
      assertEvent(event, 'SIGNAL.DESCRIPTION');
      return { remoteConnection: event.connection, remoteInstance: event.instance, paired: true };
    }),
    /** No pc, nothing paired: any remote pc may be the next one. */
    unpair: assign({ paired: false }),
    countReconnect: assign({ reconnects: ({ context }) => context.reconnects + 1 }),
    resetReconnects: assign({ reconnects: 0 }),
    raiseRemoteDescriptionSet: raise((_, params: RemoteDescriptionOutput) => ({
      type: 'REMOTE_DESCRIPTION.SET' as const,
      ufrag: params.ufrag,
    })),
    adoptRemoteUfrag: assign({
      remoteUfrag: ({ event }) => {
        assertEvent(event, 'REMOTE_DESCRIPTION.SET');
        return event.ufrag;
      },
    }),
    countIceRestart: assign({ iceRestarts: ({ context }) => context.iceRestarts + 1 }),
    resetIceRestarts: assign({ iceRestarts: 0 }),
    reportIgnoredOffer: emit(({ context }) => ({
      type: 'ignoredOffer' as const,
      remoteId: context.remoteId,
    })),
    reportStaleCandidate: emit(({ context, event }) => {
      assertEvent(event, 'SIGNAL.CANDIDATE');
      return { type: 'staleCandidate' as const, remoteId: context.remoteId, candidate: event.candidate };
    }),
    sendDescription: sendTo(signaling, ({ context }, params: { description: Description }) =>
      signalFor(context, { type: 'description', description: params.description }),
    ),
    sendCandidate: sendTo(signaling, ({ context, event }) => {
      assertEvent(event, 'PC.ICE_CANDIDATE');
      return signalFor(context, { type: 'candidate', candidate: event.candidate });
    }),
    sendHello: sendTo(signaling, ({ context }) => signalFor(context, { type: 'hello' })),
    sendBye: sendTo(signaling, ({ context }) =>
      signalFor(context, { type: 'bye', recipient: context.remoteInstance ?? undefined }),
    ),
    /** Sends our resume frame over the data channel (where delivery resumes). Supplied from src/. */
    sendChannelHello: () => notProvided('sendChannelHello'),
    /** Puts a message at the end of the outbox. Supplied from src/. */
    enqueueMessage: () => notProvided('enqueueMessage'),
    /** Sends queued messages while the channel accepts them; the one flush path (DC-3). Supplied from src/. */
    flushOutbox: () => notProvided('flushOutbox'),
    /** Right after our hello, on a first connection (nothing ever sent), the queued messages follow. Supplied from src/. */
    flushFirstMessages: () => notProvided('flushFirstMessages'),
    /** Resend from the remote's resume point: what it delivered is released, the rest goes again. Supplied from src/. */
    resumeOutbox: () => notProvided('resumeOutbox'),
    /** Refuses every message still queued with a typed error (no silent drop). Supplied from src/. */
    releaseOutbox: () => notProvided('releaseOutbox'),
    /** Starts watching the remote's liveness over the data channel (HEARTBEAT.LOST when it falls silent). Supplied from src/. */
    startHeartbeat: () => notProvided('startHeartbeat'),
    /** Stops the heartbeat. Supplied from src/. */
    stopHeartbeat: () => notProvided('stopHeartbeat'),
    recordError: assign({
      error: ({ context, event }) => {
        if (event.type === 'PC.ERROR') return { code: event.code, message: event.message };
        if (event.type === 'PC.CONNECTION_STATE')
          return { code: 'ice-failed', message: `connectionState is ${event.state}` };
        if (event.type === 'CHANNEL.CLOSE')
          return { code: 'channel-closed', message: 'the data channel closed' };
        // A negotiation step's actor failed (xstate.error.actor.*).
        if ('error' in event)
          return {
            code: 'negotiation-failed',
            message: event.error instanceof Error ? event.error.message : String(event.error),
          };
        return context.error;
      },
    }),
    recordRemoteAbsent: assign({
      error: {
        code: 'remote-absent',
        message: 'the remote left the signaling room; waiting for it to return',
      },
    }),
    recordTimeout: assign({
      error: { code: 'timeout', message: 'no connection before the connect timeout' },
    }),
    recordResumeTimeout: assign({
      error: {
        code: 'resume-timeout',
        message: 'no resume hello after an ICE restart; reconnecting with a new pc',
      },
    }),
    recordRestartsExhausted: assign({
      error: ({ context }) => ({
        code: 'ice-restarts-exhausted',
        message:
          context.maxIceRestarts === 0
            ? 'no ICE restarts here (maxIceRestarts is 0); reconnecting with a new pc'
            : `${context.iceRestarts} ICE restarts did not recover the connection`,
      }),
    }),
    clearError: assign({ error: null }),
    recordRemoteResumePoint: assign({
      remoteResumePoint: ({ event }) => {
        assertEvent(event, 'CHANNEL.HELLO');
        return event.lastDelivered;
      },
    }),
    clearRemoteResumePoint: assign({ remoteResumePoint: null }),
    /** DC-5: a send threw; the message stayed queued (in order) and the next flush retries it. */
    reportSendFailure: emit(({ context, event }) => {
      assertEvent(event, 'CHANNEL.SEND_FAILED');
      return { type: 'sendFailure' as const, remoteId: context.remoteId, message: event.message };
    }),
    /**
     * Asks for a turn to negotiate (the system answers ADMITTED when one of its
     * `maxConcurrentNegotiations` slots is free). The chart alone, with no system to ask, is admitted
     * at once; the system chart supplies the request (`peerAdmittedBySystem` in machines/system.ts).
     */
    requestAdmission: raise({ type: 'ADMITTED' }),
    /** Tells the system that this peer negotiates a new pc: admitted, or answering its remote (which never waits). */
    reportNegotiationStarted: sendParent(({ context }) => ({
      type: 'NEGOTIATION.STARTED' as const,
      key: context.key,
      peerId: context.remoteId,
    })),
    /** Tells the system that this peer's negotiation is over (connected, or the pc is gone): its slot is free. */
    reportNegotiationEnded: sendParent(({ context }) => ({
      type: 'NEGOTIATION.ENDED' as const,
      key: context.key,
    })),
    /** Says which public state was entered: observers see every one, in order (a snapshot shows only the last of a step). */
    reportState: emit(({ context }, params: { state: PeerState }) => ({
      type: 'state' as const,
      remoteId: context.remoteId,
      state: params.state,
    })),
    /** Every failed attempt is reported, not only the last: the reconnect backoff bounds their rate. */
    reportAttemptFailure: emit(({ context }) => ({
      type: 'attemptFailed' as const,
      remoteId: context.remoteId,
      code: context.error?.code ?? 'unknown',
      message: context.error?.message ?? '',
      reconnect: context.reconnects,
    })),
    reportFailure: emit(({ context }) => ({
      type: 'failure' as const,
      remoteId: context.remoteId,
      code: context.error?.code ?? 'unknown',
      message: context.error?.message ?? '',
    })),
  },
  guards: {
    /** MDN perfect negotiation: the polite peer yields. Ours: the greater id is polite. */
    isPolite: ({ context }) => context.localId > context.remoteId,
    /** An offer of the remote pc we talk to (not stale, not from a replaced remote pc). */
    isOffer: ({ context, event }) =>
      event.type === 'SIGNAL.DESCRIPTION' &&
      event.description.type === 'offer' &&
      connectionOf(context, event) === 'current',
    isAnswer: ({ context, event }) =>
      event.type === 'SIGNAL.DESCRIPTION' &&
      event.description.type === 'answer' &&
      connectionOf(context, event) === 'current',
    /** The signal comes from the remote pc we talk to, or from a newer one while ours is not paired. */
    isFromCurrentRemote: ({ context, event }) =>
      'connection' in event && connectionOf(context, event) === 'current',
    /** The remote made a new RTCPeerConnection (a full reconnect): ours must be replaced too. */
    isFromReplacedRemote: ({ context, event }) =>
      'connection' in event && connectionOf(context, event) === 'replaced',
    isOfferFromReplacedRemote: ({ context, event }) =>
      event.type === 'SIGNAL.DESCRIPTION' &&
      event.description.type === 'offer' &&
      connectionOf(context, event) === 'replaced',
    isRemotePresent: ({ context }) => context.remotePresent,
    canReconnect: ({ context }) => context.reconnects < context.maxReconnects,
    isCandidateBufferFull: ({ context }) =>
      context.bufferedCandidates.length >= context.maxBufferedCandidates,
    /** ICE-6: the candidate belongs to the current remote ICE generation. */
    isCurrentGeneration: ({ context, event }) =>
      event.type !== 'SIGNAL.CANDIDATE' ||
      (connectionOf(context, event) === 'current' && isOfGeneration(event.candidate, context.remoteUfrag)),
    /** The presence comes from another signaling session than this attempt's (CB-6). */
    isNewSession: ({ context, event }) =>
      event.type === 'REMOTE.PRESENT' && event.generation !== context.generation,
    /**
     * Another ICE restart is allowed. `maxIceRestarts` comes from the RTC profile too: 0 on a stack
     * whose ICE restart does not restore data flow, so recovery there is always a new pc.
     */
    canRestartIce: ({ context }) => context.iceRestarts < context.maxIceRestarts,
    isRestartingIce: ({ context }) => context.iceRestarts > 0,
    /** This handshake resumes a pc that was connected (after an ICE restart by us or by the remote). */
    isResuming: ({ context }) => context.iceRestarts > 0 || context.pcWasConnected,
    /** The pc's connectionState is `connected` now (an ICE restart may not change it: no event). Supplied from src/. */
    isPeerConnectionConnected: () => notProvided('isPeerConnectionConnected'),
    /** The data channel's readyState is `open` now. Supplied from src/. */
    isChannelOpen: () => notProvided('isChannelOpen'),
    /** Negotiation is stable, the buffered candidates were drained and ICE/DTLS is connected. */
    isLinkUp: and([
      stateIn('#peer.live.connecting.negotiation.stable'),
      stateIn('#peer.live.connecting.remoteCandidates.applying'),
      stateIn('#peer.live.connecting.transport.connected'),
    ]),
    hasRemoteResumePoint: ({ context }) => context.remoteResumePoint !== null,
    isTransportConnected: ({ event }) => event.type === 'PC.CONNECTION_STATE' && event.state === 'connected',
    isTransportFailed: ({ event }) =>
      event.type === 'PC.CONNECTION_STATE' && (event.state === 'failed' || event.state === 'closed'),
    isTransportDisconnected: ({ event }) =>
      event.type === 'PC.CONNECTION_STATE' && event.state === 'disconnected',
  },
  delays: {
    /** How long connecting and handshaking may each take before the attempt fails, in ms. */
    connectTimeout: 15_000,
    /** How long ICE may stay `disconnected` before an ICE restart, in ms. */
    disconnectedGrace: 2_000,
    /** While restarting, how long one ICE restart may take before the next, in ms. */
    iceRestartInterval: 3_000,
    /** After an ICE restart, how long `handshaking` may wait for the remote's hello before a full reconnect, in ms. */
    resumeTimeout: 1_000,
    /** Wait before a full reconnect, in ms; src supplies the reconnect policy (exponential backoff with jitter). */
    reconnectBackoff: 1_000,
  },
}).createMachine({
  id: 'peer',
  /** The input, before any attempt: no pc yet (connection 0), nothing buffered, no remote seen. */
  context: ({ input }) => ({
    ...input,
    generation: 0,
    bufferedCandidates: [],
    error: null,
    remoteResumePoint: null,
    remoteUfrag: null,
    iceRestarts: 0,
    reconnects: 0,
    remotePresent: false,
    sessionGeneration: 0,
    connection: 0,
    remoteConnection: null,
    remoteInstance: null,
    paired: false,
    pcWasConnected: false,
  }),
  invoke: {
    src: 'peerResources',
    /** Whose resources: this actor's key, the remote's id and this actor's instance. */
    input: ({ context }) => ({ key: context.key, remoteId: context.remoteId, instance: context.instance }),
  },
  initial: 'idle',
  on: {
    SEND: { actions: 'enqueueMessage' },
    CLOSE: { target: '.closed' },
    'CHANNEL.HELLO': { actions: 'recordRemoteResumePoint' },
    'CHANNEL.SEND_FAILED': { actions: 'reportSendFailure' },
    'REMOTE.PRESENT': { actions: 'recordPresence' },
    'REMOTE.ABSENT': { actions: 'recordAbsence' },
  },
  states: {
    idle: {
      description:
        'No RTCPeerConnection. Remote candidates that overtake their offer wait here (ICE-1, CB-5); a remote that asks (hello or offer) starts an attempt at once.',
      initial: 'disconnected',
      entry: ['unpair', 'clearRemoteResumePoint'],
      on: {
        'SIGNAL.CANDIDATE': [
          { guard: 'isCandidateBufferFull', actions: 'reportCandidateOverflow' },
          { actions: 'bufferRemoteCandidate' },
        ],
        // Only a hello of a remote pc newer than the one we knew asks for an attempt: a late one (sent
        // before a bye or before our own attempt ended) starts nothing (RC-11).
        'SIGNAL.HELLO': {
          guard: 'isFromCurrentRemote',
          target: 'live',
          actions: ['adoptGeneration', 'nextConnection'],
        },
        // The remote hung up: nothing retries until `connect` on either side (RV-3).
        'SIGNAL.BYE': { target: '.disconnected' },
        'SIGNAL.DESCRIPTION': {
          guard: 'isOffer',
          target: '#peer.live.connecting.negotiation.settingRemoteOffer',
          actions: ['adoptGeneration', 'nextConnection'],
        },
      },
      states: {
        disconnected: {
          description: 'Not trying to connect. CONNECT, or a remote that asks, starts an attempt.',
          tags: ['disconnected'],
          entry: { type: 'reportState', params: { state: 'disconnected' } },
          on: { CONNECT: { target: 'discovering' } },
        },
        discovering: {
          description: 'Waiting for the remote to be present, or backing off before a full reconnect.',
          tags: ['discovering'],
          entry: { type: 'reportState', params: { state: 'discovering' } },
          initial: 'waiting',
          states: {
            waiting: {
              always: { guard: 'isRemotePresent', target: 'queued' },
            },
            queued: {
              description:
                'The remote is present: waiting for the system to admit this attempt (a bounded number negotiate at once, admitted in request order).',
              entry: 'requestAdmission',
              on: {
                ADMITTED: { target: '#peer.live', actions: ['adoptGeneration', 'nextConnection'] },
              },
            },
            retrying: {
              description:
                'The attempt is over (error recorded): back off and reconnect, or fail when reconnects run out.',
              always: [
                {
                  guard: 'canReconnect',
                  target: 'backingOff',
                  actions: ['countReconnect', 'reportAttemptFailure'],
                },
                { target: '#peer.idle.failed' },
              ],
            },
            backingOff: {
              description:
                "The reconnect policy's wait before a new RTCPeerConnection; RETRY cuts it short (RC-10).",
              after: { reconnectBackoff: { target: 'waiting' } },
              on: { RETRY: { target: 'waiting' } },
            },
          },
        },
        failed: {
          description: 'The attempt failed; `error` says why. CONNECT starts over.',
          tags: ['failed'],
          entry: ['reportFailure', { type: 'reportState', params: { state: 'failed' } }],
          on: {
            CONNECT: { target: 'discovering', actions: ['clearBufferedCandidates', 'resetReconnects'] },
          },
        },
      },
    },
    live: {
      description:
        'An RTCPeerConnection exists: entering creates it (the pc actor), leaving closes it, re-entering makes a new one.',
      entry: 'reportNegotiationStarted',
      exit: 'reportNegotiationEnded',
      invoke: {
        id: 'pc',
        src: 'peerConnection',
        /** Which pc: this actor's key and the connection number it is created for. */
        input: ({ context }) => ({ key: context.key, connection: context.connection }),
      },
      initial: 'connecting',
      on: {
        'PC.ICE_CANDIDATE': { actions: 'sendCandidate' },
        'PC.ERROR': { target: '#peer.idle.discovering.retrying', actions: 'recordError' },
        'PC.CONNECTION_STATE': {
          guard: 'isTransportFailed',
          target: '#peer.idle.discovering.retrying',
          actions: 'recordError',
        },
        'CHANNEL.CLOSE': { target: '#peer.idle.discovering.retrying', actions: 'recordError' },
        // Candidates reach here once the remote description is set (connecting's buffer takes the others).
        'SIGNAL.CANDIDATE': [
          { guard: 'isCurrentGeneration', actions: 'addRemoteCandidate' },
          { actions: 'reportStaleCandidate' },
        ],
        // The remote replaced its pc (a full reconnect) or is a new actor: ours is replaced too.
        'SIGNAL.HELLO': {
          guard: 'isFromReplacedRemote',
          target: 'live',
          reenter: true,
          actions: 'nextConnection',
        },
        'SIGNAL.DESCRIPTION': {
          guard: 'isOfferFromReplacedRemote',
          target: '#peer.live.connecting.negotiation.settingRemoteOffer',
          reenter: true,
          actions: 'nextConnection',
        },
        'SIGNAL.BYE': { target: '#peer.idle.disconnected' },
        CLOSE: { target: '#peer.closed', actions: 'sendBye' },
        // Signaling reopened: later signals (an ICE restart's offer) go out on the new session (RV-1).
        // `connecting` restarts its attempt instead (CB-6).
        'REMOTE.PRESENT': [
          { guard: 'isNewSession', actions: ['recordPresence', 'adoptGeneration'] },
          { actions: 'recordPresence' },
        ],
      },
      states: {
        recovering: {
          description:
            'Restart ICE on the same pc while restarts last and the remote is present; a remote that left is waited for (RV-2); otherwise give the attempt up.',
          always: [
            {
              guard: not('isRemotePresent'),
              target: '#peer.idle.discovering.waiting',
              actions: 'recordRemoteAbsent',
            },
            {
              guard: 'canRestartIce',
              target: '#peer.live.connecting.negotiation.restartingIce',
              actions: 'countIceRestart',
            },
            { target: '#peer.idle.discovering.retrying', actions: 'recordRestartsExhausted' },
          ],
        },
        connecting: {
          description: 'Offer/answer (perfect negotiation) and trickle ICE run.',
          tags: ['connecting'],
          entry: { type: 'reportState', params: { state: 'connecting' } },
          type: 'parallel',
          after: {
            connectTimeout: { target: '#peer.idle.discovering.retrying', actions: 'recordTimeout' },
            iceRestartInterval: { guard: 'isRestartingIce', target: '#peer.live.recovering' },
          },
          // Leave only once buffered candidates were drained: a raised REMOTE_DESCRIPTION.SET is taken
          // after eventless transitions, so without `applying` here the drain could be skipped.
          always: [
            {
              guard: and(['isLinkUp', stateIn('#peer.live.connecting.dataChannel.open')]),
              target: '#peer.live.handshaking.resuming',
            },
            { guard: 'isLinkUp', target: '#peer.live.handshaking' },
          ],
          on: {
            'REMOTE.PRESENT': [
              {
                guard: 'isNewSession',
                target: '#peer.live.connecting',
                reenter: true,
                actions: ['recordPresence', 'adoptGeneration'],
              },
              { actions: 'recordPresence' },
            ],
          },
          states: {
            negotiation: {
              initial: 'deciding',
              states: {
                deciding: {
                  always: [
                    { guard: 'isPolite', target: 'awaitingOffer', actions: 'sendHello' },
                    { target: 'makingOffer' },
                  ],
                },
                makingOffer: {
                  invoke: {
                    src: 'createOffer',
                    input: ({ context }) => ({
                      key: context.key,
                      connection: context.connection,
                      iceRestart: false,
                    }),
                    onDone: {
                      target: 'haveLocalOffer',
                      actions: {
                        type: 'sendDescription',
                        params: ({ event }) => ({ description: event.output }),
                      },
                    },
                    onError: { target: '#peer.idle.discovering.retrying', actions: 'recordError' },
                  },
                  // Only the impolite side makes the first offer: a colliding offer is ignored.
                  on: { 'SIGNAL.DESCRIPTION': { guard: 'isOffer', actions: 'reportIgnoredOffer' } },
                },
                restartingIce: {
                  description: 'An ICE restart offer (new ufrag/pwd) on the same RTCPeerConnection.',
                  invoke: {
                    src: 'createOffer',
                    input: ({ context }) => ({
                      key: context.key,
                      connection: context.connection,
                      iceRestart: true,
                    }),
                    onDone: {
                      target: 'haveLocalOffer',
                      actions: {
                        type: 'sendDescription',
                        params: ({ event }) => ({ description: event.output }),
                      },
                    },
                    onError: { target: '#peer.idle.discovering.retrying', actions: 'recordError' },
                  },
                  on: {
                    'SIGNAL.DESCRIPTION': [
                      { guard: and(['isOffer', 'isPolite']), target: 'settingRemoteOffer' },
                      { guard: 'isOffer', actions: 'reportIgnoredOffer' },
                    ],
                  },
                },
                haveLocalOffer: {
                  description:
                    'Glare: the polite side rolls back and answers; the impolite side ignores the offer.',
                  on: {
                    'SIGNAL.DESCRIPTION': [
                      { guard: 'isAnswer', target: 'settingRemoteAnswer' },
                      { guard: and(['isOffer', 'isPolite']), target: 'settingRemoteOffer' },
                      { guard: 'isOffer', actions: 'reportIgnoredOffer' },
                    ],
                  },
                },
                settingRemoteAnswer: {
                  entry: 'pairRemoteConnection',
                  invoke: {
                    src: 'setRemoteDescription',
                    input: remoteDescriptionInput,
                    onDone: {
                      target: 'stable',
                      actions: { type: 'raiseRemoteDescriptionSet', params: ({ event }) => event.output },
                    },
                    onError: { target: '#peer.idle.discovering.retrying', actions: 'recordError' },
                  },
                  // Not a collision (MDN: isSettingRemoteAnswerPending): the offer is applied after the answer.
                  on: { 'SIGNAL.DESCRIPTION': { guard: 'isOffer', target: 'settingRemoteOffer' } },
                },
                awaitingOffer: {
                  on: { 'SIGNAL.DESCRIPTION': { guard: 'isOffer', target: 'settingRemoteOffer' } },
                },
                settingRemoteOffer: {
                  entry: 'pairRemoteConnection',
                  invoke: {
                    src: 'acceptOffer',
                    input: remoteDescriptionInput,
                    onDone: {
                      target: 'answering',
                      actions: { type: 'raiseRemoteDescriptionSet', params: ({ event }) => event.output },
                    },
                    onError: { target: '#peer.idle.discovering.retrying', actions: 'recordError' },
                  },
                },
                answering: {
                  invoke: {
                    src: 'createAnswer',
                    input: ({ context }) => ({ key: context.key, connection: context.connection }),
                    onDone: {
                      target: 'stable',
                      actions: {
                        type: 'sendDescription',
                        params: ({ event }) => ({ description: event.output }),
                      },
                    },
                    onError: { target: '#peer.idle.discovering.retrying', actions: 'recordError' },
                  },
                },
                stable: {
                  on: { 'SIGNAL.DESCRIPTION': { guard: 'isOffer', target: 'settingRemoteOffer' } },
                },
              },
            },
            remoteCandidates: {
              initial: 'buffering',
              states: {
                buffering: {
                  description:
                    'No remote description of this round yet: candidates wait here, bounded (ICE-1..3, ICE-5).',
                  on: {
                    'SIGNAL.CANDIDATE': [
                      { guard: 'isCandidateBufferFull', actions: 'reportCandidateOverflow' },
                      { actions: 'bufferRemoteCandidate' },
                    ],
                    'REMOTE_DESCRIPTION.SET': {
                      target: 'applying',
                      actions: ['adoptRemoteUfrag', 'drainRemoteCandidates', 'clearBufferedCandidates'],
                    },
                  },
                },
                applying: {
                  description:
                    'Remote description set: candidates go to the pc as `live` says (ICE-6 drops other generations).',
                  on: {
                    // A new remote offer starts a new round: its candidates wait for its description.
                    'SIGNAL.DESCRIPTION': { guard: 'isOffer', target: 'buffering' },
                  },
                },
              },
            },
            transport: {
              initial: 'checking',
              states: {
                checking: {
                  always: { guard: 'isPeerConnectionConnected', target: 'connected' },
                  on: { 'PC.CONNECTION_STATE': { guard: 'isTransportConnected', target: 'connected' } },
                },
                connected: {},
              },
            },
            dataChannel: {
              initial: 'opening',
              states: {
                opening: {
                  always: { guard: 'isChannelOpen', target: 'open' },
                  on: { 'CHANNEL.OPEN': { target: 'open' } },
                },
                open: {},
              },
            },
          },
        },
        handshaking: {
          description: 'ICE/DTLS is up; the data channel opens and both ends say where delivery resumes.',
          tags: ['handshaking'],
          entry: { type: 'reportState', params: { state: 'handshaking' } },
          initial: 'opening',
          after: {
            connectTimeout: { target: '#peer.idle.discovering.retrying', actions: 'recordTimeout' },
            // After an ICE restart on the same pc, SCTP may wait out its backed-off retransmit timer before
            // the remote's hello gets through (seconds): a new pc on both sides is faster. The side that
            // only answered the restart is bounded the same way, or it would sit out connectTimeout.
            resumeTimeout: {
              guard: 'isResuming',
              target: '#peer.idle.discovering.retrying',
              actions: 'recordResumeTimeout',
            },
          },
          on: {
            'SIGNAL.DESCRIPTION': {
              guard: 'isOffer',
              target: '#peer.live.connecting.negotiation.settingRemoteOffer',
            },
          },
          states: {
            opening: {
              on: { 'CHANNEL.OPEN': { target: 'resuming' } },
            },
            resuming: {
              entry: ['sendChannelHello', 'flushFirstMessages'],
              always: { guard: 'hasRemoteResumePoint', target: '#peer.live.connected' },
            },
          },
        },
        connected: {
          description:
            'Messages flow. The outbox is flushed on entry and after every SEND; a heartbeat watches the remote.',
          tags: ['connected'],
          initial: 'stable',
          entry: [
            { type: 'reportState', params: { state: 'connected' } },
            'reportNegotiationEnded',
            'markPcConnected',
            'clearError',
            'resetIceRestarts',
            'resetReconnects',
            'resumeOutbox',
            'flushOutbox',
            'startHeartbeat',
          ],
          exit: ['stopHeartbeat', 'clearRemoteResumePoint'],
          on: {
            SEND: { actions: ['enqueueMessage', 'flushOutbox'] },
            'CHANNEL.BUFFER_LOW': { actions: 'flushOutbox' },
            // The remote renegotiates or restarts ICE.
            'SIGNAL.DESCRIPTION': {
              guard: 'isOffer',
              target: '#peer.live.connecting.negotiation.settingRemoteOffer',
            },
            'PC.CONNECTION_STATE': { guard: 'isTransportFailed', target: '#peer.live.recovering' },
            'HEARTBEAT.LOST': { target: '#peer.live.recovering' },
            // An ICE restart where the stack can restart ICE (`canRestartIce`), a new pc where it cannot.
            RESTART_ICE: { target: '#peer.live.recovering' },
          },
          states: {
            stable: {
              on: { 'PC.CONNECTION_STATE': { guard: 'isTransportDisconnected', target: 'unstable' } },
            },
            unstable: {
              description: 'ICE says disconnected; it may come back by itself within the grace period.',
              after: { disconnectedGrace: { target: '#peer.live.recovering' } },
              on: { 'PC.CONNECTION_STATE': { guard: 'isTransportConnected', target: 'stable' } },
            },
          },
        },
      },
    },
    closed: {
      description: 'Final. One cleanup path, reached from anywhere.',
      tags: ['closed'],
      type: 'final',
      entry: [{ type: 'reportState', params: { state: 'closed' } }, 'releaseOutbox'],
    },
  },
});

/** The peer chart's actor type. */
export type PeerActor = ActorRefFrom<typeof peerMachine>;
/** A snapshot of a peer actor. */
export type PeerSnapshot = SnapshotFrom<typeof peerMachine>;

/**
 * The public state of a peer: the tag of the one tagged state that is active (every snapshot has
 * exactly one; `live.recovering` is transient and never observed).
 * @example peerStateOf(actor.getSnapshot()) // 'connecting'
 */
export function peerStateOf(snapshot: Pick<PeerSnapshot, 'hasTag'>): PeerState {
  for (const state of PEER_STATES) if (snapshot.hasTag(state)) return state;
  throw new Error('peer snapshot without a public state tag');
}
