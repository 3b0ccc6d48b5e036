/**
 * Node entry: @roamhq/wrtc (libwebrtc) as the RTC implementation and `ws` as the WebSocket.
 * `createNodePeerSystem(options)` is `createPeerSystem` with those two filled in.
 */
import wrtc from '@roamhq/wrtc';
import { WebSocket } from 'ws';
import type { RtcImplementation } from '../rtc/binding.js';
import type { WebSocketConstructor } from '../signaling/transport.js';
import type { PeerSystem, PeerSystemOptions } from '../system.js';
import { createPeerSystem } from '../system.js';

/** @roamhq/wrtc 0.10: no `bufferedamountlow` (docs/stacks.md), so the binding polls `bufferedAmount`. */
export const wrtcImplementation: RtcImplementation = {
  name: 'wrtc',
  RTCPeerConnection: wrtc.RTCPeerConnection as unknown as RtcImplementation['RTCPeerConnection'],
  hasBufferedAmountLow: false,
};

/** `ws`'s WebSocket, typed as the part of the WebSocket API the signaling session uses. */
export const NodeWebSocket = WebSocket as unknown as WebSocketConstructor;

/** Options of `createNodePeerSystem`: those of `createPeerSystem`, with `rtc` and `WebSocket` optional. */
export type NodePeerSystemOptions = Omit<PeerSystemOptions, 'rtc' | 'WebSocket'> &
  Partial<Pick<PeerSystemOptions, 'rtc' | 'WebSocket'>>;

/** Creates a peer system on @roamhq/wrtc and `ws` (unless `rtc` / `WebSocket` are given). */
export function createNodePeerSystem(options: NodePeerSystemOptions): PeerSystem {
  return createPeerSystem({ rtc: wrtcImplementation, WebSocket: NodeWebSocket, ...options });
}

export * from '../index.js';
export { createInspectionRecorder, type InspectionRecorder } from './inspection-recorder.js';
export { type Inspector, type InspectorOptions, startInspector } from './inspector/inspector.js';
export { type Replay, startReplay } from './inspector/replay.js';
export { loadNodeDatachannel, loadWerift } from './optional-stacks.js';
