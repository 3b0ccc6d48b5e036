/**
 * @roamhq/wrtc (libwebrtc for Node), loaded on first use. It is an optional peer dependency: a
 * 26 MB native addon that browser users and users of another stack (werift) never need, so
 * `peerstate/node` loads without it and says what to install when it is asked for it.
 */
import { createRequire } from 'node:module';
import type { RtcImplementation } from '../rtc/binding.js';
import { WRTC_PROFILE } from '../rtc/profile.js';

const require = createRequire(import.meta.url);

/**
 * Loads @roamhq/wrtc's RTCPeerConnection (the package is CommonJS, so this is synchronous).
 * @throws Error naming the package and how to install it, with the loader's error as `cause`, when
 *   @roamhq/wrtc is not installed or its native part does not load on this platform.
 */
function loadRTCPeerConnection(): RtcImplementation['RTCPeerConnection'] {
  try {
    const wrtc = require('@roamhq/wrtc') as { RTCPeerConnection: unknown };
    return wrtc.RTCPeerConnection as RtcImplementation['RTCPeerConnection'];
  } catch (cause) {
    throw new Error(
      'peerstate/node needs @roamhq/wrtc, an optional peer dependency, and it could not be loaded. ' +
        'Install it with `npm install @roamhq/wrtc`, or pass `rtc` for another WebRTC stack.',
      { cause },
    );
  }
}

/**
 * @roamhq/wrtc as an RTC implementation, with its profile (`WRTC_PROFILE`: among others no
 * `bufferedamountlow`, so the binding polls `bufferedAmount`). Reading `RTCPeerConnection` loads the
 * package and throws as `loadRTCPeerConnection` says when it is missing.
 */
export const wrtcImplementation: RtcImplementation = {
  name: 'wrtc',
  get RTCPeerConnection() {
    return loadRTCPeerConnection();
  },
  ...WRTC_PROFILE,
};
