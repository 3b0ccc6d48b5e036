import { expect } from 'vitest';
import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import type { SystemContext, SystemEvent } from '../../machines/system.js';
import { SIGNALING_CHILD_ID, systemMachine } from '../../machines/system.js';
import type { ServerFrame } from '../../src/protocol/signals.js';
import { PROTOCOL_VERSION } from '../../src/protocol/signals.js';
import type { ChartModel, ModelPath, ModelStep, PathPlayer, World } from '../../src/testing/index.js';
import { ChartExplorer, expectValue, playPath } from '../../src/testing/index.js';
import { CoverageReport, describeChartModel, fakeWorld } from './helpers.js';

type SignalingState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** What the system chart's guards and the server depend on, outside the chart. */
interface SystemWorld {
  /** The signaling actor's state (createPeerSystem starts it: `connecting` from the first step). */
  signaling: SignalingState;
  /** Generation of the newest session. */
  session: number;
  /** Remote peers with a live actor. */
  peers: string[];
}

const REMOTE = 'zzz';
/** The child id of the (one) peer actor: the system numbers them from 1. */
const PEER_KEY = '1';
/** A peer actor that exists answers CLOSE by finishing. */
const peerDone = (w: SystemWorld) =>
  w.peers.length > 0 ? [{ type: `xstate.done.actor.${PEER_KEY}`, actorId: PEER_KEY }] : [];
const v = PROTOCOL_VERSION;
const ctx = (s: AnyMachineSnapshot) => s.context as SystemContext;
/** The step's event, typed as the chart's event of that type. */
const ev = <K extends SystemEvent['type']>(step: ModelStep, _type: K) =>
  step.event as Extract<SystemEvent, { type: K }>;
const frameEvent = (type: string, generation: number, frame: ServerFrame) => ({ type, generation, frame });

const model: ChartModel<SystemWorld> = {
  machine: systemMachine,
  input: {
    localId: 'mmm',
    url: 'ws://model.invalid',
    room: 'model',
    maxBufferedCandidates: 2,
    maxIceRestarts: 1,
    maxReconnects: 1,
    epoch: 'model',
  },
  // Spawning peers is the runtime's business (and registers them in one actor system per traversal):
  // the traversal tracks peers in its world instead.
  provide: () => ({ actions: { connectPeer: () => {}, routeSignal: () => {} } }),
  contextKey: (c) => [(c as SystemContext).generation >= 0, (c as SystemContext).present],
  environment: {
    initial: { signaling: 'connecting', session: 1, peers: [] },
    key: (w) => [w.signaling, w.peers],
    before: (w, e) => {
      const event = e as AnyEventObject & Record<string, unknown>;
      const fresh = (state: SignalingState, session = w.session): SystemWorld => ({
        ...w,
        signaling: state,
        session,
      });
      switch (event.type) {
        case 'SIGNALING.RETRY':
          return w.signaling === 'reconnecting' ? fresh('connecting', w.session + 1) : w;
        case 'SIGNALING.SWITCH':
          return w.signaling === 'closed' ? w : fresh('connecting', w.session + 1);
        case 'SIGNALING.OPEN':
          return fresh('open');
        case 'SIGNALING.LOST':
          return w.signaling === 'open' ? fresh('reconnecting') : w;
        case 'STOP':
          return fresh('closed');
        case 'CONNECT':
          return w.peers.includes(String(event.peerId))
            ? w
            : { ...w, peers: [...w.peers, String(event.peerId)] };
        case 'SIGNALING.FRAME': {
          const frame = event.frame as ServerFrame;
          const current = event.generation === w.session;
          if (current && frame.type === 'signal' && !w.peers.includes(frame.from)) {
            return { ...w, peers: [...w.peers, frame.from] };
          }
          return w;
        }
        default:
          // A peer actor reached its final state (the signaling actor's is SIGNALING_CHILD_ID).
          if (event.type.startsWith('xstate.done.actor.') && event.actorId !== SIGNALING_CHILD_ID)
            return { ...w, peers: w.peers.slice(1) };
          return w;
      }
    },
  },
  events: {
    'SIGNALING.START': {},
    'SIGNALING.RETRY': {},
    // From `open`, the signaling actor answers at once that the open session is lost.
    'SIGNALING.SWITCH': {
      payloads: (type) => [{ type, url: 'ws://switched.invalid' }],
      answers: (_s, _e, w) =>
        w.signaling === 'open' ? [{ type: 'SIGNALING.LOST', generation: w.session }] : [],
    },
    CONNECT: { payloads: (type) => [{ type, peerId: REMOTE }] },
    // The peer closes at once: its actor is done.
    CLOSE_PEER: { payloads: (type) => [{ type, peerId: REMOTE }], answers: (_s, _e, w) => peerDone(w) },
    RETRY_PEER: { payloads: (type) => [{ type, peerId: REMOTE }] },
    'SIGNALING.OPEN': {
      payloads: (type, _s, w) => [{ type, generation: w.session, peers: [REMOTE] }],
      when: (_s, _e, w) => w.signaling === 'connecting',
    },
    'SIGNALING.LOST': {
      payloads: (type, _s, w) => [{ type, generation: w.session }],
      when: (_s, _e, w) => w.signaling === 'open',
    },
    'SIGNALING.FRAME': {
      payloads: (type, s, w) => [
        frameEvent(type, w.session, { v, type: 'presence', peerId: REMOTE, present: true }),
        frameEvent(type, w.session, { v, type: 'presence', peerId: REMOTE, present: false }),
        frameEvent(type, w.session, { v, type: 'error', code: 'unknown-peer', message: 'no peer x' }),
        frameEvent(type, w.session, { v, type: 'signal', from: REMOTE, signal: { type: 'hello' } }),
        // A frame of another session than the open one: the signaling actor forwards frames of the
        // current session only, so no server can make this; pure walks send it.
        frameEvent(type, ctx(s).generation + 1, { v, type: 'presence', peerId: REMOTE, present: true }),
      ],
      when: (_s, e, w) =>
        w.signaling === 'open' && (e as SystemEvent & { generation: number }).generation === w.session,
    },
    // A peer actor's admission and its negotiation's start and end: the runtime's peer sends them on
    // its own (CONNECT with the remote present); pure walks send them at any time.
    'ADMISSION.REQUEST': {
      payloads: (type) => [{ type, key: Number(PEER_KEY), peerId: REMOTE }],
      pureOnly: true,
    },
    'NEGOTIATION.STARTED': {
      payloads: (type) => [{ type, key: Number(PEER_KEY), peerId: REMOTE }],
      pureOnly: true,
    },
    'NEGOTIATION.ENDED': { payloads: (type) => [{ type, key: Number(PEER_KEY) }], pureOnly: true },
    // A peer actor reaches its final state (it is closed through its handle).
    'xstate.done.actor.*': {
      payloads: () => [{ type: `xstate.done.actor.${PEER_KEY}`, actorId: PEER_KEY }],
      when: (_s, _e, w) => w.peers.length > 0,
    },
    // The signaling actor's end: only ever an answer to STOP (below).
    'xstate.done.actor.signaling': { when: () => false },
    // Every peer and then the signaling actor close at once: the system is `stopped` before anyone looks.
    STOP: {
      answers: (_s, _e, w) => [
        ...peerDone(w),
        { type: `xstate.done.actor.${SIGNALING_CHILD_ID}`, actorId: SIGNALING_CHILD_ID },
      ],
    },
  },
};

const report = new CoverageReport('system', systemMachine);
const explorer = new ChartExplorer(model);
const paths = explorer.coveringPaths('runtime');

/** Plays the chart's events: the system's API, its root actor for what has no API, the fake server. */
function player(world: World): PathPlayer {
  const system = () => world.requireSystem();
  return {
    executors: {
      'xstate.init': () => {
        world.start();
      },
      // createPeerSystem sends it once at start; again, it is what the root actor accepts from anyone.
      'SIGNALING.START': () => system().actor.send({ type: 'SIGNALING.START' }),
      'SIGNALING.RETRY': () => system().retrySignaling(),
      'SIGNALING.SWITCH': (step) => system().switchSignaling(ev(step, 'SIGNALING.SWITCH').url),
      CONNECT: (step) => {
        system().connect(ev(step, 'CONNECT').peerId);
      },
      // No API: handles close their own actor directly. The root actor accepts it from anyone.
      CLOSE_PEER: (step) =>
        system().actor.send({ type: 'CLOSE_PEER', peerId: ev(step, 'CLOSE_PEER').peerId }),
      // No API either (handles send RETRY to their own actor); the root actor accepts it from anyone.
      RETRY_PEER: (step) =>
        system().actor.send({ type: 'RETRY_PEER', peerId: ev(step, 'RETRY_PEER').peerId }),
      'SIGNALING.OPEN': (step) => world.welcome(ev(step, 'SIGNALING.OPEN').peers),
      'SIGNALING.LOST': () => world.socket().closeFromServer(1006, 'abnormal closure'),
      'SIGNALING.FRAME': (step) => world.serverSend(ev(step, 'SIGNALING.FRAME').frame),
      // A peer actor reaches its final state.
      'xstate.done.actor.*': () => system().peer(REMOTE)?.close(),
      STOP: () => world.stop(),
    },
    async check(step) {
      await world.settle();
      expectValue(system().actor, step.snapshot, 'the system actor');
      const { generation, present } = system().actor.getSnapshot().context;
      expect({ generation, present }).toEqual({
        generation: ctx(step.snapshot).generation,
        present: ctx(step.snapshot).present,
      });
    },
  };
}

async function play(path: ModelPath): Promise<void> {
  const world = fakeWorld({ inspect: [report.runtime.inspect] });
  try {
    await playPath(path, player(world));
  } finally {
    await world.done();
  }
}

describeChartModel({ chart: 'system', paths, explorer, report, play, seed: 7 });
