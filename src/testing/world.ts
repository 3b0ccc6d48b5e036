/**
 * A peer system (`createPeerSystem`) on the scripted fakes of peerstate/testing, with the test as the
 * signaling server: what model-based tests of the runtime play their paths on.
 *
 * Timers: the runtime uses the global timers, `Date` and `performance`. Install fake timers for all
 * of them (vitest's `vi.useFakeTimers()` does) before the system is created, and pass a `clock` that
 * advances them (`{ advance: (ms) => vi.advanceTimersByTimeAsync(ms) }`). Delayed chart events are
 * fired by advancing exactly to the timer XState scheduled for them.
 */

import type { AnyActorRef, AnyEventObject, InspectionEvent } from 'xstate';
import type { ServerFrame } from '../protocol/signals.js';
import { PROTOCOL_VERSION } from '../protocol/signals.js';
import type { PeerSystem, PeerSystemOptions } from '../system.js';
import { createPeerSystem } from '../system.js';
import type { FakeRTCPeerConnection, FakeRtc } from './fake-rtc.js';
import { createFakeRtc } from './fake-rtc.js';
import type { FakeSignalingHub, FakeWebSocket } from './fake-signaling.js';
import { createFakeSignaling } from './fake-signaling.js';

/** Advances the (fake) timers the runtime uses. */
export interface Clock {
  /** Moves the timers on by `ms` milliseconds, firing those due (e.g. `vi.advanceTimersByTimeAsync`). */
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
