/**
 * Node entry: @roamhq/wrtc (libwebrtc) as the RTC implementation and `ws` as the WebSocket.
 * `createNodePeerSystem(options)` is `createPeerSystem` with those two filled in. @roamhq/wrtc is an
 * optional peer dependency, loaded only when it is used (./wrtc.ts).
 *
 * @module peerstate/node
 */
import { WebSocket } from 'ws';
import type { WebSocketConstructor } from '../signaling/transport.js';
import type { PeerSystem, PeerSystemOptions } from '../system.js';
import { createPeerSystem } from '../system.js';
import { wrtcImplementation } from './wrtc.js';

export { wrtcImplementation };

/** `ws`'s WebSocket, typed as the part of the WebSocket API the signaling session uses. */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

/** Options of `createNodePeerSystem`: those of `createPeerSystem`, with `rtc` and `WebSocket` optional. */
export type NodePeerSystemOptions = Omit<PeerSystemOptions, 'rtc' | 'WebSocket'> &
  Partial<Pick<PeerSystemOptions, 'rtc' | 'WebSocket'>>;

/**
 * Creates a peer system on @roamhq/wrtc and `ws` (unless `rtc` / `WebSocket` are given).
 * @throws Error naming @roamhq/wrtc when `rtc` is not given and that package cannot be loaded.
 */
export function createNodePeerSystem(options: NodePeerSystemOptions): PeerSystem {
  // The spread reads RTCPeerConnection: a missing @roamhq/wrtc throws here, not later in an actor.
  const rtc = options.rtc ?? { ...wrtcImplementation };
  return createPeerSystem({ WebSocket: NodeWebSocket, ...options, rtc });
}

export * from '../index.js';
export { createInspectionRecorder, type InspectionRecorder } from './inspection-recorder.js';
export { type Inspector, type InspectorOptions, startInspector } from './inspector/inspector.js';
export type { PageServerOptions } from './inspector/page-server.js';
export type { ChartFigures } from './inspector/peer-view.js';
export { type Recording, type Replay, startReplay } from './inspector/replay.js';
export type { PeerFigures, TimelineEntry } from './inspector/views.js';
export { loadNodeDatachannel, loadWerift } from './optional-stacks.js';
