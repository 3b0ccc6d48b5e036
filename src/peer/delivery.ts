/**
 * Delivery state of one peer, kept across ICE restarts and new RTCPeerConnections:
 * - the outbox: every message accepted by `send`, in order, until the remote acknowledged it
 *   (bounded in messages and bytes); after a reconnect it resends from the remote's resume point,
 *   numbered again from 1 when the remote is a new actor (a restarted process with the same id);
 * - the inbox: the last sequence number delivered to the application, so a repeat is dropped.
 * Plain data structures; the peer chart decides when they are used.
 */
import { encodeMessage, payloadBytes, payloadOf } from '../protocol/frames.js';

/** Limits of the outbox. */
export interface OutboxLimits {
  /** Messages held at most (queued or sent and not yet acknowledged). */
  maxMessages: number;
  /** Payload bytes held at most. */
  maxBytes: number;
}

/** Something frames can be sent on: the data channel binding, or a fake in tests. */
export interface FrameSink {
  /** True while a frame may be sent now (channel open, below the high-water mark). */
  readonly canSend: boolean;
  /** Largest frame the channel takes, in bytes (its maxMessageSize). */
  readonly maxFrameBytes: number;
  /** Sends one frame; may throw (DC-5). */
  send(frame: Uint8Array): void;
}

/** How a flush ended. */
export type FlushResult = { status: 'drained' } | { status: 'paused' } | { status: 'failed'; error: unknown };

interface Held {
  seq: number;
  /** The message as sent (a copy for bytes), to report it if it is never delivered. */
  data: string | Uint8Array;
  /** Its payload bytes (UTF-8 for text) and whether it is text. */
  payload: Uint8Array;
  text: boolean;
  bytes: number;
  /** The message's frames for the current channel, and how many of them were sent. */
  frames: Uint8Array[] | null;
  framesSent: number;
}

/** The outbound queue: FIFO, numbered from 1, held until acknowledged. */
export class Outbox {
  /** Held messages in sequence order: [0, next) sent (awaiting ack), [next, end) not yet sent. */
  private held: Held[] = [];
  private next = 0;
  private heldBytes = 0;
  private nextSeq = 1;
  /**
   * The highest of our numbers the remote acknowledged in the current numbering (0: none). A resume
   * point below it is older than an ack that followed it (DC-8): the remote is past it.
   */
  private acknowledgedUpTo = 0;
  private readonly waiters: (() => void)[] = [];
  private readonly emptyWaiters: (() => void)[] = [];
  /** The channel the outbox last sent on (its binding), or null before the first send. */
  private sentOn: FrameSink | null = null;
  /**
   * The remaining frames of a message abandoned halfway by a rewind on the same channel: they go out
   * first, so the remote's reassembler sees that message end before the next one starts (the remote
   * then drops it by its number).
   */
  private tail: Uint8Array[] = [];

  constructor(readonly limits: OutboxLimits) {}

  /** Messages held (unsent or unacknowledged). */
  get size(): number {
    return this.held.length;
  }

  /** Payload bytes held (unsent or unacknowledged). */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Messages sent and not yet acknowledged (the first `unacknowledged` of those held). */
  get unacknowledged(): number {
    return this.next;
  }

  /** Whether `data` fits now. */
  fits(data: string | Uint8Array): boolean {
    return this.size < this.limits.maxMessages && this.heldBytes + payloadBytes(data) <= this.limits.maxBytes;
  }

  /** Whether `data` could ever fit: no larger than the byte limit. */
  canHold(data: string | Uint8Array): boolean {
    return payloadBytes(data) <= this.limits.maxBytes;
  }

  /**
   * Resolves when `data` fits (or, without `data`, when there is room for one more message), now if
   * it does. The caller checked `canHold(data)`.
   */
  async whenWritable(data?: string | Uint8Array): Promise<void> {
    const room = () =>
      data === undefined
        ? this.size < this.limits.maxMessages && this.heldBytes < this.limits.maxBytes
        : this.fits(data);
    while (!room()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Resolves when the outbox holds nothing: every message was acknowledged (or taken by `takeAll`). */
  whenEmpty(): Promise<void> {
    if (this.held.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.emptyWaiters.push(resolve));
  }

  /**
   * Appends a message; the caller checked `fits`. Returns its sequence number. Bytes are copied: the
   * caller may reuse its buffer, and a resend after a reconnect carries what was sent the first time.
   */
  push(data: string | Uint8Array): number {
    const seq = this.nextSeq++;
    const text = typeof data === 'string';
    // Encoded once, here: the frames of every (re)send are cut from these bytes.
    const payload = text ? payloadOf(data) : data.slice();
    const bytes = payload.byteLength;
    this.held.push({ seq, data: text ? data : payload, payload, text, bytes, frames: null, framesSent: 0 });
    this.heldBytes += bytes;
    return seq;
  }

  /**
   * Sends unsent messages in order while `sink.canSend`, chunked to `sink.maxFrameBytes`. A frame
   * counts as sent only after `sink.send` returned, so a throw keeps it and everything after it,
   * in order (DC-4, DC-5).
   */
  flush(sink: FrameSink): FlushResult {
    if (this.tail.length > 0 && sink !== this.sentOn) this.tail = [];
    while (this.tail.length > 0) {
      if (!sink.canSend) return { status: 'paused' };
      try {
        sink.send(this.tail[0] as Uint8Array);
      } catch (error) {
        return { status: 'failed', error };
      }
      this.tail.shift();
    }
    if (this.next < this.held.length) this.sentOn = sink;
    while (this.next < this.held.length) {
      const item = this.held[this.next] as Held;
      item.frames ??= encodeMessage(item.seq, item.payload, item.text, sink.maxFrameBytes);
      while (item.framesSent < item.frames.length) {
        if (!sink.canSend) return { status: 'paused' };
        try {
          sink.send(item.frames[item.framesSent] as Uint8Array);
        } catch (error) {
          return { status: 'failed', error };
        }
        item.framesSent++;
      }
      item.frames = null;
      this.next++;
    }
    return { status: 'drained' };
  }

  /** The remote delivered every message up to `seq`: they are released. */
  acknowledge(seq: number): void {
    this.release(seq, this.next);
  }

  private release(seq: number, bound: number): void {
    this.acknowledgedUpTo = Math.max(this.acknowledgedUpTo, Math.min(seq, this.nextSeq - 1));
    let released = 0;
    while (released < bound && (this.held[released] as Held).seq <= seq) {
      this.heldBytes -= (this.held[released] as Held).bytes;
      released++;
    }
    if (released === 0) return;
    this.held = this.held.slice(released);
    this.next = Math.max(0, this.next - released);
    for (const wake of this.waiters.splice(0)) wake();
    if (this.held.length === 0) for (const wake of this.emptyWaiters.splice(0)) wake();
  }

  /** True until a frame was first handed to a channel: nothing of ours can be on the remote side yet. */
  get neverSent(): boolean {
    return this.sentOn === null;
  }

  /**
   * The remote says it delivered up to `lastDelivered` (resume after any reconnect): those are
   * released. On a new channel every other message is sent again from its first frame, in order; on
   * the channel that carried them (an ICE restart keeps the SCTP association) they are still delivered
   * by it, so nothing is resent.
   *
   * `sameNumbering` false (see `Inbox.hello`): the remote's inbox starts at 0 (a new actor, or one
   * that has not heard our hello yet), so the resume point is 0. Whenever the resume point lies before
   * the first message held (one already released: acknowledged by an earlier remote), that remote
   * cannot count in our numbering: everything held is renumbered from the point on and sent again.
   * Held messages already numbered from 1 keep their numbers (and the channel that carries them).
   */
  resume(lastDelivered: number, sink: FrameSink | null, sameNumbering = true): void {
    const from = this.resumePoint(lastDelivered, sameNumbering);
    if (this.misaligned(from)) {
      this.renumber(from, sink);
      return;
    }
    this.release(from, this.held.length);
    if (sink !== null && sink === this.sentOn) return;
    this.rewind(sink);
  }

  /**
   * The remote refused a message and asked again from `lastDelivered` (its hello after a gap): as
   * `resume`, but everything after the resume point is sent again even on the channel that carried it.
   */
  resync(lastDelivered: number, sink: FrameSink, sameNumbering: boolean): void {
    // Taken as it is: the remote just refused a message, so this point is newer than any ack.
    const from = sameNumbering ? lastDelivered : 0;
    if (this.misaligned(from)) {
      this.renumber(from, sink);
      return;
    }
    this.release(from, this.held.length);
    this.rewind(sink);
  }

  /**
   * Where sending resumes after a hello. A remote outside our numbering delivered nothing of it: 0,
   * it expects 1 next. In our numbering, never before what it acknowledged: the hello's point may
   * have been taken before acks the remote sent after it (acks release messages at once, the resume
   * waits for the chart to reach connected), and renumbering from it would give new messages numbers
   * the remote drops as repeats (DC-8). A remote that really is behind says so with a resync.
   */
  private resumePoint(lastDelivered: number, sameNumbering: boolean): number {
    return sameNumbering ? Math.max(lastDelivered, this.acknowledgedUpTo) : 0;
  }

  /** The next number the remote expects lies before what we hold (or will number next). */
  private misaligned(lastDelivered: number): boolean {
    const first = this.held[0]?.seq ?? this.nextSeq;
    return lastDelivered + 1 < first;
  }

  /**
   * Numbers everything held again from `after + 1`, in the same order, and resends it all: the remote
   * delivered nothing of it in this numbering. What an earlier remote acknowledged was released and
   * stays so.
   */
  private renumber(after: number, sink: FrameSink | null): void {
    this.held.forEach((item, index) => {
      item.seq = after + index + 1;
    });
    this.nextSeq = after + this.held.length + 1;
    this.acknowledgedUpTo = after;
    this.rewind(sink);
  }

  /** Marks every held message unsent (frames made again on the next flush), keeping an interrupted message's end. */
  private rewind(sink: FrameSink | null): void {
    const partial = this.held[this.next];
    this.tail =
      sink !== null && sink === this.sentOn && partial?.frames && partial.framesSent > 0
        ? partial.frames.slice(partial.framesSent)
        : [];
    this.next = 0;
    for (const item of this.held) {
      item.frames = null;
      item.framesSent = 0;
    }
  }

  /**
   * An independent copy of the queue (its waiters are not copied): the model check
   * (src/testing/delivery-model.ts) steps a copy per explored state and never changes a state's own.
   */
  copy(): Outbox {
    const copy = new Outbox(this.limits);
    copy.held = this.held.map((item) => ({ ...item }));
    copy.next = this.next;
    copy.heldBytes = this.heldBytes;
    copy.nextSeq = this.nextSeq;
    copy.acknowledgedUpTo = this.acknowledgedUpTo;
    copy.sentOn = this.sentOn;
    copy.tail = [...this.tail];
    return copy;
  }

  /**
   * What the queue holds, as data: each held message in order (its number, data, and whether it was
   * sent on the channel last sent on), the number the next message gets, the highest number
   * acknowledged, and that channel (null before the first send). The model check's canonical form
   * reads it.
   */
  get contents(): {
    held: { seq: number; data: string | Uint8Array; sent: boolean }[];
    nextSeq: number;
    acknowledgedUpTo: number;
    sentOn: FrameSink | null;
  } {
    return {
      held: this.held.map((item, index) => ({ seq: item.seq, data: item.data, sent: index < this.next })),
      nextSeq: this.nextSeq,
      acknowledgedUpTo: this.acknowledgedUpTo,
      sentOn: this.sentOn,
    };
  }

  /** Empties the outbox and returns what it held, in order: sent but unacknowledged, and never sent. */
  takeAll(): { unacknowledged: (string | Uint8Array)[]; unsent: (string | Uint8Array)[] } {
    const rest = {
      unacknowledged: this.held.slice(0, this.next).map((item) => item.data),
      unsent: this.held.slice(this.next).map((item) => item.data),
    };
    this.held = [];
    this.next = 0;
    this.heldBytes = 0;
    this.tail = [];
    for (const wake of [...this.waiters.splice(0), ...this.emptyWaiters.splice(0)]) wake();
    return rest;
  }
}

/** What a remote's hello means for our outbox (`Inbox.hello`). */
export interface HelloVerdict {
  /** Where our sending resumes: the last of our messages the remote delivered (0: none). */
  lastDelivered: number;
  /** False when the remote's inbox does not count in our current numbering: the outbox renumbers from 1. */
  sameNumbering: boolean;
}

/** The receiving side: delivers each sequence number once, in order, per remote peer actor instance. */
export class Inbox {
  /** The last sequence number delivered to the application (0: none yet). */
  lastDelivered = 0;
  /** The remote actor instance the numbers belong to, or null before its first hello. */
  remoteInstance: string | null = null;

  /**
   * The remote's hello: a new instance means a new remote actor numbering from 1 again. Returns where
   * our sending resumes (`lastDelivered`: its resume point if it refers to `ourInstance`, else 0) and
   * whether the remote counts in our numbering (`sameNumbering`): false when the hello refers to
   * another instance of ours, or comes from a new actor that replaced the one we knew (a restarted
   * remote with the same peer id), whose inbox knows nothing of what we numbered so far.
   */
  hello(
    frame: { lastDelivered: number; instance: string; forInstance: string },
    ourInstance: string,
  ): HelloVerdict {
    const replaced = this.remoteInstance !== null && frame.instance !== this.remoteInstance;
    if (frame.instance !== this.remoteInstance) {
      this.remoteInstance = frame.instance;
      this.lastDelivered = 0;
    }
    const counts = frame.forInstance === ourInstance;
    return { lastDelivered: counts ? frame.lastDelivered : 0, sameNumbering: counts && !replaced };
  }

  /**
   * Classifies an arriving sequence number: `deliver` (the next one), `duplicate` (already
   * delivered: dropped) or `gap` (a message is missing: dropped; the sender resends on the next resume).
   */
  accept(seq: number): 'deliver' | 'duplicate' | 'gap' {
    if (seq <= this.lastDelivered) return 'duplicate';
    if (seq !== this.lastDelivered + 1) return 'gap';
    this.lastDelivered = seq;
    return 'deliver';
  }
}
