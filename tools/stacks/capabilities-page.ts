/**
 * Page script of the browser conformance test: exposes `measureBrowserCapabilities()`, which measures
 * the page's own RTCPeerConnection with tools/stacks/capabilities.ts.
 */
import type { RtcImplementation } from '../../src/rtc/binding.js';
import { type MeasuredCapabilities, measureCapabilities } from './capabilities.js';

/** What the page puts on `globalThis`. */
export interface CapabilitiesPage {
  measureBrowserCapabilities(): Promise<MeasuredCapabilities>;
}

const page: CapabilitiesPage = {
  measureBrowserCapabilities: () =>
    measureCapabilities({
      name: 'browser',
      RTCPeerConnection: globalThis.RTCPeerConnection as unknown as RtcImplementation['RTCPeerConnection'],
    }),
};
Object.assign(globalThis, page);
