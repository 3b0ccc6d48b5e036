/**
 * peerstate/testing: deterministic fakes for tests of peerstate and of apps built on it, and
 * model-based testing from peerstate's charts.
 * - `createFakeRtc()`: a scripted RTCPeerConnection whose promises the test settles in the order it picks.
 * - `createFakeSignaling()`: an in-memory signaling hub whose frame deliveries the test drives.
 * - `peerPaths()` and `createPeerDriver()`: paths generated from the peer chart that together reach
 *   every state and transition, played on a peer system on those fakes.
 * - `ChartExplorer`, `ChartCoverage`, `createWorld()`, `playPath()`: the same for any chart and model.
 *
 * @module peerstate/testing
 */

export type { Membership } from '../protocol/room-registry.js';
export type {
  ChartModel,
  Environment,
  EventScope,
  EventSpec,
  ModelPath,
  ModelState,
  ModelStep,
} from './chart-model.js';
export { eventKey } from './chart-model.js';
export type { ChartTargets, CoverageSummary, TransitionTarget } from './coverage.js';
export { ChartCoverage, chartTargets, coverageOf, transitionKey } from './coverage.js';
export { ChartExplorer, coveringPaths, pickCovering } from './explorer.js';
export type { FakeRtc, FakeRtcHooks, PendingOperation } from './fake-rtc.js';
export { createFakeRtc, FakeDataChannel, FakeRTCPeerConnection } from './fake-rtc.js';
export type { Queued } from './fake-signaling.js';
export { createFakeSignaling, FakeSignalingHub, FakeWebSocket } from './fake-signaling.js';
export { describePath, formatValue } from './path-description.js';
export type { Executor, PathPlayer } from './path-player.js';
export { executorFor, expectValue, playPath } from './path-player.js';
export type { PeerDriver, PeerDriverOptions } from './peer-driver.js';
export { createPeerDriver, PEER_HEARTBEAT, PEER_WATER_MARKS, peerSystemOptions } from './peer-driver.js';
export type { PeerDelays, PeerModelOptions, PeerPath, PeerWorld } from './peer-model.js';
export {
  PEER_CONFIGURATIONS,
  PEER_DELAYS,
  peerModel,
  peerPaths,
  REMOTE_UFRAG,
  remoteCandidate,
  remoteDescription,
} from './peer-model.js';
export type { MacrostepResult, SentEvent } from './stepper.js';
export { createStepper } from './stepper.js';
export type { Clock, StartSystem, World, WorldOptions } from './world.js';
export { createWorld, flushMicrotasks } from './world.js';
