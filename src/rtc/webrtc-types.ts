/**
 * The WebRTC types peerstate's API and binding use, declared here so that the package's types stand
 * on their own: a Node project compiled without the DOM lib has no `RTCPeerConnection` or
 * `RTCIceServer`. Names and shapes follow W3C webrtc-pc; each is the part peerstate reads or
 * writes, so the platform's own objects (browsers', @roamhq/wrtc's, werift's) fit them. Modules that
 * import these names use them instead of the DOM lib's globals of the same names.
 */

/** RTCPeerConnectionState (webrtc-pc §4.3.3). */
export type RTCPeerConnectionState =
  | 'closed'
  | 'connected'
  | 'connecting'
  | 'disconnected'
  | 'failed'
  | 'new';

/** RTCSignalingState (webrtc-pc §4.3.1). */
export type RTCSignalingState =
  | 'closed'
  | 'have-local-offer'
  | 'have-local-pranswer'
  | 'have-remote-offer'
  | 'have-remote-pranswer'
  | 'stable';

/** RTCDataChannelState (webrtc-pc §6.2). */
export type RTCDataChannelState = 'closed' | 'closing' | 'connecting' | 'open';

/** How a data channel delivers binary messages (the `binaryType` attribute, webrtc-pc §6.2). */
export type BinaryType = 'arraybuffer' | 'blob';

/** RTCIceServer (webrtc-pc §4.2.1): a STUN or TURN server. */
export interface RTCIceServer {
  /** `stun:` or `turn:`/`turns:` URLs (RFC 7064, RFC 7065). */
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** RTCConfiguration (webrtc-pc §4.2.1), as far as peerstate sets it. */
export interface RTCConfiguration {
  iceServers?: RTCIceServer[];
}

/** RTCSessionDescriptionInit (webrtc-pc §4.8.1). */
export interface RTCSessionDescriptionInit {
  type: 'answer' | 'offer' | 'pranswer' | 'rollback';
  sdp?: string;
}

/** RTCIceCandidateInit (webrtc-pc §4.8.2). */
export interface RTCIceCandidateInit {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** RTCDataChannelInit (webrtc-pc §6.1). */
export interface RTCDataChannelInit {
  ordered?: boolean;
  maxPacketLifeTime?: number;
  maxRetransmits?: number;
  protocol?: string;
  negotiated?: boolean;
  id?: number;
}

/** RTCOfferOptions (webrtc-pc §4.4.3.2). */
export interface RTCOfferOptions {
  iceRestart?: boolean;
}

/**
 * An event handler attribute. Declared through a method so that its parameter is compared both
 * ways: a platform handler typed for its own, richer event class still fits.
 */
export type EventHandler<E> = {
  /** Called with the event; its return value is ignored. */
  handle(event: E): void;
}['handle'];

/**
 * The type of an event handler attribute as peerstate declares it: it only ever writes a handler or
 * `null`, so `undefined` may be read too (werift's attributes read `undefined` when unset).
 */
export type EventHandlerAttribute<E> = EventHandler<E> | null | undefined;

/** The part of RTCDataChannel (webrtc-pc §6.2) peerstate uses. */
export interface RTCDataChannel {
  readonly readyState: RTCDataChannelState;
  /** Absent on werift, whose binary messages arrive as Node Buffers. */
  binaryType?: BinaryType;
  /** Bytes queued by `send` and not yet handed to the network. */
  readonly bufferedAmount: number;
  /** `bufferedamountlow` fires when `bufferedAmount` falls to this, in bytes. */
  bufferedAmountLowThreshold: number;
  /** Fires when the channel opens: `readyState` is `open` and `send` may be called. */
  onopen?: EventHandlerAttribute<unknown>;
  /** Fires once the channel is closed (`readyState` `closed`), whichever side closed it. */
  onclose?: EventHandlerAttribute<unknown>;
  /** Fires with an RTCErrorEvent, whose `error` says what failed. */
  onerror?: EventHandlerAttribute<{ error?: { message?: string; errorDetail?: string } }>;
  /** Fires for each message received: `data` is a string, or binary data as `binaryType` says. */
  onmessage?: EventHandlerAttribute<{ data: unknown }>;
  /** Listens for `bufferedamountlow`: `bufferedAmount` fell to `bufferedAmountLowThreshold` or below. */
  addEventListener(type: 'bufferedamountlow', listener: () => void): void;
  /** Throws InvalidStateError unless `readyState` is `open`, OperationError when the queue is full. */
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  /** Starts closing the channel (`readyState` `closing`, then `closed`); does nothing once closed. */
  close(): void;
}

/** An RTCIceCandidate as `icecandidate` delivers it (webrtc-pc §4.8.2). */
export interface RTCIceCandidate {
  readonly candidate: string;
  /** Null or absent (werift) when unknown; so are the next two. */
  readonly sdpMid?: string | null;
  readonly sdpMLineIndex?: number | null;
  readonly usernameFragment?: string | null;
}

/** The part of RTCPeerConnection (webrtc-pc §4.4) peerstate uses. */
export interface RTCPeerConnection {
  readonly connectionState: RTCPeerConnectionState;
  readonly signalingState: RTCSignalingState;
  /** The SCTP transport once negotiated; `maxMessageSize` is in bytes (webrtc-pc §6.1.1). */
  readonly sctp: { readonly maxMessageSize: number } | null;
  /**
   * Fires for each local candidate gathered; `candidate` null (werift: absent): gathering ended
   * (end-of-candidates, RFC 8838).
   */
  onicecandidate?: EventHandlerAttribute<{ candidate?: RTCIceCandidate | null }>;
  /** Fires when `connectionState` changes. */
  onconnectionstatechange?: EventHandlerAttribute<unknown>;
  /** Creates a data channel named `label`. Throws InvalidStateError once the connection is closed. */
  createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel;
  /** Creates an offer; `iceRestart` asks for new ICE credentials. Rejects (InvalidStateError) once closed. */
  createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit>;
  /**
   * Creates an answer to the remote offer. Rejects with InvalidStateError unless `signalingState` is
   * `have-remote-offer` or `have-local-pranswer`.
   */
  createAnswer(): Promise<RTCSessionDescriptionInit>;
  /** Applies a local description (`rollback` goes back to `stable`); rejects if `signalingState` forbids it. */
  setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void>;
  /** Applies the remote offer or answer; rejects if `signalingState` forbids it or the SDP is refused. */
  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void>;
  /**
   * Applies a remote candidate (trickle ICE, RFC 8838); without one, or with an empty `candidate`,
   * marks end-of-candidates. Rejects with InvalidStateError while there is no remote description,
   * OperationError when the candidate cannot be applied.
   */
  addIceCandidate(candidate?: RTCIceCandidateInit): Promise<void>;
  /** Closes the connection, its transports and channels; `connectionState` becomes `closed`. Idempotent. */
  close(): void;
}
