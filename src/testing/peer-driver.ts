/**
 * Playing the peer chart's paths (`peerPaths()`, ./peer-model.ts) on a peer system on the fakes: the
 * test is the signaling server and the remote peer, and after each step the peer's actor must be in
 * the chart's state, with the chart's context.
 */

import type { AnyMachineSnapshot, InspectionEvent } from 'xstate';
import type { PeerContext, PeerEvent, PeerInput } from '../../machines/peer.js';
import { encodeHello, encodePing } from '../protocol/frames.js';
import type { Signal } from '../protocol/signals.js';
import { PROTOCOL_VERSION } from '../protocol/signals.js';
import type { PeerHandle, PeerSystemOptions } from '../system.js';
import type { ModelPath, ModelStep } from './chart-model.js';
import { formatValue } from './path-description.js';
import type { Executor } from './path-player.js';
import { expectValue, playPath } from './path-player.js';
import type { PeerDelays } from './peer-model.js';
import { PEER_DELAYS } from './peer-model.js';
import type { Clock, StartSystem, World } from './world.js';
import { createWorld } from './world.js';

/** The heartbeat the peer driver configures: quick, so that a silent remote is noticed in 300 ms. */
export const PEER_HEARTBEAT = { intervalMs: 100, misses: 2 } as const;

/** Data-channel water marks the peer driver configures (small, so that backpressure is easy to cause). */
export const PEER_WATER_MARKS = { high: 1_000, low: 100 } as const;

/**
 * The `createPeerSystem` options that make a system behave as the peer chart's model assumes: the
 * path's input (ids, bounds) and the model's delays (`PEER_DELAYS`).
 */
export function peerSystemOptions(
  input: PeerInput,
  delays: PeerDelays = PEER_DELAYS,
): Partial<PeerSystemOptions> & { localId: string } {
  return {
    localId: input.localId,
    maxBufferedCandidates: input.maxBufferedCandidates,
    maxIceRestarts: input.maxIceRestarts,
    maxReconnects: input.maxReconnects,
    connectTimeoutMs: delays.connectTimeout,
    disconnectedGraceMs: delays.disconnectedGrace,
    iceRestartIntervalMs: delays.iceRestartInterval,
    resumeTimeoutMs: delays.resumeTimeout,
    peerReconnectBackoff: { initialMs: delays.reconnectBackoff, maxMs: delays.reconnectBackoff },
    heartbeatIntervalMs: PEER_HEARTBEAT.intervalMs,
    heartbeatMisses: PEER_HEARTBEAT.misses,
    highWaterMark: PEER_WATER_MARKS.high,
    lowWaterMark: PEER_WATER_MARKS.low,
  };
}

/** Options of `createPeerDriver`. */
export interface PeerDriverOptions {
  /** Advances the fake timers (installed before the driver is created). */
  clock: Clock;
  /** The input of the paths to play (`path.input`): ids and bounds. */
  input: PeerInput;
  /** Creates the system, e.g. by starting the application under test. Default `createPeerSystem`. */
  start?: StartSystem;
  /** Inspection observers, e.g. `ChartCoverage.inspect`. */
  inspect?: ((event: InspectionEvent) => void)[];
  /** More `createPeerSystem` options (those the model depends on are set by the driver). */
  system?: Partial<PeerSystemOptions>;
}

/** Plays peer-chart paths on a system: the fakes, the server, the clock and the application API. */
export interface PeerDriver {
  readonly world: World;
  /** The handle of the remote peer, once the system has its actor. */
  handle(): PeerHandle | undefined;
  /** Executors by event key: each causes its chart event the way the real world does. */
  readonly executors: Record<string, Executor>;
  /** Throws unless the peer's actor is where `step` says (state value and the context the model tracks). */
  check(step: ModelStep): Promise<void>;
  /** Plays a path; `onStep` runs after each step's check (e.g. to check the application's own view). */
  play(
    path: ModelPath,
    onStep?: (step: ModelStep, handle: PeerHandle | undefined) => Promise<void> | void,
  ): Promise<void>;
  /** Stops the system. */
  stop(): Promise<void>;
}

/** Context of the peer actor that must agree with the chart after every step. */
const AGREED_CONTEXT = [
  'generation',
  'sessionGeneration',
  'connection',
  'remoteConnection',
  'remoteInstance',
  'paired',
  'iceRestarts',
  'reconnects',
  'remotePresent',
  'remoteUfrag',
  'remoteResumePoint',
  'bufferedCandidates',
  'error',
] as const satisfies readonly (keyof PeerContext)[];

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * A driver that plays paths of `peerPaths()` on a peer system (by default `createPeerSystem`; pass
 * `start` to run the application under test instead) on the scripted fakes. The test is the signaling
 * server and the remote peer: it sends the remote's signals and presence, settles or fails the
 * RTCPeerConnection operations, reports connection states and channel events, and advances time.
 * A chart event without an executor fails the step, naming the event.
 *
 * @example
 * for (const path of peerPaths()) {
 *   it(path.description, async () => {
 *     vi.useFakeTimers();
 *     const clock = { advance: (ms: number) => vi.advanceTimersByTimeAsync(ms).then(() => {}) };
 *     const driver = createPeerDriver({ clock, input: path.input });
 *     try {
 *       await driver.play(path, (step, peer) => console.log(step.key, peer?.state));
 *     } finally {
 *       await driver.stop();
 *       vi.useRealTimers();
 *     }
 *   });
 * }
 */
export function createPeerDriver(options: PeerDriverOptions): PeerDriver {
  const { input } = options;
  const remoteId = input.remoteId;
  const world = createWorld({
    clock: options.clock,
    localId: input.localId,
    ...(options.start ? { start: options.start } : {}),
    ...(options.inspect ? { inspect: options.inspect } : {}),
    system: { ...options.system, ...peerSystemOptions(input) },
  });
  let handle: PeerHandle | undefined;
  const system = () => world.requireSystem();
  const peer = (): PeerHandle => {
    handle ??= world.system?.peer(remoteId);
    if (!handle) throw new Error(`the system has no actor for ${remoteId}`);
    return handle;
  };
  const ev = <K extends PeerEvent['type']>(step: ModelStep, _type: K) =>
    step.event as Extract<PeerEvent, { type: K }>;
  const channel = () => {
    const c = world.pc().channels[0];
    if (!c) throw new Error('the pc has no data channel');
    return c;
  };
  /** The session generation the system routes signals under, checked against the model's. */
  const expectSession = (generation: number) => {
    const current = (world.signaling().getSnapshot() as AnyMachineSnapshot).context.generation;
    if (current !== generation)
      throw new Error(`signaling session is ${current}, the path says ${generation}`);
  };
  const signal = (step: ModelStep, body: Record<string, unknown>) => {
    const { generation, instance, connection } = step.event as Extract<PeerEvent, { type: 'SIGNAL.HELLO' }>;
    expectSession(generation);
    world.serverSend({
      v: PROTOCOL_VERSION,
      type: 'signal',
      from: remoteId,
      signal: { ...body, instance, connection } as Signal,
    });
    handle ??= world.system?.peer(remoteId);
  };
  /** The remote keeps its heartbeat going while time passes (a ping on the channel). */
  const remoteAlive = () => {
    const pc = world.fake.connections.at(-1);
    if (pc && !pc.closed) pc.channels[0]?.receive(toArrayBuffer(encodePing()));
  };
  /** Settles (or fails) the pc operations of an invoked actor until the chart has its result. */
  const settleInvoke = async (step: ModelStep, outcome: 'resolve' | 'reject') => {
    const invokeId = step.event.type.replace(/^xstate\.(done|error)\.actor\./, '');
    for (let round = 0; round < 20; round++) {
      const children = (peer().actor.getSnapshot() as AnyMachineSnapshot).children;
      if (!children[invokeId]) return;
      const pc = world.pc();
      const pending = pc.pending();
      const op = outcome === 'reject' ? pending.find((o) => o.name !== 'addIceCandidate') : pending[0];
      if (!op) {
        if (pending.length === 0) throw new Error(`${step.key}: no RTCPeerConnection operation is pending`);
        for (const o of pending) o.resolve();
      } else if (outcome === 'reject') {
        for (const o of pending) if (o.name === 'addIceCandidate') o.resolve();
        op.reject(new Error(`model: ${step.event.type} failed`));
      } else {
        op.resolve();
      }
      await world.settle();
    }
    throw new Error(`${step.key}: the operation did not complete`);
  };
  /** Candidates are applied fire-and-forget: let them succeed so that they never hold the operations chain. */
  const applyCandidates = async () => {
    for (let round = 0; round < 10; round++) {
      const pc = world.fake.connections.at(-1);
      const pending = pc?.pending('addIceCandidate') ?? [];
      if (pending.length === 0) return;
      for (const op of pending) op.resolve();
      await world.settle();
    }
  };

  const executors: Record<string, Executor> = {
    'xstate.init': () => {
      world.start();
      world.welcome([]);
    },
    CONNECT: () => {
      handle = system().connect(remoteId);
    },
    CLOSE: () => peer().close(),
    SEND: (step) => peer().send(ev(step, 'SEND').data),
    RETRY: () => peer().retryNow(),
    RESTART_ICE: () => peer().restartIce(),
    // The remote falls silent: no frame for longer than the heartbeat allows.
    'HEARTBEAT.LOST': () =>
      options.clock.advance(PEER_HEARTBEAT.intervalMs * (PEER_HEARTBEAT.misses + 1) + 1),
    'REMOTE.PRESENT': (step) => {
      const { generation } = ev(step, 'REMOTE.PRESENT');
      const current = (world.signaling().getSnapshot() as AnyMachineSnapshot).context.generation as number;
      if (generation === current) {
        world.serverSend({ v: PROTOCOL_VERSION, type: 'presence', peerId: remoteId, present: true });
        return;
      }
      // A new signaling session: the server drops the old one, the system reconnects at once and
      // finds the remote in the room.
      world.socket().closeFromServer(1006, 'abnormal closure');
      system().retrySignaling();
      world.welcome([remoteId]);
      expectSession(generation);
    },
    'REMOTE.ABSENT': () =>
      world.serverSend({ v: PROTOCOL_VERSION, type: 'presence', peerId: remoteId, present: false }),
    'SIGNAL.DESCRIPTION': (step) =>
      signal(step, { type: 'description', description: ev(step, 'SIGNAL.DESCRIPTION').description }),
    'SIGNAL.CANDIDATE': (step) =>
      signal(step, { type: 'candidate', candidate: ev(step, 'SIGNAL.CANDIDATE').candidate }),
    'SIGNAL.HELLO': (step) => signal(step, { type: 'hello' }),
    'SIGNAL.BYE': (step) => signal(step, { type: 'bye' }),
    'PC.ICE_CANDIDATE': (step) => world.pc().gatherCandidate(ev(step, 'PC.ICE_CANDIDATE').candidate),
    'PC.CONNECTION_STATE': (step) => world.pc().setConnectionState(ev(step, 'PC.CONNECTION_STATE').state),
    // The data channel fails; the binding reports the error's detail as PC.ERROR's code.
    'PC.ERROR': (step) => {
      const { code, message } = ev(step, 'PC.ERROR');
      channel().error(code, message);
    },
    'CHANNEL.OPEN': () => channel().open(),
    'CHANNEL.CLOSE': () => channel().closeFromRemote(),
    // The remote's hello: it delivered `lastDelivered` of ours (0: nothing yet, whatever our epoch).
    'CHANNEL.HELLO': (step) =>
      channel().receive(toArrayBuffer(encodeHello(ev(step, 'CHANNEL.HELLO').lastDelivered, 'remote.1', ''))),
    // The channel's buffer is full when a message is sent; then it drains.
    'CHANNEL.BUFFER_LOW': async () => {
      const c = channel();
      c.bufferedAmount = PEER_WATER_MARKS.high;
      peer().send('while the buffer is full');
      await world.settle();
      c.setBufferedAmount(0);
    },
    // RTCDataChannel.send throws (DC-5) when a message is sent.
    'CHANNEL.SEND_FAILED': () => {
      channel().failNextSend();
      peer().send('meets a failing send');
    },
    'xstate.done.actor.createOffer': (step) => settleInvoke(step, 'resolve'),
    'xstate.error.actor.createOffer': (step) => settleInvoke(step, 'reject'),
    'xstate.done.actor.createAnswer': (step) => settleInvoke(step, 'resolve'),
    'xstate.error.actor.createAnswer': (step) => settleInvoke(step, 'reject'),
    'xstate.done.actor.setRemoteDescription': (step) => settleInvoke(step, 'resolve'),
    'xstate.error.actor.setRemoteDescription': (step) => settleInvoke(step, 'reject'),
    'xstate.done.actor.acceptOffer': (step) => settleInvoke(step, 'resolve'),
    'xstate.error.actor.acceptOffer': (step) => settleInvoke(step, 'reject'),
  };
  for (const delay of Object.keys(PEER_DELAYS)) {
    executors[`xstate.after.${delay}`] = (step) =>
      world.fireDelayed(peer().actor, step.event.type, remoteAlive);
  }

  const driver: PeerDriver = {
    world,
    handle: () => {
      handle ??= world.system?.peer(remoteId);
      return handle;
    },
    executors,
    async check(step) {
      await world.settle();
      await applyCandidates();
      const h = driver.handle();
      if (step.event.type === 'xstate.init') {
        if (h) throw new Error(`the system has an actor for ${remoteId} before any event`);
        return;
      }
      if (!h)
        throw new Error(
          `the system has no actor for ${remoteId}; the chart says ${formatValue(step.snapshot.value)}`,
        );
      expectValue(h.actor, step.snapshot, `peer ${remoteId}`);
      const actual = (h.actor.getSnapshot() as AnyMachineSnapshot).context as PeerContext;
      const expected = step.snapshot.context as PeerContext;
      for (const field of AGREED_CONTEXT) {
        if (JSON.stringify(actual[field]) !== JSON.stringify(expected[field])) {
          throw new Error(
            `peer ${remoteId}: context.${field} is ${JSON.stringify(actual[field])}, the chart says ${JSON.stringify(expected[field])}`,
          );
        }
      }
    },
    async play(path, onStep) {
      await playPath(path, {
        executors,
        check: async (step) => {
          await driver.check(step);
          await onStep?.(step, driver.handle());
        },
      });
    },
    stop: () => world.stop(),
  };
  return driver;
}
