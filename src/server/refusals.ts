/**
 * What the signaling server refuses, counted by reason and logged without letting an attacker flood
 * the log: the first refusal of a reason is logged at once, later ones at most one line a second
 * per reason, each saying how many were left out since the last.
 */

/**
 * Why the server refused a connection, a join, or closed a socket:
 * - `max-connections`, `max-connections-per-address`: TCP connection refused at the cap.
 * - `handshake-timeout`: the connection did not complete its upgrade and join in time.
 * - `origin`: the upgrade's `Origin` is not in `allowedOrigins`.
 * - `unauthorized`: the `authenticate` hook said no (or threw).
 * - `peer-id-taken`: the peer id is held by another socket and the join did not prove it is the same client.
 * - `room-full`: the room holds `maxRoomPeers`.
 * - `joins-per-minute`, `joins-per-minute-per-address`: join over the rate.
 * - `slow-reader`: the socket's unsent bytes would pass `maxBufferedBytes`.
 * - `missed-pong`: no pong answered the latest ping within a ping interval.
 * - `flooding`: `maxRateLimitedFrames` of the socket's frames were dropped by the rate limit.
 * - `invalid-frames`: the socket sent `maxInvalidFrames` invalid frames.
 */
export type RefusalReason =
  | 'max-connections'
  | 'max-connections-per-address'
  | 'handshake-timeout'
  | 'origin'
  | 'unauthorized'
  | 'peer-id-taken'
  | 'room-full'
  | 'joins-per-minute'
  | 'joins-per-minute-per-address'
  | 'slow-reader'
  | 'missed-pong'
  | 'flooding'
  | 'invalid-frames';

const REASONS: readonly RefusalReason[] = [
  'max-connections',
  'max-connections-per-address',
  'handshake-timeout',
  'origin',
  'unauthorized',
  'peer-id-taken',
  'room-full',
  'joins-per-minute',
  'joins-per-minute-per-address',
  'slow-reader',
  'missed-pong',
  'flooding',
  'invalid-frames',
];

/** Least time between two log lines of one reason, in ms. */
const LOG_INTERVAL_MS = 1_000;

/** Refusals counted and logged. */
export interface Refusals {
  /** Counts one refusal of `reason` and logs it (or counts it as left out of the log). */
  refuse(reason: RefusalReason, detail: string): void;
  /** Refusals so far, by reason (every reason present, 0 if none). */
  counts(): Record<RefusalReason, number>;
}

/** Creates the refusal counters; `log` gets each line (e.g. `console.warn`). */
export function createRefusals(log: (line: string) => void, now = () => performance.now()): Refusals {
  const counts = Object.fromEntries(REASONS.map((reason) => [reason, 0])) as Record<RefusalReason, number>;
  const lastLogged = new Map<RefusalReason, number>();
  const leftOut = new Map<RefusalReason, number>();
  return {
    refuse(reason, detail) {
      counts[reason] += 1;
      const t = now();
      const last = lastLogged.get(reason);
      if (last !== undefined && t - last < LOG_INTERVAL_MS) {
        leftOut.set(reason, (leftOut.get(reason) ?? 0) + 1);
        return;
      }
      const skipped = leftOut.get(reason) ?? 0;
      lastLogged.set(reason, t);
      leftOut.delete(reason);
      log(
        `peerstate signaling server refused (${reason}): ${detail}` +
          (skipped > 0 ? ` (and ${skipped} more since the last line)` : ''),
      );
    },
    counts: () => ({ ...counts }),
  };
}
