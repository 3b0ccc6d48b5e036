/**
 * The peer chart (machines/peer.ts) as a model: its events with payloads, when the real world can
 * produce each of them (a pc event needs a pc, a channel event a channel, ...), the world the src/
 * guards read, and `peerPaths()`, the paths that cover the chart. `createPeerDriver()`
 * (./peer-driver.ts) plays them on the runtime.
 *
 * The only place in src/testing that names the peer chart's states: by key and by the actors they
 * invoke, found in the chart wherever it nests them, never as a state value or id written out.
 */

import type { AnyEventObject, AnyMachineSnapshot } from 'xstate';
import type { PeerContext, PeerEvent, PeerInput } from '../../machines/peer.js';
import { peerMachine } from '../../machines/peer.js';
import type { RTCPeerConnectionState } from '../rtc/webrtc-types.js';
import { chartGraph } from '../visualize/walk.js';
import type { ChartModel, ModelPath } from './chart-model.js';
import { ChartExplorer, coveringPaths } from './explorer.js';

/**
 * The id of the peer chart's state named `key`: the one nearest the root if nested states share the
 * key (`connected` is also a state of the transport region). Throws if the chart has none.
 */
function peerStateId(key: string): string {
  const graph = chartGraph(peerMachine);
  const depth = (id: string | null): number =>
    id === null ? 0 : 1 + depth(graph.byId.get(id)?.parent ?? null);
  const found = graph.states.filter((s) => s.key === key).sort((a, b) => depth(a.id) - depth(b.id));
  const first = found[0];
  if (!first) throw new Error(`the peer chart has no state ${key}`);
  if (found[1] && depth(found[1].id) === depth(first.id))
    throw new Error(`the peer chart has several states ${key}: ${found.map((s) => s.id).join(', ')}`);
  return first.id;
}

/** Messages flow: the outbox is flushed here, so only here does a send meet a full buffer or fail. */
const CONNECTED = peerStateId('connected');

const isIn = (snapshot: AnyMachineSnapshot, stateId: string) =>
  snapshot._nodes.some((node) => node.id === stateId);

/**
 * The world of one peer actor as the traversal models it: whether the runtime has the actor yet,
 * which signaling session is current, and what the current RTCPeerConnection and its data channel say
 * (what `isPeerConnectionConnected` and `isChannelOpen` ask, and which events the pc can still fire).
 */
export interface PeerWorld {
  /** The system has an actor for the remote peer (after CONNECT or a first signal from it). */
  exists: boolean;
  /** Generation of the current signaling session (the first is 1). */
  session: number;
  /** The current pc, by the chart's connection number; null while the chart has none. */
  pc: { connection: number; state: RTCPeerConnectionState; channel: 'connecting' | 'open' | 'closed' } | null;
}

/** The ICE ufrag of every remote description in generated paths. */
export const REMOTE_UFRAG = 'rmt1';

/** A remote description as generated paths carry it (a fake SDP with `a=ice-ufrag:rmt1`). */
export function remoteDescription(type: 'offer' | 'answer'): { type: 'offer' | 'answer'; sdp: string } {
  return {
    type,
    sdp: `v=0\r\no=remote 1 1 IN IP4 127.0.0.1\r\ns=${type}\r\na=ice-ufrag:${REMOTE_UFRAG}\r\na=ice-pwd:remotepasswordremotepassword\r\n`,
  };
}

/** A remote candidate of the current (`rmt1`) or an older (`old0`) ICE generation. */
export function remoteCandidate(ufrag: string = REMOTE_UFRAG): {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number;
  usernameFragment: string;
} {
  return {
    candidate: `candidate:7 1 udp 2122260223 10.0.0.7 47000 typ host ufrag ${ufrag}`,
    sdpMid: '0',
    sdpMLineIndex: 0,
    usernameFragment: ufrag,
  };
}

/** Options of the peer chart's model (and of the system that plays its paths). */
export interface PeerModelOptions {
  /** Our id. Default `mmm`. */
  localId?: string;
  /** The remote's id: greater than ours makes us impolite (we offer). Default `zzz`. */
  remoteId?: string;
  /** Default 1 (so that a second candidate overflows). */
  maxBufferedCandidates?: number;
  /** Default 2 (a second restart after a first that did not help). With 0, every recovery from `connected` is a full reconnect. */
  maxIceRestarts?: number;
  /** Default 1. */
  maxReconnects?: number;
  /** The runtime's delays in ms (their order decides which timer can fire first). */
  delays?: Partial<PeerDelays>;
}

/** The peer chart's delays, in ms, as a test configures the runtime. */
export interface PeerDelays {
  connectTimeout: number;
  disconnectedGrace: number;
  iceRestartInterval: number;
  resumeTimeout: number;
  reconnectBackoff: number;
}

/** The delays generated paths assume; `peerSystemOptions()` configures a system with them. */
export const PEER_DELAYS: PeerDelays = {
  connectTimeout: 5_000,
  disconnectedGrace: 2_000,
  iceRestartInterval: 1_000,
  resumeTimeout: 600,
  reconnectBackoff: 400,
};

type PeerModelInput = Required<Omit<PeerModelOptions, 'delays'>>;

function peerInput(options: PeerModelOptions): PeerModelInput {
  return {
    localId: options.localId ?? 'mmm',
    remoteId: options.remoteId ?? 'zzz',
    maxBufferedCandidates: options.maxBufferedCandidates ?? 1,
    maxIceRestarts: options.maxIceRestarts ?? 2,
    maxReconnects: options.maxReconnects ?? 1,
  };
}

const peerCtx = (snapshot: AnyMachineSnapshot) => snapshot.context as PeerContext;

/** Who sent a remote signal: the remote peer actor (`instance`) and which of its pcs (`connection`). */
interface RemoteSender {
  instance: string;
  connection: number;
}

/**
 * Senders a remote signal may come from, relative to the remote pc the chart knows (`connectionOf`):
 * that pc (`current`), a newer pc of the same remote actor (`newer`: it replaced its pc), an older
 * one (`older`: a late signal) and a new remote actor (`restarted`: it numbers its pcs from 1 again).
 */
function remoteSenders(
  context: PeerContext,
): Record<'current' | 'newer' | 'older' | 'restarted', RemoteSender | null> {
  const known = context.remoteConnection;
  const instance = context.remoteInstance ?? 'r1';
  if (known === null)
    return { current: { instance, connection: 1 }, newer: null, older: null, restarted: null };
  const restarted = `r${Number(instance.slice(1)) + 1}`;
  return {
    // Before our pc is paired, any newer remote pc is the one we talk to.
    current: { instance, connection: context.paired ? known : known + 1 },
    newer: { instance, connection: known + 1 },
    older: known > 0 ? { instance, connection: known - 1 } : null,
    restarted: { instance: restarted, connection: 1 },
  };
}

/**
 * The peer chart as a model: its events with payloads, what the real world can produce when (a pc
 * event needs a pc, a channel event an open channel, ...), and the world the src/ guards read.
 * Pure: `createPeerDriver()` (./peer-driver.ts) plays the paths on a system.
 */
export function peerModel(options: PeerModelOptions = {}): ChartModel<PeerWorld> {
  const input = peerInput(options);
  const delays = { ...PEER_DELAYS, ...options.delays };
  const exists = (_s: AnyMachineSnapshot, _e: AnyEventObject, w: PeerWorld) => w.exists;
  const hasPc = (_s: AnyMachineSnapshot, _e: AnyEventObject, w: PeerWorld) => w.pc !== null;
  const channel =
    (state: 'connecting' | 'open' | 'closed') => (_s: AnyMachineSnapshot, _e: AnyEventObject, w: PeerWorld) =>
      w.pc?.channel === state;
  const connectedWithOpenChannel = (s: AnyMachineSnapshot, _e: AnyEventObject, w: PeerWorld) =>
    isIn(s, CONNECTED) && w.pc?.channel === 'open';
  /** Senders that differ in what the guards tell apart (`connectionOf`), without duplicates. */
  const senders = (s: AnyMachineSnapshot, which: ('current' | 'newer' | 'older' | 'restarted')[]) => {
    const all = remoteSenders(peerCtx(s));
    const found = new Map<string, RemoteSender>();
    for (const w of which) {
      const sender = all[w];
      if (sender) found.set(JSON.stringify(sender), sender);
    }
    return [...found.values()];
  };
  const done = (output: (s: AnyMachineSnapshot) => unknown) => (type: string, s: AnyMachineSnapshot) => [
    { type, output: output(s) },
  ];
  const failed = (type: string) => [{ type, error: new Error(`model: ${type} failed`) }];
  const localDescription = (kind: 'offer' | 'answer') => () => ({
    type: kind,
    sdp: `v=0\r\ns=local ${kind}\r\n`,
  });

  return {
    machine: peerMachine,
    input: { key: 1, instance: 'model.1', ...input } satisfies PeerInput,
    delays: { ...delays },
    provide: (world) => ({
      guards: {
        // What the binding of the chart's current connection says, in the modelled world.
        isPeerConnectionConnected: ({ context }: { context: PeerContext }) => {
          const pc = world().pc;
          return pc !== null && pc.connection === context.connection && pc.state === 'connected';
        },
        isChannelOpen: ({ context }: { context: PeerContext }) => {
          const pc = world().pc;
          return pc !== null && pc.connection === context.connection && pc.channel === 'open';
        },
      },
    }),
    // States differ by value, world and these counters only: other context (connection numbers,
    // generations, the ufrag, the resume point) is carried along in each path but does not split
    // states, which keeps the traversal small. Coverage, measured, says whether this is enough.
    contextKey: (context) => {
      const c = context as PeerContext;
      return [c.bufferedCandidates.length > 0, c.iceRestarts, c.reconnects, c.remotePresent];
    },
    environment: {
      initial: { exists: false, session: 1, pc: null },
      before: (w, e) => {
        const event = e as PeerEvent;
        let next = w;
        // (Unchanged worlds stay the same object: `inert` relies on it.)
        if (!w.exists && (event.type === 'CONNECT' || event.type.startsWith('SIGNAL.')))
          next = { ...next, exists: true };
        if (event.type === 'REMOTE.PRESENT' && event.generation > w.session)
          next = { ...next, session: event.generation };
        if (next.pc && event.type === 'PC.CONNECTION_STATE' && next.pc.state !== event.state)
          next = { ...next, pc: { ...next.pc, state: event.state } };
        if (next.pc && event.type === 'CHANNEL.OPEN' && next.pc.channel !== 'open')
          next = { ...next, pc: { ...next.pc, channel: 'open' } };
        if (next.pc && event.type === 'CHANNEL.CLOSE' && next.pc.channel !== 'closed')
          next = { ...next, pc: { ...next.pc, channel: 'closed' } };
        return next;
      },
      after: (w, snapshot) => {
        if (!snapshot.children.pc) return w.pc ? { ...w, pc: null } : w;
        const connection = peerCtx(snapshot).connection;
        if (w.pc?.connection === connection) return w;
        return { ...w, pc: { connection, state: 'new', channel: 'connecting' } };
      },
      key: (w) => [w.exists, w.pc && [w.pc.state, w.pc.channel]],
    },
    events: {
      CONNECT: {},
      CLOSE: { when: exists },
      SEND: { payloads: (type) => [{ type, data: 'm' }], when: exists },
      RETRY: { when: exists },
      RESTART_ICE: { when: exists },
      // The remote falls silent while the heartbeat watches it (it runs while connected).
      'HEARTBEAT.LOST': { when: (s) => isIn(s, CONNECTED) },
      'REMOTE.PRESENT': {
        // Present on the current session, or on a new one (the signaling session was replaced).
        payloads: (type, _s, w) => [
          { type, generation: w.session },
          { type, generation: w.session + 1 },
        ],
        when: exists,
      },
      'REMOTE.ABSENT': { when: exists },
      'SIGNAL.DESCRIPTION': {
        payloads: (type, s, w) => [
          ...senders(s, ['current', 'newer', 'older', 'restarted']).map((sender) => ({
            type,
            generation: w.session,
            ...sender,
            description: remoteDescription('offer'),
          })),
          ...senders(s, ['current']).map((sender) => ({
            type,
            generation: w.session,
            ...sender,
            description: remoteDescription('answer'),
          })),
        ],
      },
      'SIGNAL.CANDIDATE': {
        payloads: (type, s, w) => [
          ...senders(s, ['current', 'older']).map((sender) => ({
            type,
            generation: w.session,
            ...sender,
            candidate: remoteCandidate(),
          })),
          // Of the current remote pc, but of an ICE generation before the remote's last restart.
          ...senders(s, ['current']).map((sender) => ({
            type,
            generation: w.session,
            ...sender,
            candidate: remoteCandidate('old0'),
          })),
        ],
      },
      'SIGNAL.HELLO': {
        payloads: (type, s, w) =>
          senders(s, ['current', 'newer']).map((sender) => ({ type, generation: w.session, ...sender })),
      },
      // A bye reaches only an actor that exists: the system spawns none for it (RV-7).
      'SIGNAL.BYE': {
        payloads: (type, s, w) =>
          senders(s, ['current']).map((sender) => ({ type, generation: w.session, ...sender })),
        when: exists,
      },
      'REMOTE_DESCRIPTION.SET': { internal: true },
      'PC.ICE_CANDIDATE': {
        payloads: (type) => [
          {
            type,
            candidate: {
              ...remoteCandidate('loc1'),
              candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 40001 typ host',
            },
          },
        ],
        when: hasPc,
      },
      'PC.CONNECTION_STATE': {
        payloads: (type) =>
          (['connected', 'disconnected', 'failed'] as const).map((state) => ({ type, state })),
        // The binding reports changes only.
        when: (_s, e, w) => w.pc !== null && w.pc.state !== (e as PeerEvent & { state: string }).state,
      },
      // The open data channel fails (an RTCErrorEvent: the SCTP association it runs on gave up);
      // src/rtc/binding.ts reports it as PC.ERROR with the error's detail as the code.
      'PC.ERROR': {
        payloads: (type) => [{ type, code: 'sctp-failure', message: 'model: the data channel failed' }],
        when: channel('open'),
      },
      'CHANNEL.OPEN': { when: channel('connecting') },
      'CHANNEL.CLOSE': { when: (s, e, w) => hasPc(s, e, w) && w.pc?.channel !== 'closed' },
      'CHANNEL.HELLO': { payloads: (type) => [{ type, lastDelivered: 0 }], when: channel('open') },
      'CHANNEL.BUFFER_LOW': { when: connectedWithOpenChannel },
      'CHANNEL.SEND_FAILED': {
        payloads: (type) => [{ type, message: 'send queue is full' }],
        when: connectedWithOpenChannel,
      },
      'xstate.done.actor.createOffer': { payloads: done(localDescription('offer')) },
      'xstate.error.actor.createOffer': { payloads: failed },
      'xstate.done.actor.createAnswer': { payloads: done(localDescription('answer')) },
      'xstate.error.actor.createAnswer': { payloads: failed },
      'xstate.done.actor.setRemoteDescription': { payloads: done(() => ({ ufrag: REMOTE_UFRAG })) },
      'xstate.error.actor.setRemoteDescription': { payloads: failed },
      'xstate.done.actor.acceptOffer': { payloads: done(() => ({ ufrag: REMOTE_UFRAG })) },
      'xstate.error.actor.acceptOffer': { payloads: failed },
      'xstate.after.connectTimeout': {},
      'xstate.after.iceRestartInterval': {},
      'xstate.after.disconnectedGrace': {},
      'xstate.after.resumeTimeout': {},
      'xstate.after.reconnectBackoff': {},
    },
  };
}

/** The configurations `peerPaths()` explores: both sides of perfect negotiation, with and without ICE restarts. */
export const PEER_CONFIGURATIONS: readonly PeerModelOptions[] = [
  { remoteId: 'zzz' },
  { remoteId: 'aaa' },
  { remoteId: 'zzz', maxIceRestarts: 0 },
];

/** A path through the peer chart, with the peer input it was generated for. */
export interface PeerPath extends ModelPath {
  /** Ids and bounds: what `createPeerDriver({ input })` configures the system with. */
  input: PeerInput;
}

/**
 * Paths through the peer chart that together reach every state node and take every transition that
 * a real-world event can cause, for the impolite and the polite side (and with ICE restarts off, where
 * every recovery from `connected` is a full reconnect). Each step says the chart event (with payload)
 * and the state the peer must be in afterwards: `createPeerDriver()` plays them on the fakes.
 * Deterministic: the same chart gives the same paths.
 *
 * @example
 * const impolite = peerPaths([{ remoteId: 'zzz' }]); // we offer: our id `mmm` is the smaller
 * console.log(impolite.map((path) => path.description));
 */
export function peerPaths(configurations: readonly PeerModelOptions[] = PEER_CONFIGURATIONS): PeerPath[] {
  return coveringPaths(
    configurations.map((options) => new ChartExplorer(peerModel(options))),
    'runtime',
  ) as PeerPath[];
}
