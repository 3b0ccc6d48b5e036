/** A system chart under test: recorded peer implementations and a stand-in signaling child. */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { createActor, fromCallback, sendTo, setup } from 'xstate';
import type { PeerActor, PeerEvent } from '../../machines/peer.js';
import type { SignalingEvent, signalingMachine } from '../../machines/signaling.js';
import type { SystemEmitted, SystemEvent } from '../../machines/system.js';
import { peerSystemId, SIGNALING_CHILD_ID, systemMachine } from '../../machines/system.js';
import type { PeerRecorder } from './helpers.js';
import { createPeerRecorder, providePeer } from './helpers.js';

export interface Routed {
  to: AnyActorRef;
  event: PeerEvent;
}

export interface SystemHarness {
  actor: ReturnType<typeof createActor<typeof systemMachine>>;
  rec: PeerRecorder;
  /** Events the stand-in signaling child received, in order. */
  toSignaling: SignalingEvent[];
  signalingCleanups: () => number;
  /** Reports the chart emitted (every emitted event but `peerSpawned`), in order. */
  emitted: SystemEmitted[];
  /** `peerSpawned` events, in order. */
  spawned: Extract<SystemEmitted, { type: 'peerSpawned' }>[];
  errors: unknown[];
  /** Events delivered to peer actors (when inspection is on). */
  routed: Routed[];
  send: (event: SystemEvent) => void;
  peer: (peerId: string) => PeerActor | undefined;
  /** Child ids of peer actors (every child but `signaling`). */
  peerChildren: () => string[];
  /** Events delivered to the actor of `peerId`, as `TYPE` strings. */
  routedTo: (peerId: string) => string[];
}

export function startSystemHarness(
  options: {
    accept?: (peerId: string) => boolean;
    inspect?: boolean;
    maxPeers?: number;
    maxPendingIncoming?: number;
  } = {},
): SystemHarness {
  const accept = options.accept ?? (() => true);
  const rec = createPeerRecorder();
  const toSignaling: SignalingEvent[] = [];
  let signalingCleanups = 0;
  // A stand-in that records what it is sent and, like the real chart, is done once it gets CLOSE.
  const recorder = fromCallback<SignalingEvent>(({ receive }) => {
    receive((event) => {
      toSignaling.push(event);
    });
    return () => {
      signalingCleanups += 1;
    };
  });
  const signalingStandIn = setup({ actors: { recorder } }).createMachine({
    invoke: { id: 'recorder', src: 'recorder' },
    initial: 'open',
    states: {
      open: {
        on: {
          '*': { actions: sendTo('recorder', ({ event }) => event) },
          CLOSE: { target: 'closed', actions: sendTo('recorder', ({ event }) => event) },
        },
      },
      closed: { type: 'final' },
    },
  });
  const machine = systemMachine.provide({
    actors: {
      signaling: signalingStandIn as unknown as typeof signalingMachine,
      peer: providePeer(rec),
    },
    guards: {
      isAccepted: ({ event }) =>
        event.type === 'SIGNALING.FRAME' && event.frame.type === 'signal' && accept(event.frame.from),
    },
  });
  const routed: Routed[] = [];
  let root: AnyActorRef | undefined;
  const inspect = options.inspect
    ? (ev: InspectionEvent) => {
        if (ev.type !== '@xstate.event' || !root || ev.sourceRef !== root) return;
        const to = ev.actorRef as AnyActorRef;
        if (to === root || to.id === SIGNALING_CHILD_ID || ev.event.type.startsWith('xstate.')) return;
        routed.push({ to, event: ev.event as PeerEvent });
      }
    : undefined;
  const actor = createActor(machine, {
    input: {
      localId: 'me',
      epoch: 'e',
      url: 'ws://a.example',
      room: 'r',
      maxBufferedCandidates: 50,
      maxIceRestarts: 0,
      maxReconnects: 0,
      maxPeers: options.maxPeers ?? 100,
      maxPendingIncoming: options.maxPendingIncoming ?? 100,
      maxConcurrentNegotiations: 100,
    },
    ...(inspect ? { inspect } : {}),
  });
  root = actor;
  const emitted: SystemEmitted[] = [];
  const spawned: SystemHarness['spawned'] = [];
  actor.on('*', (e) => {
    const event = e as SystemEmitted;
    if (event.type === 'peerSpawned') spawned.push(event);
    else emitted.push(event);
  });
  const errors: unknown[] = [];
  actor.subscribe({ error: (error) => errors.push(error) });
  actor.start();
  const peer = (peerId: string) => actor.system.get(peerSystemId(peerId)) as PeerActor | undefined;
  const h: SystemHarness = {
    actor,
    rec,
    toSignaling,
    signalingCleanups: () => signalingCleanups,
    emitted,
    spawned,
    errors,
    routed,
    send: (event) => actor.send(event),
    peer,
    peerChildren: () => Object.keys(actor.getSnapshot().children).filter((id) => id !== SIGNALING_CHILD_ID),
    routedTo: (peerId) =>
      routed
        .filter((r) => (r.to.getSnapshot() as { context: { remoteId: string } }).context.remoteId === peerId)
        .map((r) => r.event.type),
  };
  return h;
}
