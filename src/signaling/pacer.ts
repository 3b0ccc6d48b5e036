/**
 * Paces the frames one signaling session sends, so that it stays under the server's per-socket rate
 * limit (the embedded server: 500 frames a second on average, bursts of 1,000). A mesh that starts
 * at once sends offers, answers and candidates in a burst, and a frame the server drops is a lost
 * answer or candidate that stalls a link. Up to `burst` frames go out at once; after that at most
 * `ratePerSecond` a second, the rest waiting in order (the token bucket of
 * src/protocol/token-bucket.ts, the server's own).
 */
import { createTokenBucket } from '../protocol/token-bucket.js';

/** Pacing of one session's frames. */
export interface PacerOptions {
  /** Frames a second on average, after a burst. */
  ratePerSecond: number;
  /** Frames that may go out at once. */
  burst: number;
  /** Frames that may wait at most; one more is refused (`refuse`). */
  maxQueued: number;
}

/** Below the embedded server's default limit, so that its bucket never runs dry: 400 a second, bursts of 400. */
export const SIGNALING_PACE: PacerOptions = { ratePerSecond: 400, burst: 400, maxQueued: 10_000 };

/** A pacer: `send` a frame now or as soon as the pace allows; `close` drops what waits. */
export interface Pacer<T> {
  send(item: T): void;
  close(): void;
}

/**
 * Creates a pacer that hands items to `deliver` in the order given, at most at the pace of `options`;
 * an item beyond `maxQueued` goes to `refuse` instead.
 */
export function createPacer<T>(
  options: PacerOptions,
  deliver: (item: T) => void,
  refuse: (item: T) => void,
): Pacer<T> {
  const waiting: T[] = [];
  const bucket = createTokenBucket(options);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const drain = () => {
    timer = undefined;
    while (waiting.length > 0 && bucket.take()) deliver(waiting.shift() as T);
    if (waiting.length > 0) timer = setTimeout(drain, bucket.msUntilToken());
  };
  return {
    send(item) {
      if (waiting.length >= options.maxQueued) return refuse(item);
      waiting.push(item);
      if (timer === undefined) drain();
    },
    close() {
      clearTimeout(timer);
      timer = undefined;
      waiting.length = 0;
    },
  };
}
