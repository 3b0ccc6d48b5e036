/**
 * What a WebRTC stack can do at the edges where stacks differ, as one record per stack: the binding
 * (src/rtc/binding.ts) and the option defaults (src/options.ts) read it, so each stack takes the path
 * it can do. Every value of the Node stacks is measured on the real stack by the conformance tests
 * (test/stacks/), which fail when a declaration here is wrong; docs/stacks.md gives the figures.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

/** The capabilities of one stack, and the option defaults that suit it. */
export interface RtcProfile {
  /**
   * Data channels fire `bufferedamountlow` (to `addEventListener` listeners; werift fires it to no
   * `onbufferedamountlow`). Without it the binding polls `bufferedAmount`.
   */
  hasBufferedAmountLow: boolean;
  /**
   * setRemoteDescription(offer) in `have-local-offer` rolls the local offer back itself (webrtc-pc
   * §4.4.1.5). The binding never relies on it: it rolls back explicitly on every stack.
   */
  implicitRollback: boolean;
  /**
   * setLocalDescription() with no argument creates the offer or answer (webrtc-pc §4.4.1.4). The
   * binding never relies on it: it calls createOffer/createAnswer on every stack.
   */
  parameterlessSetLocalDescription: boolean;
  /**
   * An ICE restart (an offer with new ufrag/pwd, webrtc-pc §4.4.1.6) keeps data flowing on the same
   * RTCPeerConnection. Where it does not, the peer chart never restarts ICE: `maxIceRestarts` is 0
   * and recovery is a new RTCPeerConnection on both sides.
   */
  iceRestartRestoresDataFlow: boolean;
  /**
   * The SCTP transport's `maxMessageSize` between two pcs of this stack, in bytes (webrtc-pc
   * §6.1.1). The binding reads the pc's own value once connected; this one stands in when the pc
   * reports none.
   */
  maxMessageSize: number;
  /** Default `bufferedAmount` at which sending pauses, in bytes (`highWaterMark`). */
  highWaterMark: number;
  /** Default `bufferedAmount` at which sending resumes, in bytes (`lowWaterMark`). */
  lowWaterMark: number;
  /** Default heartbeat period over the data channel, in ms (`heartbeatIntervalMs`). */
  heartbeatIntervalMs: number;
  /** Default heartbeat periods without a frame before the remote counts as lost (`heartbeatMisses`). */
  heartbeatMisses: number;
}

/**
 * A webrtc-pc conforming stack (the browsers): the profile of any `rtc` that declares nothing else.
 * 64 KiB is the size RFC 8841 §6.1 assumes when a remote states none.
 */
export const BROWSER_PROFILE: RtcProfile = {
  hasBufferedAmountLow: true,
  implicitRollback: true,
  parameterlessSetLocalDescription: true,
  iceRestartRestoresDataFlow: true,
  maxMessageSize: 65_536,
  highWaterMark: 4 * MiB,
  lowWaterMark: MiB,
  heartbeatIntervalMs: 500,
  heartbeatMisses: 3,
};

/** @roamhq/wrtc 0.10 (libwebrtc in Node). */
export const WRTC_PROFILE: RtcProfile = {
  hasBufferedAmountLow: false,
  implicitRollback: false,
  parameterlessSetLocalDescription: false,
  iceRestartRestoresDataFlow: true,
  maxMessageSize: 262_144,
  highWaterMark: 4 * MiB,
  lowWaterMark: MiB,
  heartbeatIntervalMs: 500,
  heartbeatMisses: 3,
};

/**
 * werift 0.24: after an ICE restart its states read connected and open but no message flows. Its
 * SCTP stalls when hundreds of messages are queued at once (1,000 sent in one go between two werift
 * pcs: 263 arrived, then nothing for 30 s), so sending pauses at 4 KiB queued; even so the first
 * 255 messages of a burst may be followed by seconds of silence, which 500 ms × 3 of heartbeat
 * takes for a dead link (a browser ↔ werift run of 1,000 messages rebuilt its link about 5
 * times); 1,000 ms × 10 holds.
 */
export const WERIFT_PROFILE: RtcProfile = {
  hasBufferedAmountLow: true,
  implicitRollback: true,
  parameterlessSetLocalDescription: true,
  iceRestartRestoresDataFlow: false,
  maxMessageSize: 65_536,
  highWaterMark: 4 * KiB,
  lowWaterMark: KiB,
  heartbeatIntervalMs: 1_000,
  heartbeatMisses: 10,
};

/**
 * node-datachannel 0.33 (libdatachannel), its `polyfill` export: libdatachannel's ICE agent has no
 * restart (an ICE restart offer keeps the old ufrag), and setRemoteDescription(offer) in
 * `have-local-offer` resolves but leaves the pc in `stable`.
 */
export const NODE_DATACHANNEL_PROFILE: RtcProfile = {
  hasBufferedAmountLow: true,
  implicitRollback: false,
  parameterlessSetLocalDescription: true,
  iceRestartRestoresDataFlow: false,
  maxMessageSize: 262_144,
  highWaterMark: 4 * MiB,
  lowWaterMark: MiB,
  heartbeatIntervalMs: 500,
  heartbeatMisses: 3,
};

/** The profile of an `rtc` option: what it declares, and `BROWSER_PROFILE` for the rest. */
export function profileOf(declared: Partial<RtcProfile>): RtcProfile {
  const profile = { ...BROWSER_PROFILE };
  for (const key of Object.keys(BROWSER_PROFILE) as (keyof RtcProfile)[]) {
    const value = declared[key];
    if (value !== undefined) (profile as Record<keyof RtcProfile, unknown>)[key] = value;
  }
  return profile;
}
