/**
 * peerstate/testing: deterministic fakes for tests of peerstate and of apps built on it.
 * - `createFakeRtc()`: a scripted RTCPeerConnection whose promises the test settles in the order it picks.
 * - `createFakeSignaling()`: an in-memory signaling hub whose frame deliveries the test drives.
 */
export type { FakeRtc, PendingOperation } from './fake-rtc.js';
export { createFakeRtc, FakeDataChannel, FakeRTCPeerConnection } from './fake-rtc.js';
export { createFakeSignaling, FakeSignalingHub, FakeWebSocket } from './fake-signaling.js';
export * from './model.js';
