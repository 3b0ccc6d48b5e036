/**
 * What the inspector sends to its page over the WebSocket, as JSON: one {@link InspectorMessage} per
 * frame. The page (page/main.js) reads exactly these shapes. Times are ms since the Unix epoch in a
 * live run and ms since the recording started in a replay.
 */
import type { PeerState } from '../../../machines/peer.js';
import type { SignalingState } from '../../system.js';

/** Figures of one peer: from its chart's context and from what it holds outside the chart. */
export interface PeerFigures {
  /** Number of the current RTCPeerConnection (1, 2, ...). */
  connection: number;
  /** ICE restarts since the peer was last connected, and the most it tries in a row. */
  iceRestarts: number;
  maxIceRestarts: number;
  /** Full reconnects since the peer was last connected. */
  reconnects: number;
  /** Remote candidates waiting for the remote description. */
  bufferedCandidates: number;
  /** Signaling generation the peer's signals are stamped with. */
  generation: number;
  /** Whether the remote is present on the signaling session. */
  remotePresent: boolean;
  /** Outbox messages (unsent or unacknowledged) and their payload bytes; null in a replay. */
  outboxMessages: number | null;
  outboxBytes: number | null;
  /** Messages sent and not yet acknowledged; null in a replay. */
  unacknowledged: number | null;
  /** The data channel's bufferedAmount in bytes; null in a replay. */
  bufferedAmount: number | null;
  /** The last heartbeat round trip (our ping to the remote's pong), in ms; null before one, or in a replay. */
  roundTripMs: number | null;
}

/** One state the peer waits in, and what would move it on. */
export interface Waiting {
  /** The active leaf state, relative to the chart root, e.g. `live.connecting.negotiation.makingOffer`. */
  state: string;
  /** The chart's description of it (or of its nearest described parent), if any. */
  description: string | null;
  /** Triggers of the transitions out of it, as the chart draws them: `EVENT [guard]`, `after delay`, `done actor`. */
  waitsFor: string[];
}

/** One peer of one system: `system` is the local id, `peer` the remote one. */
export interface PeerView {
  /** `<system>><peer>`, unique per inspector. */
  key: string;
  system: string;
  peer: string;
  /** The public state (the chart state's tag). */
  state: PeerState;
  /** The full chart state value, as XState gives it. */
  value: unknown;
  /** Ids of every active state node (e.g. `peer.live.connected.stable`): the chart's SVG ids without `state:`. */
  active: string[];
  figures: PeerFigures;
  /** Why the peer is not connected: the states it waits in and for what; empty when connected. */
  waiting: Waiting[];
  /** Circumstances that explain the wait (remote absent, signaling down, restarts used, last error). */
  hints: string[];
  /** The error that moved it to `failed`, if any. */
  error: { code: string; message: string } | null;
}

/** One attached system. */
export interface SystemView {
  /** The local peer id. */
  id: string;
  /** The signaling session's state. */
  signaling: SignalingState;
  /** Generation of the open signaling session, -1 while none is open. */
  generation: number;
  /** False once the system stopped. */
  running: boolean;
}

/** One line of the timeline: a peer's state change, or an error. */
export type TimelineEntry =
  | {
      kind: 'transition';
      t: number;
      system: string;
      peer: string;
      /** The active leaf states left and entered (those in both are left out), e.g. `live.connected.stable`. */
      from: string;
      to: string;
      /** Public states before and after: they differ when the change is one `state$` shows. */
      fromState: PeerState;
      toState: PeerState;
      /** The event that caused it. */
      event: string;
    }
  | { kind: 'error'; t: number; system: string; peer: string | null; code: string; message: string };

/** Frames from the inspector to the page. */
export type InspectorMessage =
  /** First frame: live or replay (with the recording's length in ms). */
  | { type: 'hello'; mode: 'live' }
  | { type: 'hello'; mode: 'replay'; durationMs: number }
  /** Forget everything shown: a full state follows (a replay seek). */
  | { type: 'reset'; t: number }
  /**
   * Changes since the last update: the keys of peer views to forget (their peer closed or was
   * stopped), then the latest view of each system and peer that changed, and the timeline entries
   * since then, oldest first. `dropped` counts entries left out because the page read too slowly.
   */
  | {
      type: 'update';
      t: number;
      removed: string[];
      systems: SystemView[];
      peers: PeerView[];
      timeline: TimelineEntry[];
      dropped: number;
    };
