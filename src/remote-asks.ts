/**
 * How often a remote may ask us to negotiate, and how often we tell one we refused. A hello or an
 * offer from a remote makes us create an RTCPeerConnection or renegotiate one (MDN perfect
 * negotiation): a remote that repeats them costs us a pc, a DTLS handshake and threads each time.
 * The system chart's guards `isRemoteAskAdmitted` and `mayTellRefusal` read this (machines/system.ts).
 */
import { createTokenBucket, type TokenBucket } from './protocol/token-bucket.js';

/** Options of {@link RemoteAskLimiter}. */
export interface RemoteAskLimits {
  /** Hellos and offers one remote may send per minute, on average; bursts of a sixth of it (10 s worth), at least 1. Finite, > 0. */
  perMinute: number;
  /**
   * Remotes remembered at once; past it the one unheard from longest is forgotten (its next ask
   * starts a full bucket). Bounds the memory a server that invents peer ids can make us spend.
   */
  maxRemotes: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

/** A refusal is told to its remote (a bye, an error for our application) at most once per this, in ms. */
export const REFUSAL_TELL_INTERVAL_MS = 10_000;

interface RemoteAsks {
  asks: TokenBucket;
  tells: TokenBucket;
}

/** Per-remote token buckets for asks (hellos, offers) and for telling refusals. */
export class RemoteAskLimiter {
  private readonly remotes = new Map<string, RemoteAsks>();

  constructor(private readonly limits: RemoteAskLimits) {}

  /** Takes one ask of `peerId` from its bucket: `false` when it asks faster than `perMinute`. */
  admitAsk(peerId: string): boolean {
    return this.of(peerId).asks.take();
  }

  /**
   * Whether a refusal of `peerId` is told now (a bye and an error): the first of a burst is, the
   * others within {@link REFUSAL_TELL_INTERVAL_MS} are dropped unanswered, so a flood of asks is not
   * answered by a flood of byes and errors.
   */
  mayTell(peerId: string): boolean {
    return this.of(peerId).tells.take();
  }

  private of(peerId: string): RemoteAsks {
    const known = this.remotes.get(peerId);
    if (known) {
      // Most recently heard from last: Map keeps insertion order, so the first entry is the stalest.
      this.remotes.delete(peerId);
      this.remotes.set(peerId, known);
      return known;
    }
    const { perMinute, now } = this.limits;
    const clock = now ? { now } : {};
    const fresh = {
      asks: createTokenBucket({ ratePerSecond: perMinute / 60, burst: Math.max(1, perMinute / 6), ...clock }),
      tells: createTokenBucket({ ratePerSecond: 1000 / REFUSAL_TELL_INTERVAL_MS, burst: 1, ...clock }),
    };
    this.remotes.set(peerId, fresh);
    if (this.remotes.size > this.limits.maxRemotes) {
      const stalest = this.remotes.keys().next().value;
      if (stalest !== undefined) this.remotes.delete(stalest);
    }
    return fresh;
  }
}
