/**
 * The RTCPeerConnection / RTCDataChannel facade that the stacks (browser, @roamhq/wrtc, werift)
 * differ behind. The peer chart sees one behaviour:
 * - every operation has a timeout and is cancelled when the chart leaves the state that started it
 *   (wrtc's addIceCandidate after close never settles);
 * - `connectionState` is reported once per change (wrtc repeats `connected`), and failure is read
 *   from `connectionState` (webrtc-pc §4.3.3), not iceConnectionState;
 * - `bufferedamountlow` is used where the stack has it; wrtc 0.10 has neither
 *   `bufferedAmountLowThreshold` nor the event, so there, and only there, `bufferedAmount` is polled
 *   while above the high mark;
 * - operations run one at a time, in call order (like webrtc-pc's operations chain, §4.4.1.2), so an
 *   operation started after a cancelled one still runs after it, never beside it;
 * - offers and answers are made explicitly (createOffer/createAnswer, then setLocalDescription with
 *   the result): wrtc has no parameterless setLocalDescription.
 */

import { OperationCancelledError, OperationTimeoutError } from '../errors.js';
import { HEADER_BYTES, MIN_PART_BYTES } from '../protocol/frames.js';
import { ufragOf } from '../protocol/sdp.js';
import type { Candidate, Description } from '../protocol/signals.js';
import { profileOf, type RtcProfile } from './profile.js';
import type {
  RTCConfiguration,
  RTCDataChannel,
  RTCIceServer,
  RTCPeerConnection,
  RTCPeerConnectionState,
} from './webrtc-types.js';

/**
 * The RTC implementation a system runs on: a constructor and what the stack can do (its
 * `RtcProfile`; whatever it leaves out is taken from `BROWSER_PROFILE`, a webrtc-pc conforming
 * stack). `wrtcImplementation`, `loadWerift()` and `loadNodeDatachannel()` declare their whole
 * profile.
 * @example { name: 'browser', RTCPeerConnection: globalThis.RTCPeerConnection }
 */
export interface RtcImplementation extends Partial<RtcProfile> {
  /** Name for diagnostics, e.g. `wrtc`, `werift`, `browser`. */
  name: string;
  /** The RTCPeerConnection constructor (webrtc-pc §4.4). */
  RTCPeerConnection: new (
    configuration?: RTCConfiguration,
  ) => RTCPeerConnection;
}

/** Tunables of one binding. */
export interface BindingOptions {
  iceServers: RTCIceServer[];
  /** Time an RTCPeerConnection operation may take before it fails, in ms. */
  operationTimeoutMs: number;
  /** Sending pauses while the channel's `bufferedAmount` is at or above this, in bytes. */
  highWaterMark: number;
  /** Sending resumes when `bufferedAmount` falls to this, in bytes. */
  lowWaterMark: number;
  /** Poll period of `bufferedAmount` on stacks without `bufferedamountlow`, in ms. */
  pollIntervalMs: number;
}

/** Events of the binding, named as the peer chart's events. */
export type BindingEvent =
  | { type: 'PC.ICE_CANDIDATE'; candidate: Candidate | null }
  | { type: 'PC.CONNECTION_STATE'; state: RTCPeerConnectionState }
  | { type: 'CHANNEL.OPEN' }
  | { type: 'CHANNEL.CLOSE' }
  | { type: 'CHANNEL.BUFFER_LOW' }
  | { type: 'PC.ERROR'; code: string; message: string };

/** Where the binding reports to: chart events, received data, and non-fatal errors. */
export interface BindingListener {
  event(event: BindingEvent): void;
  data(data: ArrayBuffer | string): void;
  error(error: Error): void;
}

/** Label of the one data channel; it is negotiated (id 0) so that neither side waits for the other. */
export const CHANNEL_LABEL = 'peerstate';

export class PeerConnectionBinding {
  readonly pc: RTCPeerConnection;
  readonly channel: RTCDataChannel;
  private readonly abort = new AbortController();
  /**
   * Cancels of the operations not settled yet, run by `close()`: one set rather than one abort
   * listener per operation on a shared signal (hundreds of queued candidates would pass Node's
   * listener warning limit).
   */
  private readonly pending = new Set<() => void>();
  private connectionState: RTCPeerConnectionState = 'new';
  private channelOpened = false;
  private channelClosed = false;
  private waitingForLow = false;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private frameBytes: number | undefined;
  private readonly hasBufferedAmountLow: boolean;
  private readonly fallbackFrameBytes: number;
  /** Settles when the last operation started has settled (the operations chain). */
  private chain: Promise<unknown> = Promise.resolve();

  /**
   * @param connection which of the peer's RTCPeerConnections this is (1, 2, ...): stopping and
   * starting pcs takes effect after the chart's step, so users check it against the chart's number.
   */
  constructor(
    readonly connection: number,
    rtc: RtcImplementation,
    private readonly options: BindingOptions,
    private readonly listener: BindingListener,
  ) {
    const profile = profileOf(rtc);
    this.hasBufferedAmountLow = profile.hasBufferedAmountLow;
    this.fallbackFrameBytes = profile.maxMessageSize;
    this.pc = new rtc.RTCPeerConnection({ iceServers: options.iceServers });
    this.channel = this.pc.createDataChannel(CHANNEL_LABEL, { negotiated: true, id: 0, ordered: true });
    this.channel.binaryType = 'arraybuffer';
    this.pc.onicecandidate = (event) => {
      if (this.closed) return;
      const c = event.candidate;
      // A null candidate, or an empty one, is end-of-candidates (RFC 8838 §4.5).
      const candidate: Candidate | null = c?.candidate
        ? {
            candidate: c.candidate,
            sdpMid: c.sdpMid ?? null,
            sdpMLineIndex: c.sdpMLineIndex ?? null,
            usernameFragment: c.usernameFragment ?? null,
          }
        : null;
      listener.event({ type: 'PC.ICE_CANDIDATE', candidate });
    };
    this.pc.onconnectionstatechange = () => {
      const state = this.pc.connectionState;
      if (this.closed || state === this.connectionState) return;
      this.connectionState = state;
      listener.event({ type: 'PC.CONNECTION_STATE', state });
    };
    this.channel.onopen = () => this.reportOpen();
    this.channel.onclose = () => {
      if (this.closed || this.channelClosed) return;
      this.channelClosed = true;
      listener.event({ type: 'CHANNEL.CLOSE' });
    };
    // An RTCErrorEvent on the channel (webrtc-pc §6.2, e.g. an SCTP failure) ends this connection.
    this.channel.onerror = (event) => {
      if (this.closed) return;
      const error = event.error;
      listener.event({
        type: 'PC.ERROR',
        code: error?.errorDetail ?? 'data-channel-failure',
        message: error?.message ?? 'the data channel reported an error',
      });
    };
    this.channel.onmessage = (event) => {
      if (!this.closed) listener.data(event.data as ArrayBuffer | string);
    };
    if (this.hasBufferedAmountLow) {
      this.channel.bufferedAmountLowThreshold = options.lowWaterMark;
      // werift fires it only through addEventListener (docs/stacks.md).
      this.channel.addEventListener('bufferedamountlow', () => this.reportLow());
    }
  }

  /** True once `close()` ran; nothing is reported after that. */
  get closed(): boolean {
    return this.abort.signal.aborted;
  }

  /**
   * createOffer (an ICE restart offer with new ufrag/pwd when `iceRestart`, webrtc-pc §4.4.1.6) +
   * setLocalDescription(offer). Rejects with OperationTimeoutError/OperationCancelledError.
   */
  createOffer(signal: AbortSignal, iceRestart = false): Promise<Description> {
    return this.run('createOffer', signal, async () => {
      const offer = await this.pc.createOffer(iceRestart ? { iceRestart: true } : undefined);
      await this.pc.setLocalDescription(offer);
      return { type: 'offer', sdp: offer.sdp ?? '' };
    });
  }

  /** createAnswer + setLocalDescription(answer). */
  createAnswer(signal: AbortSignal): Promise<Description> {
    return this.run('createAnswer', signal, async () => {
      const answer = await this.pc.createAnswer();
      await this.pc.setLocalDescription(answer);
      return { type: 'answer', sdp: answer.sdp ?? '' };
    });
  }

  /** setRemoteDescription(answer); resolves with the answer's ICE ufrag. */
  setRemoteDescription(description: Description, signal: AbortSignal): Promise<string | null> {
    return this.run('setRemoteDescription', signal, async () => {
      await this.pc.setRemoteDescription(description);
      return ufragOf(description.sdp);
    });
  }

  /**
   * Perfect negotiation's polite path with explicit rollback (wrtc has no implicit rollback): if a
   * local offer is pending, setLocalDescription({type:'rollback'}) first, then setRemoteDescription(offer).
   * Resolves with the offer's ICE ufrag.
   */
  acceptOffer(description: Description, signal: AbortSignal): Promise<string | null> {
    return this.run('acceptOffer', signal, async () => {
      if (this.pc.signalingState === 'have-local-offer')
        await this.pc.setLocalDescription({ type: 'rollback' });
      await this.pc.setRemoteDescription(description);
      return ufragOf(description.sdp);
    });
  }

  /** The pc's connectionState is `connected` now, as its events said (no native call: the chart asks often). */
  get isConnected(): boolean {
    return !this.closed && this.connectionState === 'connected';
  }

  /** The data channel is open now, as its events said. */
  get isChannelOpen(): boolean {
    return !this.closed && this.channelOpened && !this.channelClosed;
  }

  /**
   * Applies one remote candidate (null: end-of-candidates). Fire and forget: a failure or a timeout
   * is reported to `listener.error`, and nothing is reported once the binding is closed.
   */
  addIceCandidate(candidate: Candidate | null): void {
    const apply = () => (candidate ? this.pc.addIceCandidate(candidate) : this.pc.addIceCandidate());
    // Outside our operations chain: the chart applies candidates only after the remote description is
    // set, and the pc chains them itself; chaining them here would hold createAnswer behind them.
    this.run('addIceCandidate', this.abort.signal, apply, false).catch((error: unknown) => {
      if (!this.closed) this.listener.error(error instanceof Error ? error : new Error(String(error)));
    });
  }

  /**
   * Largest frame to send, in bytes: the SCTP transport's maxMessageSize (webrtc-pc §6.1; the
   * profile's `maxMessageSize` when the pc reports none), capped at 256 KiB. Read once the channel is open (it does not change for the association): on wrtc every
   * property read is a blocking call into its network thread.
   */
  get maxFrameBytes(): number {
    if (this.frameBytes !== undefined) return this.frameBytes;
    const max = this.pc.sctp?.maxMessageSize;
    // Never below what a remote's reassembler takes as a part (MIN_PART_BYTES): a stack that says
    // less fails the send, which is reported, instead of having its parts refused.
    const bytes = Math.min(
      Math.max(
        max !== undefined && Number.isFinite(max) && max > 0 ? max : this.fallbackFrameBytes,
        HEADER_BYTES + MIN_PART_BYTES,
      ),
      262_144,
    );
    if (this.channelOpened) this.frameBytes = bytes;
    return bytes;
  }

  /**
   * True while the channel is open and below the high-water mark. Open/closed come from the
   * channel's events (no native call); while waiting for the low mark it is false without asking.
   */
  get canSend(): boolean {
    if (!this.channelOpened || this.channelClosed || this.closed || this.waitingForLow) return false;
    return this.channel.bufferedAmount < this.options.highWaterMark;
  }

  /** The channel's `bufferedAmount`: bytes queued for sending, not yet handed to the network. */
  get bufferedAmount(): number {
    return this.channel.bufferedAmount;
  }

  /** Sends one frame. Throws what `RTCDataChannel.send` throws (e.g. InvalidStateError). */
  send(frame: Uint8Array): void {
    this.channel.send(frame as Uint8Array<ArrayBuffer>);
  }

  /** Reports CHANNEL.BUFFER_LOW once `bufferedAmount` falls to the low-water mark. */
  waitForBufferLow(): void {
    if (this.closed || this.waitingForLow) return;
    this.waitingForLow = true;
    if (this.hasBufferedAmountLow) return;
    this.pollTimer = setInterval(() => {
      if (this.channel.bufferedAmount <= this.options.lowWaterMark) this.reportLow();
    }, this.options.pollIntervalMs);
  }

  /** Closes the channel and the pc, cancels every pending operation. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.abort.abort();
    for (const cancel of [...this.pending]) cancel();
    this.stopPolling();
    this.pc.onicecandidate = null;
    this.pc.onconnectionstatechange = null;
    this.channel.onopen = null;
    this.channel.onclose = null;
    this.channel.onmessage = null;
    this.channel.onerror = null;
    try {
      this.channel.close();
      this.pc.close();
    } catch {
      // Closing twice or a stack that already tore down: nothing left to release.
    }
  }

  private reportOpen(): void {
    if (this.closed || this.channelOpened) return;
    this.channelOpened = true;
    this.listener.event({ type: 'CHANNEL.OPEN' });
  }

  private reportLow(): void {
    if (this.closed || !this.waitingForLow) return;
    this.waitingForLow = false;
    this.stopPolling();
    this.listener.event({ type: 'CHANNEL.BUFFER_LOW' });
  }

  private stopPolling(): void {
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /**
   * Runs an operation after every earlier one settled or timed out, with a timeout; cancelled by
   * `signal` or by `close()`. A cancelled operation that has not started never starts; one that has
   * started holds the chain until it settles or times out, and its late result is ignored.
   */
  private run<T>(name: string, signal: AbortSignal, operation: () => Promise<T>, chained = true): Promise<T> {
    const previous = chained ? this.chain : Promise.resolve();
    let release: () => void = () => {};
    const released = new Promise<void>((done) => {
      release = done;
    });
    const result = new Promise<T>((resolve, reject) => {
      let settled = false;
      let running = false;
      const finish = (settle: () => void) => {
        if (settled) return;
        settled = true;
        // While the operation runs, its timer also guards the chain; it is cleared when it settles.
        if (!running) clearTimeout(timer);
        signal.removeEventListener('abort', cancel);
        this.pending.delete(cancel);
        settle();
      };
      const cancel = () => finish(() => reject(new OperationCancelledError(name)));
      // A timed-out operation also releases the chain: wrtc's addIceCandidate after close never settles.
      const timer = setTimeout(() => {
        release();
        finish(() => reject(new OperationTimeoutError(name, this.options.operationTimeoutMs)));
      }, this.options.operationTimeoutMs);
      if (signal.aborted || this.closed) {
        cancel();
        release();
        return;
      }
      // The binding's own signal is covered by `pending`.
      if (signal !== this.abort.signal) signal.addEventListener('abort', cancel, { once: true });
      this.pending.add(cancel);
      void previous.then(() => {
        if (settled) {
          release();
          return;
        }
        running = true;
        let pending: Promise<T>;
        try {
          pending = operation();
        } catch (error) {
          pending = Promise.reject(error);
        }
        pending.then(
          (value) => finish(() => resolve(value)),
          (error: unknown) => finish(() => reject(error)),
        );
        const done = () => {
          clearTimeout(timer);
          release();
        };
        pending.then(done, done);
      });
    });
    if (chained) this.chain = released;
    return result;
  }
}
