/**
 * The optional Node RTC stacks, each an optional peer dependency loaded only when asked for:
 * werift 0.24 (pure TypeScript; 0.25 needs Node 22) and node-datachannel (libdatachannel bindings,
 * its `polyfill` export). Pass the result as the `rtc` option, e.g.
 * `createNodePeerSystem({ ..., rtc: await loadWerift() })`.
 */
import type { RtcImplementation } from '../rtc/binding.js';

/**
 * A stack whose RTCPeerConnection follows webrtc-pc but is its own TypeScript type, and whose data
 * channels fire `bufferedamountlow` to `addEventListener` listeners (how the binding listens).
 */
function implementation(name: string, RTCPeerConnection: unknown): RtcImplementation {
  return {
    name,
    RTCPeerConnection: RTCPeerConnection as RtcImplementation['RTCPeerConnection'],
    hasBufferedAmountLow: true,
  };
}

/** werift's RTCPeerConnection. Rejects if `werift` is not installed. */
export async function loadWerift(): Promise<RtcImplementation> {
  return implementation('werift', (await import('werift')).RTCPeerConnection);
}

/** node-datachannel's RTCPeerConnection (`node-datachannel/polyfill`). Rejects if it is not installed. */
export async function loadNodeDatachannel(): Promise<RtcImplementation> {
  return implementation('node-datachannel', (await import('node-datachannel/polyfill')).RTCPeerConnection);
}
