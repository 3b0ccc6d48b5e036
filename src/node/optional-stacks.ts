/**
 * The optional Node RTC stacks, each an optional peer dependency loaded only when asked for:
 * werift 0.24 (pure TypeScript; 0.25 needs Node 22) and node-datachannel (libdatachannel bindings,
 * its `polyfill` export). Pass the result as the `rtc` option, e.g.
 * `createNodePeerSystem({ ..., rtc: await loadWerift() })`.
 */
import type { RtcImplementation } from '../rtc/binding.js';

/**
 * werift's RTCPeerConnection. It fires `bufferedamountlow` to `addEventListener` listeners, which is
 * how the binding listens. Rejects if `werift` is not installed.
 */
export async function loadWerift(): Promise<RtcImplementation> {
  const werift = await import('werift');
  return {
    name: 'werift',
    // werift's class follows webrtc-pc but is its own TypeScript type.
    RTCPeerConnection: werift.RTCPeerConnection as unknown as RtcImplementation['RTCPeerConnection'],
    hasBufferedAmountLow: true,
  };
}

/**
 * node-datachannel's RTCPeerConnection (`node-datachannel/polyfill`). Rejects if `node-datachannel`
 * is not installed.
 */
export async function loadNodeDatachannel(): Promise<RtcImplementation> {
  const polyfill = await import('node-datachannel/polyfill');
  return {
    name: 'node-datachannel',
    RTCPeerConnection: polyfill.RTCPeerConnection as unknown as RtcImplementation['RTCPeerConnection'],
    hasBufferedAmountLow: true,
  };
}
