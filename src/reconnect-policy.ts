/**
 * When to try again after a lost connection: one policy object, used by both the peer chart (full
 * reconnects) and the signaling chart (session reconnects). Replaceable, like LiveKit's
 * `ReconnectPolicy`.
 */

/** Decides the wait before retry number `attempt`, or that there is none. */
export interface ReconnectPolicy {
  /**
   * The wait before retry `attempt` (1 for the first retry), in ms; `null` means give up.
   * @example policy.nextDelayMs(1) // 0..250 with the defaults
   */
  nextDelayMs(attempt: number): number | null;
}

/** Options of `exponentialBackoff`. */
export interface ExponentialBackoffOptions {
  /** Upper bound of the first wait, in ms. */
  initialMs: number;
  /** Upper bound of any wait, in ms. */
  maxMs: number;
  /** Retries allowed; `Infinity` (the default) never gives up. */
  maxAttempts?: number;
  /** Source of randomness in [0, 1); `Math.random` unless given (tests pass a fixed one). */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter: retry n waits a uniform random time in
 * [0, min(maxMs, initialMs · 2^(n-1))) ms; after `maxAttempts` retries it gives up.
 * @example exponentialBackoff({ initialMs: 250, maxMs: 8_000, maxAttempts: 5 })
 */
export function exponentialBackoff(options: ExponentialBackoffOptions): ReconnectPolicy {
  // Math.random is looked up per call, not captured: a test may replace it after the policy is made.
  const { initialMs, maxMs, maxAttempts = Number.POSITIVE_INFINITY, random = () => Math.random() } = options;
  return {
    nextDelayMs(attempt) {
      if (attempt > maxAttempts) return null;
      // The exponent is capped: 2^16 already exceeds any sensible maxMs / initialMs ratio.
      return random() * Math.min(maxMs, initialMs * 2 ** Math.min(Math.max(attempt - 1, 0), 16));
    },
  };
}

/**
 * `policy` for retries that must not stop (the signaling session retries until `stop()`): where it
 * gives up, the last wait it gave is repeated (0 ms if it never gave one).
 */
export function withoutGivingUp(policy: ReconnectPolicy): ReconnectPolicy {
  let lastMs = 0;
  return {
    nextDelayMs(attempt) {
      lastMs = policy.nextDelayMs(attempt) ?? lastMs;
      return lastMs;
    },
  };
}
