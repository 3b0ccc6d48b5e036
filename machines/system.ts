/**
 * The system chart: the root actor. It owns the signaling actor, is the only place where peer actors
 * are spawned (one per remote peer id, `systemId` `peer:<id>`), routes every inbound signal to the
 * actor of its sender, and drops signals of stale generations or from peers the accept policy refuses.
 *
 * Spawning stays cheap at 10,000 peers: child ids are integers (`nextKey`), the peer id → actor lookup
 * is the actor system's registry (no map copied per spawn), and a peer that reaches `closed` is
 * stopped at once so it leaves nothing in `snapshot.children` (XState keeps finished children until
 * `stopChild`). Pure: the accept policy is a named guard supplied from src/.
 *
 * Admission control: at most `maxConcurrentNegotiations` of the attempts we start negotiate at once;
 * peers in `discovering.queued` are admitted in request order as negotiations end, and an answer to a
 * remote never waits (so two systems cannot wait on each other). See docs/architecture.md.
 */

import type { AnyActorRef } from 'xstate';
import { assertEvent, assign, emit, enqueueActions, sendParent, sendTo, setup } from 'xstate';
import type { PeerRefusal, Signal } from '../src/protocol/signals.js';
import type { PeerEvent, PeerInput } from './peer.js';
import { peerMachine } from './peer.js';
import type { SignalingParentEvent } from './signaling.js';
import { signalingMachine } from './signaling.js';

/** Input of the system chart: who we are, where to sign in, and the bounds on peers. */
export interface SystemInput {
  /** Our peer id. */
  localId: string;
  /** Signaling server URL (ws:// or wss://). */
  url: string;
  /** Failover list of signaling servers of one cluster (the signaling chart's `urls`). */
  urls?: readonly string[];
  /** Room to join on the signaling server. */
  room: string;
  /** Per peer: remote candidates buffered at most before the remote description is set. */
  maxBufferedCandidates: number;
  /** Per peer: ICE restarts tried in a row before a full reconnect. */
  maxIceRestarts: number;
  /** Per peer: full reconnects tried in a row before `failed`. */
  maxReconnects: number;
  /** Random per system run: with a peer's key it names the peer actor on the wire (`instance`). */
  epoch: string;
  /** Peer actors at most (each may own an RTCPeerConnection): a signal from a new peer beyond it is refused. */
  maxPeers: number;
  /** Peer actors that a remote started (not `connect`) and that are not `connected` yet, at most. */
  maxPendingIncoming: number;
  /**
   * Attempts we start that negotiate at once, at most; the others wait in `discovering.queued`, in
   * request order. Answers to a remote's hello or offer never wait and take no slot: they are the
   * other side of an attempt the remote was admitted for.
   */
  maxConcurrentNegotiations: number;
}

/** A peer actor waiting for a turn to negotiate: its child id and remote peer id. */
export interface AdmissionRequest {
  key: string;
  peerId: string;
}

export type { PeerRefusal };

/** The system actor's context: its input, and the bookkeeping of peer actors and of the open session. */
export interface SystemContext extends SystemInput {
  /** Integer child id of the next peer actor (from 1: 0 is the signaling actor's). */
  nextKey: number;
  /** Generation of the signaling session that is open, or -1 while none is. */
  generation: number;
  /** Remote peers present on the open session. */
  present: Record<string, true>;
  /** Child ids of the peer actors a remote started (spawned by an inbound signal), while they run. */
  incoming: Record<string, true>;
  /** Child ids of the peer actors admitted and negotiating now: the slots held. */
  negotiating: Record<string, true>;
  /** Peer actors in `discovering.queued`, in request order; admitted first come, first served. */
  queue: AdmissionRequest[];
}

/**
 * Events the system chart accepts: `CONNECT` (the peer's one actor, spawned if there is none, is told
 * to connect), `CLOSE_PEER` and `RETRY_PEER` (passed to that actor as `CLOSE` and `RETRY`), `STOP`
 * (every peer closes, then the signaling session; the system ends in `stopped`),
 * `SIGNALING.START`/`RETRY`/`SWITCH` (passed to the signaling actor as `CONNECT`/`RETRY`/`SWITCH`), the
 * signaling actor's `SignalingParentEvent`s, a peer actor's admission events (`ADMISSION.REQUEST`,
 * `NEGOTIATION.STARTED`, `NEGOTIATION.ENDED`), and XState's `xstate.done.actor.*` of a finished child.
 */
export type SystemEvent =
  | { type: 'CONNECT'; peerId: string }
  | { type: 'CLOSE_PEER'; peerId: string }
  | { type: 'RETRY_PEER'; peerId: string }
  | { type: 'STOP' }
  | { type: 'SIGNALING.START' }
  | { type: 'SIGNALING.RETRY' }
  | { type: 'SIGNALING.SWITCH'; url: string }
  | SignalingParentEvent
  | { type: 'ADMISSION.REQUEST'; key: number; peerId: string }
  | { type: 'NEGOTIATION.STARTED'; key: number; peerId: string }
  | { type: 'NEGOTIATION.ENDED'; key: number }
  | { type: 'xstate.done.actor.*'; actorId: string };

/**
 * Events the system actor emits to its observers (`actor.on(type, handler)`): `peerSpawned`;
 * `staleSignal` (a frame of a signaling session other than the open one, dropped unread);
 * `refusedPeer` (a remote's signal was refused, see `PeerRefusal`); `refusedByRemote`
 * (a remote hung up on a peer of ours with a refusal's reason); `serverError` (an `error` frame of the
 * server).
 */
export type SystemEmitted =
  /**
   * A peer actor was spawned (its `systemId` is `peerSystemId(peerId)`): `incoming` when an inbound
   * signal spawned it, not CONNECT. src/system.ts attaches its listeners to the new actor here.
   */
  | { type: 'peerSpawned'; peerId: string; incoming: boolean }
  | { type: 'staleSignal'; from: string; generation: number; currentGeneration: number }
  | { type: 'refusedPeer'; peerId: string; reason: PeerRefusal }
  | { type: 'refusedByRemote'; peerId: string; reason: PeerRefusal }
  | { type: 'serverError'; code: string; message: string };

/**
 * The signaling actor's child id. Integer-like on purpose: one named key among the integer ids of
 * 10,000 peers puts XState's children map (copied on every spawn and stop) on V8's slow path
 * (measured: ~6 s for 10,000 spawns with `'signaling'`, ~20 ms with `'0'`). Look it up by systemId
 * `signaling` instead.
 */
export const SIGNALING_CHILD_ID = '0';

/** The systemId of the peer actor for a remote peer id. */
export function peerSystemId(peerId: string): string {
  return `peer:${peerId}`;
}

const signalingOf = (system: { get: (id: string) => AnyActorRef | undefined }) =>
  system.get('signaling') as AnyActorRef;

const peerOf = (system: { get: (id: string) => AnyActorRef | undefined }, peerId: string) =>
  system.get(peerSystemId(peerId));

/** The peer id an event is about: the connect target or the sender of a signal. */
function peerIdOf(event: SystemEvent): string {
  if (event.type === 'CONNECT' || event.type === 'CLOSE_PEER' || event.type === 'RETRY_PEER')
    return event.peerId;
  if (event.type === 'SIGNALING.FRAME' && event.frame.type === 'signal') return event.frame.from;
  return '';
}

function signalToPeerEvent(signal: Signal, generation: number): PeerEvent {
  const connection = signal.connection ?? 0;
  const instance = signal.instance ?? '';
  switch (signal.type) {
    case 'description':
      return {
        type: 'SIGNAL.DESCRIPTION',
        generation,
        instance,
        connection,
        description: signal.description,
      };
    case 'candidate':
      return { type: 'SIGNAL.CANDIDATE', generation, instance, connection, candidate: signal.candidate };
    case 'hello':
      return { type: 'SIGNAL.HELLO', generation, instance, connection };
    case 'bye':
      return { type: 'SIGNAL.BYE', generation, instance, connection };
  }
}

type Registry = { get: (id: string) => AnyActorRef | undefined };

/** The narrow part of `enqueueActions`' `enqueue` that connecting a peer uses. */
interface PeerEnqueue {
  spawnChild: (src: 'peer', options: { id: string; systemId: string; input: PeerInput }) => void;
  assign: (values: Partial<SystemContext>) => void;
  emit: (event: SystemEmitted) => void;
  sendTo: (to: (args: { system: Registry }) => AnyActorRef, event: PeerEvent) => void;
}

/**
 * Spawns the one actor of `peerId` if it has none (RC-9: the only spawn site) and says so with
 * `peerSpawned`; `incoming` when an inbound signal, not CONNECT, spawns it.
 */
function ensurePeer(
  context: SystemContext,
  peerId: string,
  incoming: boolean,
  enqueue: PeerEnqueue,
  system: Registry,
): void {
  if (peerOf(system, peerId)) return;
  const key = context.nextKey;
  enqueue.spawnChild('peer', {
    id: String(key),
    systemId: peerSystemId(peerId),
    input: {
      key,
      localId: context.localId,
      remoteId: peerId,
      maxBufferedCandidates: context.maxBufferedCandidates,
      maxIceRestarts: context.maxIceRestarts,
      maxReconnects: context.maxReconnects,
      instance: peerInstance(context.epoch, String(key)),
    },
  });
  enqueue.assign({
    nextKey: key + 1,
    ...(incoming ? { incoming: { ...context.incoming, [String(key)]: true as const } } : {}),
  });
  enqueue.emit({ type: 'peerSpawned', peerId, incoming });
}

/**
 * Whether one more peer actor fits (`maxPeers`), and one more started by a remote
 * (`maxPendingIncoming`: those not `connected` yet): the bounds that keep an unsolicited crowd from
 * costing us an RTCPeerConnection each. Null when it fits.
 */
function admissionRefusal(context: SystemContext, children: Record<string, AnyActorRef | undefined>) {
  const peers = Object.keys(children).length - 1;
  if (peers >= context.maxPeers) return 'max-peers' as const;
  let pending = 0;
  for (const id of Object.keys(context.incoming)) {
    const child = children[id];
    if (child && !child.getSnapshot().hasTag('connected')) pending++;
  }
  return pending >= context.maxPendingIncoming ? ('max-pending-incoming' as const) : null;
}

/** The `instance` a peer actor signs its signals with: the system's epoch and the actor's child id. */
function peerInstance(epoch: string, childId: string): string {
  return `${epoch}.${childId}`;
}

/** A hello or an offer: the remote asks us for a new RTCPeerConnection or a negotiation on ours. */
function isAsk(signal: Signal): boolean {
  return signal.type === 'hello' || (signal.type === 'description' && signal.description.type === 'offer');
}

/**
 * A bye hangs up nothing when no actor of ours is there to take it, or when it names (`recipient`)
 * an actor of ours that is gone: it overtook our own close and a new `connect` (RV-7).
 */
function isByeForNobody(signal: Signal, peer: AnyActorRef | undefined, epoch: string): boolean {
  if (signal.type !== 'bye') return false;
  if (!peer) return true;
  return signal.recipient !== undefined && signal.recipient !== peerInstance(epoch, peer.id);
}

/**
 * The peer chart as the system runs it: a peer in `discovering.queued` asks the system for a turn
 * (ADMISSION.REQUEST) instead of admitting itself. src/system.ts applies it to the provided peer chart.
 */
export function peerAdmittedBySystem<T extends typeof peerMachine>(peer: T): T {
  return peer.provide({
    actions: {
      requestAdmission: sendParent(({ context }) => ({
        type: 'ADMISSION.REQUEST' as const,
        key: context.key,
        peerId: context.remoteId,
      })),
    },
  }) as T;
}

/**
 * Admission bookkeeping after a change: `release` frees a slot or withdraws a request (a peer whose
 * negotiation ended, or that is gone), `started` withdraws a request without taking a slot (a peer
 * answering its remote negotiates without one), `request` joins the queue. Then queued peers whose remote is present are admitted, in
 * request order, while fewer than `maxConcurrentNegotiations` hold a slot; a queued peer whose
 * remote is absent keeps its place and lets the next one by.
 */
export function nextAdmission(
  context: Pick<SystemContext, 'negotiating' | 'queue' | 'maxConcurrentNegotiations'>,
  present: Record<string, true>,
  change: { release?: string; started?: string; request?: AdmissionRequest },
): { negotiating: Record<string, true>; queue: AdmissionRequest[]; admitted: AdmissionRequest[] } {
  let { negotiating, queue } = context;
  const gone = change.release ?? change.started;
  if (gone !== undefined && queue.some((r) => r.key === gone)) queue = queue.filter((r) => r.key !== gone);
  if (change.release !== undefined && negotiating[change.release]) {
    const { [change.release]: _released, ...rest } = negotiating;
    negotiating = rest;
  }
  const request = change.request;
  if (request && !negotiating[request.key] && !queue.some((r) => r.key === request.key))
    queue = [...queue, request];
  const admitted: AdmissionRequest[] = [];
  let free = context.maxConcurrentNegotiations - Object.keys(negotiating).length;
  if (free > 0 && queue.length > 0) {
    const waiting: AdmissionRequest[] = [];
    for (const r of queue) {
      if (free > 0 && present[r.peerId]) {
        admitted.push(r);
        free--;
      } else waiting.push(r);
    }
    if (admitted.length > 0) {
      negotiating = { ...negotiating, ...Object.fromEntries(admitted.map((r) => [r.key, true as const])) };
      queue = waiting;
    }
  }
  return { negotiating, queue, admitted };
}

/** The `nextAdmission` change an event asks for. */
function admissionChange(event: SystemEvent): Parameters<typeof nextAdmission>[2] {
  switch (event.type) {
    case 'ADMISSION.REQUEST':
      return { request: { key: String(event.key), peerId: event.peerId } };
    case 'NEGOTIATION.STARTED':
      return { started: String(event.key) };
    case 'NEGOTIATION.ENDED':
      return { release: String(event.key) };
    default:
      return {};
  }
}

/** Peer ref resolver for `sendTo`, evaluated when the event is sent (after a spawn in the same step). */
const toPeer =
  (peerId: string) =>
  ({ system }: { system: Registry }) =>
    peerOf(system, peerId) as AnyActorRef;

/**
 * The system chart (XState v5 machine, id `system`), the root actor: input `SystemInput`, context
 * `SystemContext`, events `SystemEvent`, emitted `SystemEmitted`. It invokes `signalingMachine` and
 * spawns one `peerMachine` actor per remote peer. `createPeerSystem` (src/system.ts) runs it with
 * the implementations supplied through `provide`, and its accept policy as the `isAccepted` guard
 * (here: everyone).
 */
export const systemMachine = setup({
  types: {
    context: {} as SystemContext,
    events: {} as SystemEvent,
    input: {} as SystemInput,
    emitted: {} as SystemEmitted,
  },
  actors: { signaling: signalingMachine, peer: peerAdmittedBySystem(peerMachine) },
  actions: {
    /**
     * CONNECT: the peer's one actor is told to connect; it is spawned first if there is none (RC-9).
     * A signal from an unknown peer spawns one only if the accept policy admits it; stale or refused
     * signals are reported, never processed.
     */
    connectPeer: enqueueActions(({ context, event, enqueue, system }) => {
      const peerId = peerIdOf(event);
      ensurePeer(context, peerId, false, enqueue, system);
      enqueue.sendTo(toPeer(peerId), { type: 'CONNECT' });
      if (context.present[peerId] && context.generation >= 0) {
        enqueue.sendTo(toPeer(peerId), { type: 'REMOTE.PRESENT', generation: context.generation });
      }
    }),
    closePeer: enqueueActions(({ event, enqueue, system }) => {
      const peer = peerOf(system, peerIdOf(event));
      if (peer) enqueue.sendTo(peer, { type: 'CLOSE' });
    }),
    retryPeer: enqueueActions(({ event, enqueue, system }) => {
      const peer = peerOf(system, peerIdOf(event));
      if (peer) enqueue.sendTo(peer, { type: 'RETRY' });
    }),
    routeSignal: enqueueActions(({ context, event, enqueue, system, check, self }) => {
      assertEvent(event, 'SIGNALING.FRAME');
      const { frame, generation } = event;
      if (frame.type !== 'signal') return;
      const peer = peerOf(system, frame.from);
      if (isByeForNobody(frame.signal, peer, context.epoch)) return;
      const asks = isAsk(frame.signal);
      const reason: PeerRefusal | null =
        asks && !check('isRemoteAskAdmitted')
          ? 'negotiation-rate'
          : peer
            ? null
            : (admissionRefusal(context, self.getSnapshot().children) ??
              (check('isAccepted') ? null : 'not-accepted'));
      if (reason) {
        // Told at a bounded rate, so that a flood of asks is not answered with a flood of byes.
        if (!check('mayTellRefusal')) return;
        enqueue.emit({ type: 'refusedPeer', peerId: frame.from, reason });
        // A remote that asks for a connection is told no and why (a hang-up), so it stops asking.
        if (asks || frame.signal.type === 'description') {
          enqueue.sendTo(({ system }) => signalingOf(system), {
            type: 'SIGNALING.SEND',
            generation,
            to: frame.from,
            signal: { type: 'bye', reason },
          });
        }
        return;
      }
      if (!peer) {
        // A new peer starts in `disconnected`, where the remote's hello or offer starts the attempt.
        ensurePeer(context, frame.from, true, enqueue, system);
        // It knows the remote is present, as one we connect to does: recovery waits for an absent remote.
        if (context.present[frame.from])
          enqueue.sendTo(toPeer(frame.from), { type: 'REMOTE.PRESENT', generation });
      }
      // Told once per hang-up: a remote repeating its refusal to a peer already disconnected says nothing new.
      if (frame.signal.type === 'bye' && frame.signal.reason && !peer?.getSnapshot().hasTag('disconnected'))
        enqueue.emit({ type: 'refusedByRemote', peerId: frame.from, reason: frame.signal.reason });
      enqueue.sendTo(toPeer(frame.from), signalToPeerEvent(frame.signal, generation));
    }),
    adoptSession: assign(({ event }) => {
      assertEvent(event, 'SIGNALING.OPEN');
      const { generation, peers } = event;
      return { generation, present: Object.fromEntries(peers.map((id) => [id, true as const])) };
    }),
    announcePresentPeers: enqueueActions(({ event, enqueue, system }) => {
      assertEvent(event, 'SIGNALING.OPEN');
      const { generation, peers } = event;
      for (const peerId of peers) {
        const peer = peerOf(system, peerId);
        if (peer) enqueue.sendTo(peer, { type: 'REMOTE.PRESENT', generation });
      }
    }),
    updatePresence: enqueueActions(({ context, event, enqueue, system }) => {
      assertEvent(event, 'SIGNALING.FRAME');
      const { frame, generation } = event;
      if (frame.type !== 'presence') return;
      const present = { ...context.present };
      if (frame.present) present[frame.peerId] = true;
      else delete present[frame.peerId];
      enqueue.assign({ present });
      const peer = peerOf(system, frame.peerId);
      if (peer) {
        enqueue.sendTo(
          peer,
          frame.present ? { type: 'REMOTE.PRESENT', generation } : { type: 'REMOTE.ABSENT' },
        );
      }
    }),
    loseSession: assign({ generation: -1, present: {} }),
    /**
     * Admission control: a request joins the queue, a negotiation that started leaves it, one that
     * ended frees its slot, a finished peer leaves both; then queued peers are admitted (ADMITTED) while
     * slots are free (`nextAdmission`). Also run when presence changes: a queued peer waits for its remote.
     */
    admit: enqueueActions(({ context, event, enqueue, system }) => {
      // A finished peer (xstate.done.actor.<child id>) leaves the queue and frees its slot.
      const change =
        'actorId' in event ? { release: (event as { actorId: string }).actorId } : admissionChange(event);
      const { negotiating, queue, admitted } = nextAdmission(context, context.present, change);
      if (negotiating !== context.negotiating || queue !== context.queue)
        enqueue.assign({ negotiating, queue });
      for (const { peerId } of admitted) {
        const peer = peerOf(system, peerId);
        if (peer) enqueue.sendTo(peer, { type: 'ADMITTED' });
      }
    }),
    reportStaleSignal: emit(({ context, event }) => ({
      type: 'staleSignal' as const,
      from: peerIdOf(event),
      generation: event.type === 'SIGNALING.FRAME' ? event.generation : -1,
      currentGeneration: context.generation,
    })),
    reportServerError: emit(({ event }) => {
      assertEvent(event, 'SIGNALING.FRAME');
      const { frame } = event;
      return frame.type === 'error'
        ? { type: 'serverError' as const, code: frame.code, message: frame.message }
        : { type: 'serverError' as const, code: 'unknown', message: '' };
    }),
    startSignaling: sendTo(({ system }) => signalingOf(system), { type: 'CONNECT' }),
    retrySignaling: sendTo(({ system }) => signalingOf(system), { type: 'RETRY' }),
    switchSignaling: sendTo(
      ({ system }) => signalingOf(system),
      ({ event }) => ({
        type: 'SWITCH' as const,
        url: event.type === 'SIGNALING.SWITCH' ? event.url : '',
      }),
    ),
    /** Every peer closes through its own one cleanup path; then signaling closes. */
    closeAll: enqueueActions(({ enqueue, self }) => {
      for (const [id, child] of Object.entries(self.getSnapshot().children)) {
        if (id !== SIGNALING_CHILD_ID && child) enqueue.sendTo(child as AnyActorRef, { type: 'CLOSE' });
      }
      // Sent after the peers' CLOSE: their byes reach the session before it closes.
      enqueue.sendTo(({ system }) => signalingOf(system), { type: 'CLOSE' });
    }),
    stopFinishedPeer: enqueueActions(({ context, event, enqueue }) => {
      const { actorId } = event as { actorId: string };
      enqueue.stopChild(actorId);
      if (context.incoming[actorId]) {
        const { [actorId]: _finished, ...incoming } = context.incoming;
        enqueue.assign({ incoming });
      }
    }),
  },
  guards: {
    /** The frame was received on a session that is no longer the open one (CB-3). */
    isStale: ({ context, event }) =>
      event.type === 'SIGNALING.FRAME' && event.generation !== context.generation,
    isSignalFrame: ({ event }) => event.type === 'SIGNALING.FRAME' && event.frame.type === 'signal',
    isPresenceFrame: ({ event }) => event.type === 'SIGNALING.FRAME' && event.frame.type === 'presence',
    isErrorFrame: ({ event }) => event.type === 'SIGNALING.FRAME' && event.frame.type === 'error',
    /** Accept policy for peers that connect to us first. Supplied from src/; default: everyone. */
    isAccepted: () => true,
    /**
     * The rate of hellos and offers the frame's sender may send (each may cost us an
     * RTCPeerConnection); the check takes one from its allowance. Supplied from src/; default: unbounded.
     */
    isRemoteAskAdmitted: () => true,
    /** Whether a refusal of this frame's sender is told now (bye, error) or dropped unanswered. Supplied from src/; default: always. */
    mayTellRefusal: () => true,
    isPeerActor: ({ event }) => 'actorId' in event && event.actorId !== SIGNALING_CHILD_ID,
  },
}).createMachine({
  id: 'system',
  /** The input, with no peer actor yet, no open session and no admission slot held. */
  context: ({ input }) => ({
    ...input,
    nextKey: 1,
    generation: -1,
    present: {},
    incoming: {},
    negotiating: {},
    queue: [],
  }),
  invoke: {
    // Integer-like child id: see SIGNALING_CHILD_ID.
    id: '0',
    systemId: 'signaling',
    src: 'signaling',
    /** Where and as whom the signaling actor signs in: our peer id, the URL(s) and the room. */
    input: ({ context }) => ({
      url: context.url,
      ...(context.urls ? { urls: context.urls } : {}),
      room: context.room,
      peerId: context.localId,
    }),
  },
  initial: 'running',
  states: {
    running: {
      on: {
        'SIGNALING.START': { actions: 'startSignaling' },
        'SIGNALING.RETRY': { actions: 'retrySignaling' },
        'SIGNALING.SWITCH': { actions: 'switchSignaling' },
        CONNECT: { actions: 'connectPeer' },
        CLOSE_PEER: { actions: 'closePeer' },
        RETRY_PEER: { actions: 'retryPeer' },
        'SIGNALING.OPEN': { actions: ['adoptSession', 'announcePresentPeers', 'admit'] },
        'ADMISSION.REQUEST': { actions: 'admit' },
        'NEGOTIATION.STARTED': { actions: 'admit' },
        'NEGOTIATION.ENDED': { actions: 'admit' },
        'SIGNALING.LOST': { actions: 'loseSession' },
        'SIGNALING.FRAME': [
          { guard: 'isStale', actions: 'reportStaleSignal' },
          { guard: 'isPresenceFrame', actions: ['updatePresence', 'admit'] },
          { guard: 'isErrorFrame', actions: 'reportServerError' },
          { guard: 'isSignalFrame', actions: 'routeSignal' },
        ],
        'xstate.done.actor.*': { guard: 'isPeerActor', actions: ['stopFinishedPeer', 'admit'] },
        STOP: { target: 'stopping', actions: 'closeAll' },
      },
    },
    stopping: {
      description: 'Every peer closed (its bye sent); final once the signaling session has closed.',
      on: {
        'xstate.done.actor.0': { target: 'stopped' },
        'xstate.done.actor.*': { guard: 'isPeerActor', actions: 'stopFinishedPeer' },
      },
    },
    stopped: { type: 'final' },
  },
});
