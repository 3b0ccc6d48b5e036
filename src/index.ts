/**
 * peerstate: race-free WebRTC peer connections. XState v5 statecharts model each peer; one actor
 * per remote peer; rxjs Observables for state and messages. Runtime-agnostic: pass the RTC
 * implementation and the WebSocket constructor (or use `peerstate/node`).
 *
 * @module peerstate
 */
export { PEER_STATES, peerStateOf } from '../machines/peer.js';
export * from './errors.js';
export type { PeerSystemOptions } from './options.js';
export type { PeerMessage } from './peer/resources.js';
export type { PeerHandle, PeerRecovery, PeerState } from './peer-handle.js';
export type { Candidate, Description, ServerFrame, Signal } from './protocol/signals.js';
export type { ExponentialBackoffOptions, ReconnectPolicy } from './reconnect-policy.js';
export { exponentialBackoff } from './reconnect-policy.js';
export type { BindingOptions, RtcImplementation } from './rtc/binding.js';
export {
  BROWSER_PROFILE,
  NODE_DATACHANNEL_PROFILE,
  profileOf,
  type RtcProfile,
  WERIFT_PROFILE,
  WRTC_PROFILE,
} from './rtc/profile.js';
export type {
  BinaryType,
  EventHandler,
  EventHandlerAttribute,
  RTCConfiguration,
  RTCDataChannel,
  RTCDataChannelInit,
  RTCDataChannelState,
  RTCIceCandidate,
  RTCIceCandidateInit,
  RTCIceServer,
  RTCOfferOptions,
  RTCPeerConnection,
  RTCPeerConnectionState,
  RTCSessionDescriptionInit,
  RTCSignalingState,
} from './rtc/webrtc-types.js';
export type { SignalingToken, WebSocketConstructor, WebSocketLike } from './signaling/transport.js';
export type { DeliveryFigures, PeerSystem, SignalingState } from './system.js';
export { createPeerSystem } from './system.js';
