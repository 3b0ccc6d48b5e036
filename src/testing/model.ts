/**
 * Playing generated paths (./paths.ts) on the real runtime: a peer system (`createPeerSystem`) on the
 * scripted fakes of peerstate/testing, with the signaling server played by the test. Each chart event
 * of a path is turned into what causes it in the real world (a frame from the server, a settled or
 * failed RTCPeerConnection operation, a connection state change, an expired timer, an API call) and,
 * after each step, the runtime's actor must be in the state the path says.
 *
 * Timers: the runtime uses the global timers, `Date` and `performance`. Install fake timers for all
 * of them (vitest's `vi.useFakeTimers()` does) before the system is created, and pass a `clock` that
 * advances them (`{ advance: (ms) => vi.advanceTimersByTimeAsync(ms) }`). Delayed chart events are
 * fired by advancing exactly to the timer XState scheduled for them.
 */

import type { AnyActorRef, AnyEventObject, AnyMachineSnapshot, InspectionEvent } from 'xstate';
import type { PeerContext, PeerEvent, PeerInput } from '../../machines/peer.js';
import { encodeHello, encodePing } from '../protocol/frames.js';
import type { ServerFrame, Signal } from '../protocol/signals.js';
import { PROTOCOL_VERSION } from '../protocol/signals.js';
import type { PeerHandle, PeerSystem, PeerSystemOptions } from '../system.js';
import { createPeerSystem } from '../system.js';
import type { FakeRTCPeerConnection, FakeRtc } from './fake-rtc.js';
import { createFakeRtc } from './fake-rtc.js';
import type { FakeSignalingHub, FakeWebSocket } from './fake-signaling.js';
import { createFakeSignaling } from './fake-signaling.js';
import type { ModelPath, ModelStep, PeerDelays } from './paths.js';
import { formatValue, PEER_DELAYS } from './paths.js';

export * from './paths.js';

/** Advances the (fake) timers the runtime uses. */
export interface Clock {
  advance(ms: number): Promise<void> | void;
}

/** Lets promise callbacks run (XState promise actors, the binding's operations chain); no timers involved. */
export async function flushMicrotasks(rounds = 40): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** What `createPeerSystem` is called with; a test may wrap it (e.g. to start its own application). */
export type StartSystem = (options: PeerSystemOptions) => PeerSystem;

/** Options of `createWorld`. */
export interface WorldOptions {
  clock: Clock;
  /** Our peer id. Default `mmm`. */
  localId?: string;
  /** Signaling room. Default `model`. */
  room?: string;
  /** Options passed on to `createPeerSystem` (timings, bounds). */
  system?: Partial<PeerSystemOptions>;
  /** Inspection observers (e.g. `ChartCoverage.inspect`). */
  inspect?: ((event: InspectionEvent) => void)[];
  /** Creates the system. Default `createPeerSystem`. */
  start?: StartSystem;
}

/**
 * A peer system on the fakes, with the test as the signaling server: nothing the system sends is
 * delivered anywhere, and every server frame it receives is one the test sends with `serverSend`.
 */
export interface World {
  readonly hub: FakeSignalingHub;
  readonly fake: FakeRtc;
  readonly clock: Clock;
  readonly localId: string;
  readonly room: string;
  /** The system, once `start()` ran. */
  readonly system: PeerSystem | undefined;
  /** Creates the system (its signaling session starts connecting at once). */
  start(): PeerSystem;
  /** The system; throws if not started. */
  requireSystem(): PeerSystem;
  /** The system's signaling actor (also after the system stopped). */
  signaling(): AnyActorRef;
  /** The newest socket the system opened. */
  socket(): FakeWebSocket;
  /** The newest RTCPeerConnection the system created. */
  pc(): FakeRTCPeerConnection;
  /** The server sends `frame` on the newest socket (which must be open). */
  serverSend(frame: ServerFrame): void;
  /** The server accepts the newest socket and welcomes it into the room with `peers` present. */
  welcome(peers: string[]): void;
  /** Advances time until the actor's delayed event `eventType` fires (and lets its effects run). */
  fireDelayed(actor: AnyActorRef, eventType: string, tick?: () => void): Promise<void>;
  /** Lets asynchronous effects run. */
  settle(): Promise<void>;
  /** Stops the system (idempotent). */
  stop(): Promise<void>;
}

interface ScheduledEvent {
  event: AnyEventObject;
  target: AnyActorRef;
  delay: number;
  startedAt: number;
}

/** Creates a world: fakes, a scripted signaling server and, on `start()`, a peer system. */
export function createWorld(options: WorldOptions): World {
  const hub = createFakeSignaling();
  const fake = createFakeRtc();
  const localId = options.localId ?? 'mmm';
  const room = options.room ?? 'model';
  const start = options.start ?? createPeerSystem;
  let system: PeerSystem | undefined;
  let signaling: AnyActorRef | undefined;
  let stopping: Promise<void> | undefined;

  const world: World = {
    hub,
    fake,
    clock: options.clock,
    localId,
    room,
    get system() {
      return system;
    },
    start() {
      if (system) throw new Error('the world has a system already');
      const observers = options.inspect ?? [];
      system = start({
        localId,
        url: 'ws://model.invalid',
        room,
        rtc: fake.rtc,
        WebSocket: hub.WebSocket,
        operationTimeoutMs: 1_000_000_000,
        ...options.system,
        ...(observers.length > 0
          ? {
              inspect: (event: InspectionEvent) => {
                for (const observer of observers) observer(event);
              },
            }
          : {}),
      });
      return system;
    },
    requireSystem() {
      if (!system) throw new Error('no system yet');
      return system;
    },
    signaling() {
      // Kept: a stopped system forgets its actors, and the last state is still worth checking.
      signaling ??= world.requireSystem().actor.system.get('signaling') as AnyActorRef;
      return signaling;
    },
    socket() {
      const socket = hub.sockets.at(-1);
      if (!socket) throw new Error('no socket yet');
      return socket;
    },
    pc() {
      const pc = fake.connections.at(-1);
      if (!pc) throw new Error('no RTCPeerConnection yet');
      return pc;
    },
    serverSend(frame) {
      const socket = world.socket();
      if (socket.readyState !== 1) throw new Error(`socket is not open (readyState ${socket.readyState})`);
      socket.deliverText(JSON.stringify(frame));
    },
    welcome(peers) {
      world.socket().acceptOpen();
      world.serverSend({ v: PROTOCOL_VERSION, type: 'welcome', room, peerId: localId, peers });
    },
    async fireDelayed(actor, eventType, tick) {
      const scheduled = Object.values(
        (actor.system.getSnapshot() as { _scheduledEvents: Record<string, ScheduledEvent> })._scheduledEvents,
      ).find((s) => s.event.type === eventType && s.target === actor);
      if (!scheduled) throw new Error(`no timer pending for ${eventType}`);
      let remaining = Math.max(0, scheduled.startedAt + scheduled.delay - Date.now());
      // In slices, so that `tick` (e.g. the remote's heartbeat) can run in between.
      const slice = tick ? 100 : remaining;
      do {
        const ms = Math.min(slice, remaining);
        tick?.();
        await options.clock.advance(ms);
        remaining -= ms;
      } while (remaining > 0);
      await world.settle();
    },
    async settle() {
      await flushMicrotasks();
    },
    stop() {
      stopping ??= (async () => {
        if (!system) return;
        const done = system.stop();
        await options.clock.advance(2_000);
        await done;
      })();
      return stopping;
    },
  };
  return world;
}

/** Turns one step's chart event into its real-world cause. */
export type Executor = (step: ModelStep, index: number) => Promise<void> | void;

/** How a path is played: executors by event key, and the check after each step. */
export interface PathPlayer {
  executors: Record<string, Executor>;
  /** Throws if the runtime disagrees with `step.snapshot`. */
  check(step: ModelStep, index: number): Promise<void> | void;
}

/** The executor of a step; throws, naming the event, if there is none. */
export function executorFor(executors: Record<string, Executor>, step: ModelStep): Executor {
  const executor = executors[step.key];
  if (!executor) throw new Error(`no executor for event "${step.key}" (${step.event.type})`);
  return executor;
}

/** Plays a path: executes each step and checks the runtime after it. Errors name the step and the path. */
export async function playPath(path: ModelPath, player: PathPlayer): Promise<void> {
  for (const [index, step] of path.steps.entries()) {
    try {
      await executorFor(player.executors, step)(step, index);
      await player.check(step, index);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      const trail = path.steps
        .map((s, i) => `${i === index ? '>' : ' '} ${i}. ${s.key} → ${formatValue(s.snapshot.value)}`)
        .join('\n');
      e.message = `${e.message}\nat step ${index} (${step.key}) of:\n${trail}`;
      throw e;
    }
  }
}

/** Throws unless the actor's state value is the one of `expected`. */
export function expectValue(
  actor: AnyActorRef | undefined,
  expected: AnyMachineSnapshot,
  what: string,
): void {
  if (!actor) throw new Error(`${what}: no actor, expected ${formatValue(expected.value)}`);
  const actual = (actor.getSnapshot() as AnyMachineSnapshot).value;
  if (JSON.stringify(actual) !== JSON.stringify(expected.value)) {
    throw new Error(`${what} is ${formatValue(actual)}, the chart says ${formatValue(expected.value)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// The peer chart on the runtime

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
    'CHANNEL.OPEN': () => channel().open(),
    'CHANNEL.CLOSE': () => channel().closeFromRemote(),
    // The remote's hello: it delivered `lastDelivered` of ours (0: nothing yet, whatever our epoch).
    'CHANNEL.HELLO': (step) =>
      channel().receive(toArrayBuffer(encodeHello(ev(step, 'CHANNEL.HELLO').lastDelivered, 1, 0))),
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
  for (const delay of [
    'connectTimeout',
    'iceRestartInterval',
    'disconnectedGrace',
    'resumeTimeout',
    'reconnectBackoff',
  ]) {
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
