/**
 * A scripted fake RTCPeerConnection for deterministic tests: every asynchronous operation
 * (createOffer, createAnswer, setLocalDescription, setRemoteDescription, addIceCandidate) returns a
 * promise that stays pending until the test settles it, in the order the test chooses. Events
 * (icecandidate, connectionstatechange, data channel open/message/close/error, bufferedamountlow) fire
 * only when the test calls the matching method. Nothing here touches a network or a clock.
 *
 * Shapes follow W3C webrtc-pc (RTCPeerConnection §4.4, RTCDataChannel §6.2) as far as peerstate's
 * binding uses them.
 */
import type { RtcImplementation } from '../rtc/binding.js';
import type {
  BinaryType,
  RTCConfiguration,
  RTCDataChannelInit,
  RTCDataChannelState,
  RTCIceCandidateInit,
  RTCOfferOptions,
  RTCPeerConnectionState,
  RTCSessionDescriptionInit,
  RTCSignalingState,
} from '../rtc/webrtc-types.js';

/** An operation the fake started and the test settles. */
export interface PendingOperation {
  /** Method name, e.g. `setRemoteDescription`. */
  readonly name: string;
  /** Arguments it was called with. */
  readonly args: readonly unknown[];
  /** Whether it was settled. */
  readonly settled: boolean;
  /** Resolves it (with the fake's default result when `value` is omitted). */
  resolve(value?: unknown): void;
  /** Rejects it with `error`. */
  reject(error: Error): void;
}

/** A fake data channel: records sent frames; the test opens, closes and delivers. */
export class FakeDataChannel extends EventTarget {
  readonly label: string;
  readonly negotiated: boolean;
  readonly id: number | null;
  readyState: RTCDataChannelState = 'connecting';
  binaryType: BinaryType = 'blob';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  /** Every frame passed to `send`, in order. */
  readonly sent: (string | ArrayBuffer | ArrayBufferView)[] = [];
  /** Called by `open()`. */
  onopen: ((event: Event) => void) | null = null;
  /** Called by `closeFromRemote()` (not by `close()`, which only starts closing). */
  onclose: ((event: Event) => void) | null = null;
  /** Called by `receive(data)` with a MessageEvent whose `data` is that frame. */
  onmessage: ((event: MessageEvent) => void) | null = null;
  /** Called by `error()` with an RTCErrorEvent-like event. */
  onerror: ((event: Event) => void) | null = null;
  private failures: Error[] = [];

  constructor(
    label: string,
    init: RTCDataChannelInit = {},
    private readonly onSent: (frame: string | ArrayBuffer | ArrayBufferView) => void = () => {},
  ) {
    super();
    this.label = label;
    this.negotiated = init.negotiated ?? false;
    this.id = init.id ?? null;
  }

  /** Records the frame, or throws the next scripted failure, or InvalidStateError if not open. */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (this.readyState !== 'open')
      throw new DOMException('RTCDataChannel.readyState is not open', 'InvalidStateError');
    this.sent.push(data);
    this.onSent(data);
  }

  /** Makes the next `send` throw `error` (DC-5). */
  failNextSend(error: Error = new DOMException('send queue is full', 'OperationError')): void {
    this.failures.push(error);
  }

  /** Starts closing: `readyState` becomes `closing` (unless closed); `closeFromRemote()` finishes it. */
  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closing';
  }

  /** Test: the channel opens. */
  open(): void {
    this.readyState = 'open';
    const event = new Event('open');
    this.onopen?.(event);
    this.dispatchEvent(event);
  }

  /** Test: a frame arrives. */
  receive(data: string | ArrayBuffer): void {
    this.onmessage?.(new MessageEvent('message', { data }));
  }

  /** Test: the channel closes. */
  closeFromRemote(): void {
    this.readyState = 'closed';
    const event = new Event('close');
    this.onclose?.(event);
    this.dispatchEvent(event);
  }

  /**
   * Test: the channel fails (an RTCErrorEvent, webrtc-pc §6.2, e.g. SCTP gave up): fires `error`, whose
   * `event.error` is an `OperationError` DOMException carrying `errorDetail` (an RTCErrorDetailType).
   * `readyState` stays as it is: a real channel closes afterwards, which `closeFromRemote()` scripts.
   *
   * @example
   * pc.channels[0].error('sctp-failure'); // the binding reports PC.ERROR { code: 'sctp-failure' }
   */
  error(errorDetail = 'data-channel-failure', message = 'the data channel failed'): void {
    const error = Object.assign(new DOMException(message, 'OperationError'), { errorDetail });
    const event = Object.assign(new Event('error'), { error });
    this.onerror?.(event);
    this.dispatchEvent(event);
  }

  /** Test: `bufferedAmount` changes; firing `bufferedamountlow` when it crosses the threshold downwards. */
  setBufferedAmount(bytes: number): void {
    const before = this.bufferedAmount;
    this.bufferedAmount = bytes;
    if (before > this.bufferedAmountLowThreshold && bytes <= this.bufferedAmountLowThreshold) {
      this.dispatchEvent(new Event('bufferedamountlow'));
    }
  }
}

let instanceCount = 0;

/** Observers of a fake RTC implementation, e.g. to hand every pending operation to a scheduler. */
export interface FakeRtcHooks {
  /** A pc was constructed. */
  onConnection?(pc: FakeRTCPeerConnection): void;
  /** A pc started an operation (it stays pending until settled). */
  onOperation?(pc: FakeRTCPeerConnection, op: PendingOperation): void;
  /** A frame was sent on a channel of a pc. */
  onSend?(
    pc: FakeRTCPeerConnection,
    channel: FakeDataChannel,
    frame: string | ArrayBuffer | ArrayBufferView,
  ): void;
}

/**
 * The scripted fake RTCPeerConnection: each asynchronous method records a `PendingOperation` and
 * returns its promise, which stays pending until the test settles it (`settle`, `pending`,
 * `operations`); its effects on the state (descriptions, `signalingState`, applied candidates) happen
 * when it resolves. Events fire only from the test's calls (`gatherCandidate`, `setConnectionState`).
 */
export class FakeRTCPeerConnection {
  /** Observers set by `createFakeRtc({ hooks })`. */
  hooks: FakeRtcHooks = {};
  /** Sequence number of this instance in the process (1-based), used in fake SDP. */
  readonly instance = ++instanceCount;
  readonly configuration: RTCConfiguration | undefined;
  connectionState: RTCPeerConnectionState = 'new';
  signalingState: RTCSignalingState = 'stable';
  localDescription: RTCSessionDescriptionInit | null = null;
  remoteDescription: RTCSessionDescriptionInit | null = null;
  /** Every operation started, settled or not, in call order. */
  readonly operations: PendingOperation[] = [];
  /** Data channels created, in order. */
  readonly channels: FakeDataChannel[] = [];
  /** Candidates applied by settled addIceCandidate calls (null: end-of-candidates), in order. */
  readonly appliedCandidates: (RTCIceCandidateInit | null)[] = [];
  /** ICE generation: bumps on each createOffer({ iceRestart: true }). */
  iceGeneration = 1;
  closed = false;
  /** How many times `close()` was called (it is idempotent; RC-2, RC-7 count cleanups). */
  closeCalls = 0;
  /** Called by `gatherCandidate(candidate)`; `null` is end-of-candidates (RFC 8838). */
  onicecandidate: ((event: { candidate: RTCIceCandidateInit | null }) => void) | null = null;
  /** Called by `setConnectionState(state)`. */
  onconnectionstatechange: ((event: Event) => void) | null = null;
  /** Never called by the fake: present because the binding may set it. */
  onnegotiationneeded: ((event: Event) => void) | null = null;

  constructor(configuration?: RTCConfiguration) {
    this.configuration = configuration;
  }

  /** The ufrag this pc puts in its descriptions now. */
  get usernameFragment(): string {
    return `u${this.instance}g${this.iceGeneration}`;
  }

  /** Creates a `FakeDataChannel` (`connecting`), appended to `channels`; its sends reach `hooks.onSend`. */
  createDataChannel(label: string, init?: RTCDataChannelInit): FakeDataChannel {
    const channel = new FakeDataChannel(label, init, (frame) => this.hooks.onSend?.(this, channel, frame));
    this.channels.push(channel);
    return channel;
  }

  /**
   * Starts a pending `createOffer`; resolved, it gives a fake offer whose SDP carries `usernameFragment`.
   * `iceRestart` bumps `iceGeneration` at once (a new ufrag).
   */
  createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit> {
    if (options?.iceRestart) this.iceGeneration++;
    return this.start('createOffer', [options], () => ({ type: 'offer', sdp: this.fakeSdp('offer') }));
  }

  /** Starts a pending `createAnswer`; resolved, it gives a fake answer (whatever `signalingState` is). */
  createAnswer(): Promise<RTCSessionDescriptionInit> {
    return this.start('createAnswer', [], () => ({ type: 'answer', sdp: this.fakeSdp('answer') }));
  }

  /**
   * Starts a pending `setLocalDescription`. Resolved, it applies `description`: an offer moves to
   * `have-local-offer`, an answer to `stable`, a `rollback` clears `localDescription` and returns to
   * `stable`; without a description it changes nothing.
   */
  setLocalDescription(description?: RTCSessionDescriptionInit): Promise<void> {
    return this.start('setLocalDescription', [description], () => {
      if (description?.type === 'rollback') {
        this.localDescription = null;
        this.signalingState = 'stable';
      } else if (description) {
        this.localDescription = description;
        this.signalingState = description.type === 'offer' ? 'have-local-offer' : 'stable';
      }
      return undefined;
    });
  }

  /**
   * Starts a pending `setRemoteDescription`; resolved, it sets `remoteDescription`: an offer moves to
   * `have-remote-offer`, an answer to `stable`.
   */
  setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
    return this.start('setRemoteDescription', [description], () => {
      this.remoteDescription = description;
      this.signalingState = description.type === 'offer' ? 'have-remote-offer' : 'stable';
      return undefined;
    });
  }

  /** Starts a pending `addIceCandidate`; resolved, the candidate (or `null`) joins `appliedCandidates`. */
  addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
    return this.start('addIceCandidate', [candidate ?? null], () => {
      this.appliedCandidates.push(candidate ?? null);
      return undefined;
    });
  }

  /** Counts the call; the first closes the pc and its channels (states `closed`). Pending operations stay. */
  close(): void {
    this.closeCalls++;
    if (this.closed) return;
    this.closed = true;
    this.signalingState = 'closed';
    this.connectionState = 'closed';
    for (const channel of this.channels) channel.readyState = 'closed';
  }

  /** Operations not yet settled, optionally of one name, in call order. */
  pending(name?: string): PendingOperation[] {
    return this.operations.filter((op) => !op.settled && (name === undefined || op.name === name));
  }

  /** Settles the oldest pending operation named `name` (resolve by default). Throws if there is none. */
  settle(name: string, outcome: { reject?: Error; value?: unknown } = {}): PendingOperation {
    const op = this.pending(name)[0];
    if (!op)
      throw new Error(
        `no pending ${name} (pending: ${
          this.pending()
            .map((o) => o.name)
            .join(', ') || 'none'
        })`,
      );
    if (outcome.reject) op.reject(outcome.reject);
    else op.resolve(outcome.value);
    return op;
  }

  /** Test: a local candidate is gathered (null: end-of-candidates). */
  gatherCandidate(candidate: RTCIceCandidateInit | null): void {
    this.onicecandidate?.({ candidate });
  }

  /** Test: a host candidate of the current ICE generation, numbered `n`. */
  hostCandidate(n: number): RTCIceCandidateInit {
    return {
      candidate: `candidate:${n} 1 udp 2122260223 127.0.0.1 ${40000 + n} typ host ufrag ${this.usernameFragment}`,
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: this.usernameFragment,
    };
  }

  /** Test: connectionState changes (fires connectionstatechange even if unchanged, as wrtc does). */
  setConnectionState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.onconnectionstatechange?.(new Event('connectionstatechange'));
  }

  private fakeSdp(type: string): string {
    return `v=0\r\no=fake ${this.instance} ${this.iceGeneration} IN IP4 127.0.0.1\r\ns=${type}\r\na=ice-ufrag:${this.usernameFragment}\r\na=ice-pwd:fakepasswordfakepassword\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n`;
  }

  private start<T>(name: string, args: unknown[], result: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const op: PendingOperation & { settled: boolean } = {
        name,
        args,
        settled: false,
        resolve: (value?: unknown) => {
          if (op.settled) return;
          op.settled = true;
          resolve(value === undefined ? result() : (value as T));
        },
        reject: (error: Error) => {
          if (op.settled) return;
          op.settled = true;
          reject(error);
        },
      };
      this.operations.push(op);
      this.hooks.onOperation?.(this, op);
    });
  }
}

/** A fake RTC implementation and every pc it made, in order. */
export interface FakeRtc {
  rtc: RtcImplementation;
  /** Every FakeRTCPeerConnection constructed through `rtc`, in order. */
  readonly connections: FakeRTCPeerConnection[];
}

/**
 * Creates a fake RTC implementation to pass as `createPeerSystem({ rtc })`.
 * `hasBufferedAmountLow` picks which backpressure path the binding takes (true: event; false: polling).
 */
export function createFakeRtc(
  options: { hasBufferedAmountLow?: boolean; hooks?: FakeRtcHooks } = {},
): FakeRtc {
  const connections: FakeRTCPeerConnection[] = [];
  class TrackedFake extends FakeRTCPeerConnection {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      this.hooks = options.hooks ?? {};
      connections.push(this);
      this.hooks.onConnection?.(this);
    }
  }
  return {
    rtc: {
      name: 'fake',
      RTCPeerConnection: TrackedFake as unknown as RtcImplementation['RTCPeerConnection'],
      hasBufferedAmountLow: options.hasBufferedAmountLow ?? true,
    },
    connections,
  };
}
