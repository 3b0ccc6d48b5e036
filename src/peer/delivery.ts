/**
 * Delivery state of one peer: the bounded outbox (messages accepted by `send`, not yet handed to the
 * data channel) and the inbox (sequence numbers delivered to the application, so a duplicate is
 * dropped). Plain data structures; the peer chart decides when they are used.
 */
import { encodeData, frameBytes } from '../protocol/frames.js';

/** Limits of the outbox. */
export interface OutboxLimits {
  /** Messages queued at most. */
  maxMessages: number;
  /** Bytes of queued frames at most. */
  maxBytes: number;
}

/** Something frames can be sent on: the data channel binding, or a fake in tests. */
export interface FrameSink {
  /** True while a frame may be sent now (channel open, below the high-water mark). */
  readonly canSend: boolean;
  /** Sends one frame; may throw (DC-5). */
  send(frame: Uint8Array): void;
}

/** How a flush ended. */
export type FlushResult = { status: 'drained' } | { status: 'paused' } | { status: 'failed'; error: unknown };

interface Queued {
  seq: number;
  data: string | Uint8Array;
  bytes: number;
}

/** The outbound queue: FIFO, bounded, numbered from 1. */
export class Outbox {
  private items: Queued[] = [];
  private head = 0;
  private queuedBytes = 0;
  private nextSeq = 1;

  constructor(readonly limits: OutboxLimits) {}

  /** Messages waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Bytes of frames waiting. */
  get bytes(): number {
    return this.queuedBytes;
  }

  /** Whether a message of `bytes` frame bytes fits now. */
  fits(data: string | Uint8Array): boolean {
    return this.size < this.limits.maxMessages && this.queuedBytes + frameBytes(data) <= this.limits.maxBytes;
  }

  /** Appends a message; the caller checked `fits`. Returns its sequence number. */
  push(data: string | Uint8Array): number {
    const bytes = frameBytes(data);
    const seq = this.nextSeq++;
    this.items.push({ seq, data, bytes });
    this.queuedBytes += bytes;
    return seq;
  }

  /**
   * Sends queued messages in order while `sink.canSend`. Each message leaves the queue only after
   * `sink.send` returned, so a throw keeps it and everything after it queued, in order (DC-4, DC-5).
   */
  flush(sink: FrameSink): FlushResult {
    while (this.head < this.items.length) {
      if (!sink.canSend) {
        this.compact();
        return { status: 'paused' };
      }
      const item = this.items[this.head] as Queued;
      try {
        sink.send(encodeData(item.seq, item.data));
      } catch (error) {
        return { status: 'failed', error };
      }
      this.head++;
      this.queuedBytes -= item.bytes;
    }
    this.items = [];
    this.head = 0;
    return { status: 'drained' };
  }

  /** Drops sent entries from the front so a long-paused queue holds only unsent ones. */
  private compact(): void {
    if (this.head < 1024) return;
    this.items = this.items.slice(this.head);
    this.head = 0;
  }

  /** Empties the queue and returns what was in it, in order. */
  takeAll(): (string | Uint8Array)[] {
    const rest = this.items.slice(this.head).map((item) => item.data);
    this.items = [];
    this.head = 0;
    this.queuedBytes = 0;
    return rest;
  }
}

/** The receiving side: accepts each sequence number once, in order. */
export class Inbox {
  /** The last sequence number delivered to the application (0: none yet). */
  lastDelivered = 0;

  /** True if `seq` is new and should be delivered; a repeat or an older number returns false. */
  accept(seq: number): boolean {
    if (seq <= this.lastDelivered) return false;
    this.lastDelivered = seq;
    return true;
  }
}
