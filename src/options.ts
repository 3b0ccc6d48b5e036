/**
 * The options of `createPeerSystem`, their defaults (one table, `DEFAULTS`) and `resolveOptions`,
 * which applies them: the rest of the system reads only the resolved object, so no default is written
 * twice.
 */
import type { InspectionEvent } from 'xstate';
import type { ReconnectPolicy } from './reconnect-policy.js';
import { exponentialBackoff, withoutGivingUp } from './reconnect-policy.js';
import type { RtcImplementation } from './rtc/binding.js';
import { profileOf } from './rtc/profile.js';
import type { RTCIceServer } from './rtc/webrtc-types.js';
import type { SignalingToken, WebSocketConstructor } from './signaling/transport.js';

const MiB = 1024 * 1024;

/** Options of `createPeerSystem`. Times in ms, sizes in bytes. */
export interface PeerSystemOptions {
  /** Our peer id in the room (1-128 printable ASCII characters). */
  localId: string;
  /**
   * Signaling server URL, e.g. `ws://127.0.0.1:8080`; or several, the servers of one cluster
   * (docs/cluster.md): the first session goes to the first, and each lost session moves the next
   * one to the next URL, round robin. A non-empty list.
   */
  url: string | readonly string[];
  /** Room on the signaling server. Default `default`. */
  room?: string;
  /** The RTC implementation (browser globals, @roamhq/wrtc via `peerstate/node`, werift). */
  rtc: RtcImplementation;
  /** The WebSocket constructor (the global one in browsers, `ws` in Node). */
  WebSocket: WebSocketConstructor;
  /**
   * Sent in every join, for a server started with `authenticate` (docs/security.md): a token such as
   * `createJoinToken` of peerstate/server mints, or a function called for each session that returns
   * (or resolves to) a fresh one. Default none: the server's unauthenticated mode.
   */
  signalingToken?: SignalingToken;
  /** ICE servers (RTCConfiguration.iceServers). Default none: host candidates only. */
  iceServers?: RTCIceServer[];
  /** Accept policy for peers that connect to us first. Default: accept everyone in the room. */
  accept?: (peerId: string) => boolean;
  /**
   * Peer actors at most (each may own an RTCPeerConnection, 40–120 file descriptors on
   * @roamhq/wrtc). A signal from a new peer beyond it is refused: the remote gets a `bye`, the
   * application a `peer-refused` error (reason `max-peers`). `connect` is not limited. Default 256.
   */
  maxPeers?: number;
  /**
   * Peers that connected to us first and are not `connected` yet, at most: bounds what a crowd of
   * unsolicited hellos or offers can make us spend. Beyond it, refused like `maxPeers` (reason
   * `max-pending-incoming`). Default 16.
   */
  maxPendingIncoming?: number;
  /**
   * Hellos and offers one remote may send per minute, on average, with bursts of a sixth of it (10 s
   * worth): each asks us for a new RTCPeerConnection or a negotiation on ours. One beyond it is
   * dropped unread, and refused like `maxPeers` (reason `negotiation-rate`); the bye and the error of
   * refusals to one remote are sent at most once per 10 s. Finite, > 0. Default 60 (an ICE restart
   * every 3 s, the default `iceRestartIntervalMs`, is 20 a minute).
   */
  maxRemoteNegotiationsPerMinute?: number;
  /**
   * Attempts we start (`connect`, a retry) that negotiate a new RTCPeerConnection at once, at most;
   * the others wait in `discovering` (chart state `discovering.queued`) and are admitted in request
   * order as negotiations end (connected, failed, closed). Answering a remote's hello or offer never
   * waits and takes no slot (so two systems cannot wait on each other, and remotes that stall their
   * attempts cannot block ours; `maxPendingIncoming` bounds those). In a mesh every negotiation is one
   * side's admitted attempt, so at most twice the sum of the slots negotiate at once. Default 4.
   */
  maxConcurrentNegotiations?: number;
  /** Time `connecting` and `handshaking` may each take before `failed`. Default 15000 ms. */
  connectTimeoutMs?: number;
  /**
   * ICE restarts tried in a row (after `disconnected` outlasts its grace, `failed`, or a lost
   * heartbeat) before a full reconnect. Default 8. Always 0 on a stack whose profile says an ICE
   * restart does not restore data flow (werift, node-datachannel): there every recovery is a new
   * RTCPeerConnection.
   */
  maxIceRestarts?: number;
  /**
   * Full reconnects (a new RTCPeerConnection on both sides, after backoff) before `failed`. Default
   * unbounded: while the remote is present, recovery keeps trying at the backoff's cap (8 s) and any
   * outage heals within about one cap of the heal (an absent remote is waited for, not retried).
   * The peer chart counts them; with the default `reconnectPolicy` it is also that policy's `maxAttempts`.
   */
  maxReconnects?: number;
  /**
   * Input of the default `reconnectPolicy`: the first wait's bound and the cap of full reconnect
   * backoff (exponential, full jitter). Default 250 / 8000 ms. Ignored when `reconnectPolicy` is given.
   */
  peerReconnectBackoff?: { initialMs?: number; maxMs?: number };
  /**
   * The wait before each full reconnect of a peer, asked with the reconnect's number (1 for the first).
   * A `null` gives up: the peer goes to `failed` (so does reaching `maxReconnects`, whatever the
   * policy says). Default `exponentialBackoff({ ...peerReconnectBackoff, maxAttempts: maxReconnects })`.
   * @example reconnectPolicy: { nextDelayMs: (attempt) => 1_000 * attempt } // linear, 1 s steps
   */
  reconnectPolicy?: ReconnectPolicy;
  /** Time ICE may stay `disconnected` before an ICE restart. Default 2000 ms. */
  disconnectedGraceMs?: number;
  /** While restarting, time one ICE restart may take before the next. Default 3000 ms. */
  iceRestartIntervalMs?: number;
  /** After an ICE restart, time the resume handshake may take before a full reconnect. Default 1000 ms. */
  resumeTimeoutMs?: number;
  /** Heartbeat period over the data channel. Default the `rtc` profile's: 500 ms, 1000 ms on werift. */
  heartbeatIntervalMs?: number;
  /**
   * Heartbeat periods without a frame from the remote before it counts as lost (an ICE restart, or a
   * new pc). Default the `rtc` profile's: 3 (about 1.5-2 s), 10 on werift (about 10 s).
   */
  heartbeatMisses?: number;
  /** Time one RTCPeerConnection operation may take. Default 10000 ms. */
  operationTimeoutMs?: number;
  /** Remote candidates buffered per peer before the remote description is set. Default 256. */
  maxBufferedCandidates?: number;
  /**
   * Largest message accepted from a remote (after reassembly of chunks), and the most bytes of
   * received messages that wait for `connected` (none is emitted before). Default 16 MiB.
   */
  maxMessageBytes?: number;
  /** Outbox bounds per peer, counting messages not yet acknowledged by the remote. Default 10000 messages, 16 MiB. */
  outbox?: { maxMessages?: number; maxBytes?: number };
  /** Sending pauses at this `bufferedAmount`. Default the `rtc` profile's: 4 MiB, 4 KiB on werift. */
  highWaterMark?: number;
  /** Sending resumes at this `bufferedAmount`. Default the `rtc` profile's: 1 MiB, 1 KiB on werift. */
  lowWaterMark?: number;
  /** Poll period of `bufferedAmount` on stacks without `bufferedamountlow` (wrtc). Default 2 ms. */
  pollIntervalMs?: number;
  /**
   * Input of the default `signalingReconnectPolicy`, with full jitter: reconnect n of the signaling
   * session waits up to `initialMs · 2^n` ms (so up to twice `initialMs` the first time), at most
   * `maxMs`. Default 250 / 10000 ms. Ignored when `signalingReconnectPolicy` is given.
   */
  reconnectBackoff?: { initialMs?: number; maxMs?: number };
  /**
   * The wait before each reconnect of the signaling session, asked with the reconnect's number (1 for
   * the first since the session was last open). The session retries until `stop()`: where the policy
   * gives up (`null`), its last wait is repeated. Default
   * `exponentialBackoff({ initialMs: 2 × reconnectBackoff.initialMs, maxMs: reconnectBackoff.maxMs })`.
   * @example signalingReconnectPolicy: exponentialBackoff({ initialMs: 100, maxMs: 5_000 })
   */
  signalingReconnectPolicy?: ReconnectPolicy;
  /** XState inspection callback (`createActor(..., { inspect })`), e.g. `@statelyai/inspect`'s. */
  inspect?: (event: InspectionEvent) => void;
}

/**
 * Every default of `PeerSystemOptions` but those of the `rtc` profile (src/rtc/profile.ts: the
 * heartbeat, the water marks, and no ICE restarts where they do not restore data flow), in one place. Times in ms,
 * sizes in bytes.
 */
export const DEFAULTS = {
  room: 'default',
  iceServers: [] as readonly RTCIceServer[],
  accept: (_peerId: string): boolean => true,
  maxPeers: 256,
  maxPendingIncoming: 16,
  maxRemoteNegotiationsPerMinute: 60,
  maxConcurrentNegotiations: 4,
  connectTimeoutMs: 15_000,
  maxIceRestarts: 8,
  maxReconnects: Number.POSITIVE_INFINITY,
  peerReconnectBackoff: { initialMs: 250, maxMs: 8_000 },
  disconnectedGraceMs: 2_000,
  iceRestartIntervalMs: 3_000,
  resumeTimeoutMs: 1_000,
  operationTimeoutMs: 10_000,
  maxBufferedCandidates: 256,
  maxMessageBytes: 16 * MiB,
  outbox: { maxMessages: 10_000, maxBytes: 16 * MiB },
  pollIntervalMs: 2,
  reconnectBackoff: { initialMs: 250, maxMs: 10_000 },
} as const;

/**
 * `PeerSystemOptions` with every default applied; the backoff inputs are folded into the two
 * policies.
 */
export type ResolvedOptions = Required<
  Omit<
    PeerSystemOptions,
    'url' | 'outbox' | 'peerReconnectBackoff' | 'reconnectBackoff' | 'inspect' | 'signalingToken'
  >
> & {
  /** The first signaling URL. */
  url: string;
  /** Every signaling URL, in order (one when a single URL was given). */
  urls: readonly string[];
  outbox: { maxMessages: number; maxBytes: number };
  inspect: PeerSystemOptions['inspect'];
  signalingToken: PeerSystemOptions['signalingToken'];
};

/** `value` if it is an integer ≥ 1; a RangeError naming `name` otherwise. */
function atLeastOne(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${name} must be an integer ≥ 1, got ${value}`);
  return value;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`${name} must be a finite number > 0, got ${value}`);
  return value;
}

/**
 * Applies `DEFAULTS` and the `rtc` profile's defaults (`profileOf`) to `options`; nothing else in the
 * system supplies a default.
 * @throws RangeError for an empty `url` list, or a `maxPeers` / `maxPendingIncoming` /
 *   `maxConcurrentNegotiations` that is not an integer ≥ 1, or a `maxRemoteNegotiationsPerMinute`
 *   that is not a finite number > 0 (NaN would silently lift the bound: every comparison with it is
 *   false).
 */
export function resolveOptions(options: PeerSystemOptions): ResolvedOptions {
  const urls = typeof options.url === 'string' ? [options.url] : [...options.url];
  const [url] = urls;
  if (url === undefined) throw new RangeError('url must be a URL or a non-empty list of URLs');
  const maxReconnects = options.maxReconnects ?? DEFAULTS.maxReconnects;
  const peerBackoff = { ...DEFAULTS.peerReconnectBackoff, ...options.peerReconnectBackoff };
  const signalingBackoff = { ...DEFAULTS.reconnectBackoff, ...options.reconnectBackoff };
  const profile = profileOf(options.rtc);
  return {
    localId: options.localId,
    url,
    urls,
    room: options.room ?? DEFAULTS.room,
    rtc: options.rtc,
    WebSocket: options.WebSocket,
    signalingToken: options.signalingToken,
    iceServers: options.iceServers ?? [...DEFAULTS.iceServers],
    accept: options.accept ?? DEFAULTS.accept,
    maxPeers: atLeastOne('maxPeers', options.maxPeers ?? DEFAULTS.maxPeers),
    maxPendingIncoming: atLeastOne(
      'maxPendingIncoming',
      options.maxPendingIncoming ?? DEFAULTS.maxPendingIncoming,
    ),
    maxRemoteNegotiationsPerMinute: positive(
      'maxRemoteNegotiationsPerMinute',
      options.maxRemoteNegotiationsPerMinute ?? DEFAULTS.maxRemoteNegotiationsPerMinute,
    ),
    maxConcurrentNegotiations: atLeastOne(
      'maxConcurrentNegotiations',
      options.maxConcurrentNegotiations ?? DEFAULTS.maxConcurrentNegotiations,
    ),
    connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
    maxIceRestarts: profile.iceRestartRestoresDataFlow
      ? (options.maxIceRestarts ?? DEFAULTS.maxIceRestarts)
      : 0,
    maxReconnects,
    reconnectPolicy:
      options.reconnectPolicy ?? exponentialBackoff({ ...peerBackoff, maxAttempts: maxReconnects }),
    disconnectedGraceMs: options.disconnectedGraceMs ?? DEFAULTS.disconnectedGraceMs,
    iceRestartIntervalMs: options.iceRestartIntervalMs ?? DEFAULTS.iceRestartIntervalMs,
    resumeTimeoutMs: options.resumeTimeoutMs ?? DEFAULTS.resumeTimeoutMs,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? profile.heartbeatIntervalMs,
    heartbeatMisses: options.heartbeatMisses ?? profile.heartbeatMisses,
    operationTimeoutMs: options.operationTimeoutMs ?? DEFAULTS.operationTimeoutMs,
    maxBufferedCandidates: options.maxBufferedCandidates ?? DEFAULTS.maxBufferedCandidates,
    maxMessageBytes: options.maxMessageBytes ?? DEFAULTS.maxMessageBytes,
    outbox: {
      maxMessages: options.outbox?.maxMessages ?? DEFAULTS.outbox.maxMessages,
      maxBytes: options.outbox?.maxBytes ?? DEFAULTS.outbox.maxBytes,
    },
    highWaterMark: options.highWaterMark ?? profile.highWaterMark,
    lowWaterMark: options.lowWaterMark ?? profile.lowWaterMark,
    pollIntervalMs: options.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    // The signaling chart counts its first reconnect as attempt 1 and has always waited up to
    // 2 · initialMs then: the doubled start keeps those waits.
    signalingReconnectPolicy: withoutGivingUp(
      options.signalingReconnectPolicy ??
        exponentialBackoff({ initialMs: 2 * signalingBackoff.initialMs, maxMs: signalingBackoff.maxMs }),
    ),
    inspect: options.inspect,
  };
}
