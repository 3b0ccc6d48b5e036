/**
 * A token bucket: admits on average `ratePerSecond` events per second, with bursts of up to `burst`
 * events after a quiet period. The clock is injectable so the limiter is testable without waiting.
 * The server limits each socket with one; the client paces its signals with one (src/signaling/pacer.ts).
 */

/** Options of {@link createTokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second (events per second admitted on average). Finite, > 0. */
  ratePerSecond: number;
  /** Bucket capacity: the most events admitted back to back. Finite, >= 1. The bucket starts full. */
  burst: number;
  /** Monotonic clock in milliseconds. Default: `performance.now`. */
  now?: () => number;
}

/** A token bucket. */
export interface TokenBucket {
  /** Takes one token: `true` if the event is admitted, `false` if it is over the limit. */
  take(): boolean;
  /** Milliseconds until a token is there (0 if one is now). */
  msUntilToken(): number;
}

/**
 * Creates a token bucket.
 * @throws RangeError if `ratePerSecond` is not finite and > 0, or `burst` is not finite and >= 1.
 */
export function createTokenBucket(options: TokenBucketOptions): TokenBucket {
  const { ratePerSecond, burst } = options;
  if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0)) {
    throw new RangeError(`ratePerSecond must be a finite number > 0, got ${ratePerSecond}`);
  }
  if (!(Number.isFinite(burst) && burst >= 1)) {
    throw new RangeError(`burst must be a finite number >= 1, got ${burst}`);
  }
  const now = options.now ?? (() => performance.now());
  let tokens = burst;
  let last = now();
  // Refill lazily on use rather than with a timer: no timers to clear, no work for idle sockets.
  // A clock that steps back (only an injected one can) neither drains nor refills.
  const refill = () => {
    const t = now();
    if (t > last) {
      tokens = Math.min(burst, tokens + ((t - last) * ratePerSecond) / 1000);
      last = t;
    }
  };
  return {
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    msUntilToken() {
      refill();
      return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) * 1000) / ratePerSecond);
    },
  };
}
