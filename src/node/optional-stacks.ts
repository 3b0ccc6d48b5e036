/**
 * The optional Node RTC stacks, each an optional peer dependency loaded only when asked for:
 * werift 0.24 (pure TypeScript; 0.25 needs Node 22) and node-datachannel (libdatachannel bindings,
 * its `polyfill` export). Pass the result as the `rtc` option, e.g.
 * `createNodePeerSystem({ ..., rtc: await loadWerift() })`; each comes with its profile
 * (src/rtc/profile.ts), measured by test/stacks/.
 */
import type { RtcImplementation } from '../rtc/binding.js';
import { NODE_DATACHANNEL_PROFILE, WERIFT_PROFILE } from '../rtc/profile.js';

/** werift's RTCPeerConnection, with `WERIFT_PROFILE`. Rejects if `werift` is not installed. */
export async function loadWerift(): Promise<RtcImplementation> {
  const { RTCPeerConnection } = await import('werift');
  return { name: 'werift', RTCPeerConnection, ...WERIFT_PROFILE };
}

/**
 * node-datachannel's RTCPeerConnection (`node-datachannel/polyfill`), with `NODE_DATACHANNEL_PROFILE`.
 * Rejects if it is not installed.
 */
export async function loadNodeDatachannel(): Promise<RtcImplementation> {
  const { RTCPeerConnection } = await import('node-datachannel/polyfill');
  return { name: 'node-datachannel', RTCPeerConnection, ...NODE_DATACHANNEL_PROFILE };
}
