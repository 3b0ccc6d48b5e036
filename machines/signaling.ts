/**
 * The signaling chart: one session to the signaling server at a time.
 *
 * `disconnected → connecting → open → reconnecting → closed`. Each session (one WebSocket) gets a new
 * generation number; a lost session moves the next one to the next URL of the failover list `urls`,
 * if any. Outbound signals carry the generation they were produced under and leave only
 * through the session of that generation (CB-3, CB-4, CB-6); events of an old session are ignored.
 * Pure: the WebSocket session (`session`) and the backoff delay are supplied from src/signaling/.
 */
import {
  assertEvent,
  assign,
  emit,
  fromCallback,
  sendParent,
  sendTo,
  setup,
  spawnChild,
  stopChild,
} from 'xstate';
import type { ServerFrame, Signal } from '../src/protocol/signals.js';

/** Where and as whom to sign in. */
export interface SignalingInput {
  /** WebSocket URL of the signaling server, e.g. `ws://127.0.0.1:8080`. */
  url: string;
  /**
   * Failover list: signaling servers sharing rooms (a cluster, see docs/cluster.md). After a lost
   * session the next session goes to the URL after `url` in this list (the first one when `url` is
   * not in it), round robin. Absent or empty: every session goes to `url`.
   */
  urls?: readonly string[];
  /** Room to join. */
  room: string;
  /** Our peer id in the room. */
  peerId: string;
}

export interface SignalingContext extends SignalingInput {
  /** Generation of the current (or last) session; 0 before the first. */
  generation: number;
  /** Consecutive failed sessions since the last `open`; drives the backoff. */
  attempt: number;
}

/** Events the session actor sends back, each stamped with its session's generation. */
export type SessionEvent =
  | { type: 'SESSION.OPEN'; generation: number; peers: string[] }
  | { type: 'SESSION.FRAME'; generation: number; frame: ServerFrame }
  | { type: 'SESSION.INVALID'; generation: number; reason: string }
  | { type: 'SESSION.UNSENT'; generation: number; to: string; reason: string }
  | { type: 'SESSION.CLOSED'; generation: number; code: number; reason: string };

/**
 * Events the signaling chart accepts: from the system, `CONNECT` (open the first session), `CLOSE`
 * (end for good), `RETRY` (end the backoff wait at once), `SWITCH` (move to `url` now) and
 * `SIGNALING.SEND` (transmit `signal` to peer `to` if `generation` is the open session's, else drop
 * and emit `signalDropped`); and the session actor's `SessionEvent`s.
 */
export type SignalingEvent =
  | { type: 'CONNECT' }
  | { type: 'CLOSE' }
  | { type: 'RETRY' }
  | { type: 'SWITCH'; url: string }
  | { type: 'SIGNALING.SEND'; generation: number; to: string; signal: Signal }
  | SessionEvent;

/** Events the signaling actor sends its parent (the system). */
export type SignalingParentEvent =
  | { type: 'SIGNALING.OPEN'; generation: number; peers: string[] }
  | { type: 'SIGNALING.FRAME'; generation: number; frame: ServerFrame }
  | { type: 'SIGNALING.LOST'; generation: number };

/** Events emitted to observers. */
export type SignalingEmitted =
  | { type: 'signalDropped'; to: string; generation: number; currentGeneration: number }
  | { type: 'invalidFrame'; generation: number; reason: string };

/**
 * The signaling chart (XState v5 machine, id `signaling`): input `SignalingInput`, context
 * `SignalingContext`, events `SignalingEvent`; emits `SignalingEmitted` and sends
 * `SignalingParentEvent`s to its parent. Its `session` actor throws until supplied with
 * `signalingMachine.provide`; its `reconnectBackoff` delay is 1000 ms until supplied. src/system.ts
 * supplies both: the WebSocket session of src/signaling/transport.ts and the wait of the
 * `signalingReconnectPolicy` option.
 */
export const signalingMachine = setup({
  types: {
    context: {} as SignalingContext,
    events: {} as SignalingEvent,
    input: {} as SignalingInput,
    emitted: {} as SignalingEmitted,
  },
  actors: {
    /** One WebSocket session: joins the room, reports SESSION.* events, transmits SIGNALING.SEND. */
    session: fromCallback<SignalingEvent, SignalingInput & { generation: number }>(() => {
      throw new Error(
        'signaling chart: "session" was not provided (supply it with signalingMachine.provide)',
      );
    }),
  },
  actions: {
    startSession: spawnChild('session', {
      id: 'session',
      input: ({ context }) => ({
        url: context.url,
        room: context.room,
        peerId: context.peerId,
        generation: context.generation,
      }),
    }),
    stopSession: stopChild('session'),
    nextGeneration: assign({ generation: ({ context }) => context.generation + 1 }),
    countAttempt: assign({ attempt: ({ context }) => context.attempt + 1 }),
    resetAttempts: assign({ attempt: 0 }),
    switchUrl: assign({ url: ({ context, event }) => (event.type === 'SWITCH' ? event.url : context.url) }),
    /** Round robin over the failover list, from where `url` is in it. */
    nextUrl: assign({
      url: ({ context: { url, urls = [] } }) => urls[(urls.indexOf(url) + 1) % urls.length] ?? url,
    }),
    transmit: sendTo('session', ({ event }) => event),
    reportDroppedSignal: emit(({ context, event }) => ({
      type: 'signalDropped' as const,
      to: event.type === 'SIGNALING.SEND' ? event.to : '',
      generation: event.type === 'SIGNALING.SEND' ? event.generation : -1,
      currentGeneration: context.generation,
    })),
    /** CB-4: the socket was already closing when a signal was to be sent; it is dropped by rule, and said so. */
    reportUnsent: emit(({ context, event }) => ({
      type: 'signalDropped' as const,
      to: event.type === 'SESSION.UNSENT' ? event.to : '',
      generation: event.type === 'SESSION.UNSENT' ? event.generation : -1,
      currentGeneration: context.generation,
    })),
    reportInvalidFrame: emit(({ event }) => ({
      type: 'invalidFrame' as const,
      generation: event.type === 'SESSION.INVALID' ? event.generation : -1,
      reason: event.type === 'SESSION.INVALID' ? event.reason : '',
    })),
    announceOpen: sendParent(({ context, event }) => ({
      type: 'SIGNALING.OPEN' as const,
      generation: context.generation,
      peers: event.type === 'SESSION.OPEN' ? event.peers : [],
    })),
    forwardFrame: sendParent(({ event }) => {
      assertEvent(event, 'SESSION.FRAME');
      const { generation, frame } = event;
      return { type: 'SIGNALING.FRAME' as const, generation, frame };
    }),
    announceLost: sendParent(({ context }) => ({
      type: 'SIGNALING.LOST' as const,
      generation: context.generation,
    })),
  },
  guards: {
    /** The event comes from the session of the current generation. */
    isCurrentSession: ({ context, event }) =>
      'generation' in event && event.generation === context.generation,
  },
  delays: {
    /** Wait before the next session, in ms; src supplies exponential backoff with jitter. */
    reconnectBackoff: 1_000,
  },
}).createMachine({
  id: 'signaling',
  /** The input, before the first session: generation 0, no failed attempt. */
  context: ({ input }) => ({ ...input, generation: 0, attempt: 0 }),
  initial: 'disconnected',
  on: {
    CLOSE: { target: '.closed' },
    'SIGNALING.SEND': { actions: 'reportDroppedSignal' },
    'SESSION.INVALID': { guard: 'isCurrentSession', actions: 'reportInvalidFrame' },
    'SESSION.UNSENT': { actions: 'reportUnsent' },
  },
  states: {
    disconnected: {
      on: { CONNECT: { target: 'connecting' } },
    },
    connecting: {
      entry: ['nextGeneration', 'startSession'],
      on: {
        'SESSION.OPEN': {
          guard: 'isCurrentSession',
          target: 'open',
          actions: ['resetAttempts', 'announceOpen'],
        },
        'SESSION.CLOSED': { guard: 'isCurrentSession', target: 'reconnecting' },
        SWITCH: { target: 'connecting', reenter: true, actions: ['stopSession', 'switchUrl'] },
      },
    },
    open: {
      on: {
        'SIGNALING.SEND': [
          { guard: 'isCurrentSession', actions: 'transmit' },
          { actions: 'reportDroppedSignal' },
        ],
        'SESSION.FRAME': { guard: 'isCurrentSession', actions: 'forwardFrame' },
        'SESSION.CLOSED': { guard: 'isCurrentSession', target: 'reconnecting', actions: 'announceLost' },
        SWITCH: { target: 'connecting', actions: ['stopSession', 'announceLost', 'switchUrl'] },
      },
    },
    reconnecting: {
      entry: ['stopSession', 'countAttempt', 'nextUrl'],
      after: { reconnectBackoff: { target: 'connecting' } },
      on: {
        RETRY: { target: 'connecting' },
        SWITCH: { target: 'connecting', actions: 'switchUrl' },
      },
    },
    closed: {
      type: 'final',
      entry: 'stopSession',
    },
  },
});
