/**
 * Shared test implementations for the chart tests: deferred promises the test settles in the order
 * it chooses, and a recording provision of the peer chart (no RTCPeerConnection, no data channel).
 */
import type { AnyActorRef } from 'xstate';
import { createActor, fromCallback, fromPromise, setup } from 'xstate';
import type {
  OperationInput,
  OutboundSignal,
  PeerActor,
  PeerConnectionCommand,
  PeerContext,
  PeerEvent,
  PeerInput,
  PeerResourcesInput,
  RemoteDescriptionOutput,
} from '../../machines/peer.js';
import { peerMachine, peerStateOf } from '../../machines/peer.js';
import type { Candidate, Description } from '../../src/protocol/signals.js';

/** A promise whose settlement the test controls. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const offer: Description = { type: 'offer', sdp: 'v=0 offer' };
export const answer: Description = { type: 'answer', sdp: 'v=0 answer' };

/** A remote candidate whose candidate line carries `name`, so order is easy to read. */
export function candidate(name: string, ufrag?: string): Candidate {
  const c: Candidate = {
    candidate: `candidate:${name} 1 udp 2122260223 10.0.0.1 5000 typ host`,
    sdpMid: '0',
  };
  return ufrag === undefined ? c : { ...c, usernameFragment: ufrag };
}

/** One pending remote description: acceptOffer (an offer) or setRemoteDescription (an answer). */
export interface RemoteDescriptionCall {
  via: 'acceptOffer' | 'setRemoteDescription';
  key: number;
  connection: number;
  description: Description;
  deferred: Deferred<RemoteDescriptionOutput>;
}

/** Everything the recording peer implementations observed, for every peer actor that uses them. */
export interface PeerRecorder {
  /** Ordered log of the recorded actions and actor lifecycles, e.g. `pc:start:0`, `drain:a,b`. */
  log: string[];
  /** Keys of started / cleaned-up peerConnection actors, in order. */
  pcStarts: number[];
  pcCleanups: number[];
  /** Keys of started / cleaned-up peerResources actors, in order. */
  resourceStarts: number[];
  resourceCleanups: number[];
  /** Keys of the peers whose heartbeat started / stopped, in order. */
  heartbeatStarts: number[];
  heartbeatCleanups: number[];
  /** sendBack of the latest peerConnection actor per key (to play the pc's events). */
  pcSendBack: Map<number, (event: PeerEvent) => void>;
  /** What the guards isPeerConnectionConnected / isChannelOpen answer (the pc's state right now). */
  pcConnected: boolean;
  channelOpen: boolean;
  offers: Deferred<Description>[];
  /** Input of every createOffer call, in order. */
  offerInputs: (OperationInput & { iceRestart: boolean })[];
  answers: Deferred<Description>[];
  remoteDescriptions: RemoteDescriptionCall[];
  /** Candidates handed to drainRemoteCandidates, one array per call. */
  drained: (Candidate | null)[][];
  /** Candidates handed to addRemoteCandidate. */
  applied: (Candidate | null)[];
  /** Counts of the other supplied actions. */
  counts: Record<
    'flushOutbox' | 'resumeOutbox' | 'enqueueMessage' | 'releaseOutbox' | 'sendChannelHello',
    number
  >;
}

export function createPeerRecorder(): PeerRecorder {
  return {
    log: [],
    pcStarts: [],
    pcCleanups: [],
    resourceStarts: [],
    resourceCleanups: [],
    heartbeatStarts: [],
    heartbeatCleanups: [],
    pcSendBack: new Map(),
    pcConnected: false,
    channelOpen: false,
    offers: [],
    offerInputs: [],
    answers: [],
    remoteDescriptions: [],
    drained: [],
    applied: [],
    counts: { flushOutbox: 0, resumeOutbox: 0, enqueueMessage: 0, releaseOutbox: 0, sendChannelHello: 0 },
  };
}

/** The readable name of a candidate in logs: its foundation, or `null` for end-of-candidates. */
export function nameOf(c: Candidate | null): string {
  if (c === null) return 'null';
  return c.candidate.slice('candidate:'.length).split(' ')[0] ?? '';
}

/** The peer chart provided with implementations that record into `rec`. */
export function providePeer(rec: PeerRecorder) {
  const count = (name: keyof PeerRecorder['counts']) => () => {
    rec.counts[name] += 1;
    rec.log.push(name);
  };
  const remoteDescription = (
    via: RemoteDescriptionCall['via'],
    input: OperationInput & { description: Description },
  ) => {
    const d = deferred<RemoteDescriptionOutput>();
    rec.remoteDescriptions.push({ via, ...input, deferred: d });
    rec.log.push(`${via}:${input.description.type}`);
    return d.promise;
  };
  return peerMachine.provide({
    actors: {
      peerResources: fromCallback<PeerEvent, PeerResourcesInput>(({ input }) => {
        rec.resourceStarts.push(input.key);
        rec.log.push(`resources:start:${input.key}`);
        return () => {
          rec.resourceCleanups.push(input.key);
          rec.log.push(`resources:cleanup:${input.key}`);
        };
      }),
      peerConnection: fromCallback<PeerConnectionCommand, OperationInput>(({ input, sendBack }) => {
        rec.pcStarts.push(input.key);
        rec.log.push(`pc:start:${input.key}:${input.connection}`);
        rec.pcSendBack.set(input.key, sendBack);
        return () => {
          rec.pcCleanups.push(input.key);
          rec.log.push(`pc:cleanup:${input.key}:${input.connection}`);
        };
      }),
      createOffer: fromPromise<Description, OperationInput & { iceRestart: boolean }>(({ input }) => {
        const d = deferred<Description>();
        rec.offers.push(d);
        rec.offerInputs.push(input);
        rec.log.push(input.iceRestart ? 'createOffer:iceRestart' : 'createOffer');
        return d.promise;
      }),
      createAnswer: fromPromise<Description, OperationInput>(() => {
        const d = deferred<Description>();
        rec.answers.push(d);
        rec.log.push('createAnswer');
        return d.promise;
      }),
      acceptOffer: fromPromise<RemoteDescriptionOutput, OperationInput & { description: Description }>(
        ({ input }) => remoteDescription('acceptOffer', input),
      ),
      setRemoteDescription: fromPromise<
        RemoteDescriptionOutput,
        OperationInput & { description: Description }
      >(({ input }) => remoteDescription('setRemoteDescription', input)),
    },
    actions: {
      drainRemoteCandidates: ({ context }: { context: PeerContext }) => {
        rec.drained.push([...context.bufferedCandidates]);
        rec.log.push(`drain:${context.bufferedCandidates.map(nameOf).join(',')}`);
      },
      addRemoteCandidate: ({ event }: { event: PeerEvent }) => {
        const c = event.type === 'SIGNAL.CANDIDATE' ? event.candidate : null;
        rec.applied.push(c);
        rec.log.push(`add:${nameOf(c)}`);
      },
      flushOutbox: count('flushOutbox'),
      resumeOutbox: count('resumeOutbox'),
      enqueueMessage: count('enqueueMessage'),
      releaseOutbox: count('releaseOutbox'),
      sendChannelHello: count('sendChannelHello'),
      flushFirstMessages: () => rec.log.push('flushFirstMessages'),
      startHeartbeat: ({ context }: { context: PeerContext }) => rec.heartbeatStarts.push(context.key),
      stopHeartbeat: ({ context }: { context: PeerContext }) => rec.heartbeatCleanups.push(context.key),
    },
    guards: {
      isPeerConnectionConnected: () => rec.pcConnected,
      isChannelOpen: () => rec.channelOpen,
    },
  });
}

export function peerInput(overrides: Partial<PeerInput> = {}): PeerInput {
  return {
    instance: 'local-1',
    key: 0,
    localId: 'a',
    remoteId: 'b',
    maxBufferedCandidates: 50,
    maxIceRestarts: 0,
    maxReconnects: 0,
    ...overrides,
  };
}

/** A running peer actor under a test parent whose `signaling` stand-in records what it receives. */
export interface PeerHarness {
  rec: PeerRecorder;
  peer: PeerActor;
  parent: AnyActorRef;
  /** Every SIGNALING.SEND the stand-in signaling actor received, in order. */
  signals: OutboundSignal[];
  /** Errors reported by the peer actor (none expected). */
  errors: unknown[];
  /** Plays an event of the current peerConnection actor (PC.*, CHANNEL.*). */
  pc: (event: PeerEvent) => void;
  /** Top-level state of the peer. */
  state: () => string;
  stop: () => void;
}

export function startPeer(input: Partial<PeerInput> = {}): PeerHarness {
  const rec = createPeerRecorder();
  const signals: OutboundSignal[] = [];
  const harness = setup({
    types: { input: {} as PeerInput, context: {} as { input: PeerInput } },
    actors: {
      signaling: fromCallback<OutboundSignal>(({ receive }) => {
        receive((event) => {
          signals.push(event);
        });
      }),
      peer: providePeer(rec),
    },
  }).createMachine({
    id: 'harness',
    context: ({ input }) => ({ input }),
    invoke: [
      { id: 'signaling', systemId: 'signaling', src: 'signaling' },
      { id: 'peer', src: 'peer', input: ({ context }) => context.input },
    ],
  });
  const parent = createActor(harness, { input: peerInput(input) });
  parent.start();
  const peer = parent.getSnapshot().children.peer as unknown as PeerActor;
  const errors: unknown[] = [];
  peer.subscribe({ error: (error) => errors.push(error) });
  const state = () => peerStateOf(peer.getSnapshot());
  const pc = (event: PeerEvent) => {
    const key = rec.pcStarts.at(-1);
    const sendBack = key === undefined ? undefined : rec.pcSendBack.get(key);
    if (!sendBack) throw new Error('no peerConnection actor has started');
    sendBack(event);
  };
  return { rec, peer, parent, signals, errors, pc, state, stop: () => parent.stop() };
}
