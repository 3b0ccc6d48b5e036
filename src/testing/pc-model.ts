/**
 * A pure model of one RTCPeerConnection as the composed model check (./pair-model.ts) needs it: the
 * signaling state and descriptions of W3C webrtc-pc's offer/answer, the ICE credentials (ufrag) of
 * each description, the remote candidates applied, connectionState and the data channel (open or
 * not, the frames in flight on it, the receiver's state; ./delivery-model.ts steps it). Operations
 * complete atomically when the checker says; one the spec rejects in the current signaling state is
 * reported, because the peer chart must never issue it.
 *
 * A ufrag names its pc and ICE generation (`a1c2g1`: actor instance `a1`, connection 2, first ICE
 * restart), so the model can tell which two pcs a description or candidate pairs without parsing SDP.
 */

/** webrtc-pc's signalingState, restricted to what perfect negotiation visits. */
export type SignalingState = 'stable' | 'have-local-offer' | 'have-remote-offer';

/** One modelled RTCPeerConnection. */
export interface PcModel {
  /** The peer actor instance whose pc it is. */
  instance: string;
  /** The chart's connection number of this pc. */
  connection: number;
  signalingState: SignalingState;
  /** Ufrag of the current local description, null before one. */
  local: string | null;
  /** Ufrag of the pending local offer (have-local-offer). */
  pendingLocal: string | null;
  /** Ufrag of the current remote description, null before one. */
  remote: string | null;
  /** Ufrag of the pending remote offer (have-remote-offer). */
  pendingRemote: string | null;
  /** ICE restarts this pc made (the generation of its next local ufrag after a restart). */
  iceGeneration: number;
  /** A local candidate of this ufrag is still to be gathered (one per local ufrag). */
  gather: string | null;
  /** The remote ufrag of the last remote candidate applied, null before one. */
  applied: string | null;
  transport: 'new' | 'connected' | 'disconnected' | 'failed';
  /** The local ufrag under which the transport failed: only an ICE restart (a new ufrag) revives it. */
  failedUnder: string | null;
  channel: 'connecting' | 'open' | 'closed';
  /**
   * Frames sent on this pc's data channel that the paired pc has not received yet, in order (an SCTP
   * stream: reliable, ordered). Lost when either pc closes or the channel does.
   */
  outgoing: ChannelFrame[];
  /** The pc actor took RESUME and no HEARTBEAT.STOP since: a hello that arrives now asks for a resync. */
  resumed: boolean;
  /** The receiver sent a resync hello for the current run of gaps (cleared by the next delivery). */
  resyncAsked: boolean;
  /** A message was taken and its acknowledgement is not sent yet (the receiver's ack timer runs). */
  ackDue: boolean;
  /** The highest message number sent on this channel that the remote did not ask for again. */
  sentMax: number;
}

/** A data-channel frame in flight (src/protocol/frames.ts, decoded; a message is one frame in the model). */
export type ChannelFrame =
  | { kind: 'hello'; lastDelivered: number; instance: string; forInstance: string }
  | { kind: 'message'; seq: number; data: string }
  | { kind: 'ack'; delivered: number };

/** A fresh pc of the actor `instance`, with the chart's connection number. */
export function openPc(instance: string, connection: number): PcModel {
  return {
    instance,
    connection,
    signalingState: 'stable',
    local: null,
    pendingLocal: null,
    remote: null,
    pendingRemote: null,
    iceGeneration: 0,
    gather: null,
    applied: null,
    transport: 'new',
    failedUnder: null,
    channel: 'connecting',
    outgoing: [],
    resumed: false,
    resyncAsked: false,
    ackDue: false,
    sentMax: 0,
  };
}

/** The ufrag of pc `connection` of actor `instance` at ICE generation `generation`. */
export function ufragOf(instance: string, connection: number, generation: number): string {
  return `${instance}c${connection}g${generation}`;
}

/** The actor instance, connection and ICE generation a model ufrag names. */
export function pcOfUfrag(ufrag: string): { instance: string; connection: number; generation: number } {
  const match = /^(\w+?)c(\d+)g(\d+)$/.exec(ufrag);
  if (!match?.[1]) throw new Error(`not a model ufrag: ${ufrag}`);
  return { instance: match[1], connection: Number(match[2]), generation: Number(match[3]) };
}

/** The remote ufrag the pc checks candidates against: that of its newest remote description. */
export function remoteUfrag(pc: PcModel): string | null {
  return pc.pendingRemote ?? pc.remote;
}

/** A model description: SDP that carries only its ufrag (`src/protocol/sdp.ts` reads it). */
export function describe(type: 'offer' | 'answer', ufrag: string): { type: 'offer' | 'answer'; sdp: string } {
  return { type, sdp: `v=0\r\ns=${type}\r\na=ice-ufrag:${ufrag}\r\n` };
}

/** The ufrag of a model description. */
export function ufragOfDescription(description: { sdp?: string }): string {
  const match = /a=ice-ufrag:(\S+)/.exec(description.sdp ?? '');
  if (!match?.[1]) throw new Error('model description without a ufrag');
  return match[1];
}

/** The outcome of a pc operation: the pc after it and the chart's done output, or why it failed. */
export type OperationResult =
  | { ok: true; pc: PcModel; output: unknown }
  | { ok: false; pc: PcModel; invalid: string };

/** What a negotiation actor of the chart does to the pc when it completes (src/rtc/binding.ts). */
export type OperationModel = (
  pc: PcModel,
  input: { iceRestart?: boolean; description?: { type: string; sdp?: string } },
) => OperationResult;

const invalid = (pc: PcModel, what: string): OperationResult => ({
  ok: false,
  pc,
  invalid: `${what} in signalingState ${pc.signalingState}`,
});

/**
 * The negotiation actors of the peer chart (by actor source), as src/rtc/binding.ts implements them:
 * createOffer + setLocalDescription; explicit rollback of a pending local offer, then
 * setRemoteDescription(offer); createAnswer + setLocalDescription; setRemoteDescription(answer).
 */
export const PC_OPERATIONS: Record<string, OperationModel> = {
  createOffer: (pc, input) => {
    // A new offer may replace a pending one (JSEP); over a remote offer, setLocalDescription(offer) fails.
    if (pc.signalingState === 'have-remote-offer') return invalid(pc, 'setLocalDescription(offer)');
    const iceGeneration = pc.iceGeneration + (input.iceRestart && pc.local !== null ? 1 : 0);
    const ufrag = ufragOf(pc.instance, pc.connection, iceGeneration);
    return {
      ok: true,
      pc: { ...pc, signalingState: 'have-local-offer', pendingLocal: ufrag, iceGeneration, gather: ufrag },
      output: describe('offer', ufrag),
    };
  },
  acceptOffer: (pc, input) => setRemoteOffer(rollback(pc), input),
  createAnswer: (pc) => {
    if (pc.signalingState !== 'have-remote-offer') return invalid(pc, 'createAnswer');
    const ufrag = ufragOf(pc.instance, pc.connection, pc.iceGeneration);
    const renewed = pc.local !== ufrag;
    return {
      ok: true,
      pc: {
        ...pc,
        signalingState: 'stable',
        local: ufrag,
        remote: pc.pendingRemote,
        pendingRemote: null,
        gather: renewed ? ufrag : pc.gather,
      },
      output: describe('answer', ufrag),
    };
  },
  setRemoteDescription: (pc, input) => {
    if (pc.signalingState !== 'have-local-offer') return invalid(pc, 'setRemoteDescription(answer)');
    const ufrag = ufragOfDescription(input.description ?? {});
    return {
      ok: true,
      pc: { ...pc, signalingState: 'stable', local: pc.pendingLocal, pendingLocal: null, remote: ufrag },
      output: { ufrag },
    };
  },
};

/** setLocalDescription({type: 'rollback'}) if a local offer is pending: its ICE restart is undone too. */
export function rollback(pc: PcModel): PcModel {
  if (pc.signalingState !== 'have-local-offer') return pc;
  return {
    ...pc,
    signalingState: 'stable',
    pendingLocal: null,
    iceGeneration: pc.local === null ? 0 : pcOfUfrag(pc.local).generation,
    gather: pc.gather === pc.pendingLocal ? null : pc.gather,
  };
}

/** setRemoteDescription(offer): valid only in stable (perfect negotiation rolls back first). */
export function setRemoteOffer(pc: PcModel, input: { description?: { sdp?: string } }): OperationResult {
  if (pc.signalingState !== 'stable') return invalid(pc, 'setRemoteDescription(offer)');
  const ufrag = ufragOfDescription(input.description ?? {});
  // A remote ICE restart makes this side restart too: its answer carries a new local ufrag.
  const restart = pc.remote !== null && ufrag !== pc.remote && pc.local !== null;
  return {
    ok: true,
    pc: {
      ...pc,
      signalingState: 'have-remote-offer',
      pendingRemote: ufrag,
      iceGeneration: restart ? pc.iceGeneration + 1 : pc.iceGeneration,
    },
    output: { ufrag },
  };
}
