/**
 * The heartbeat's round trip on one RTCPeerConnection: our pings that await their pong (each ping
 * carries a token, src/protocol/frames.ts), and the budget of pongs we send for the remote's pings.
 * Everything a remote sends is bounded here: a pong counts only for an awaited ping, once; pings
 * get at most `MAX_PONGS_PER_PERIOD` pongs per heartbeat period.
 */

/**
 * Pongs sent at most per heartbeat period of ours: a remote that floods pings gets this many replies
 * a period and no more (its own heartbeat sends one ping a period; a faster one sees fewer replies).
 */
export const MAX_PONGS_PER_PERIOD = 4;

export class HeartbeatRoundTrip {
  /** Our pings awaiting their pong: token → when sent (ms), oldest first. */
  private readonly awaiting = new Map<number, number>();
  private nextToken = 1;
  /** Pongs we sent in the current period, which started at `periodStart` (ms). */
  private periodStart: number;
  private pongs = 0;

  /**
   * `periodMs`: our heartbeat period, in ms. `maxAwaited`: pings kept awaiting their pong (older
   * ones are forgotten: their pong could only come after the link counted as lost). `now`: the
   * clock, in ms.
   */
  constructor(
    private readonly periodMs: number,
    private readonly maxAwaited: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.periodStart = now();
  }

  /** The token of our next ping (≥ 1), awaited from now on. */
  ping(): number {
    const token = this.nextToken++;
    this.awaiting.set(token, this.now());
    if (this.awaiting.size > this.maxAwaited)
      this.awaiting.delete(this.awaiting.keys().next().value as number);
    return token;
  }

  /**
   * The remote's pong of `token`: the round trip in ms, or null when it answers no awaited ping (an
   * unsolicited or repeated pong). The pings before the one it answers are no longer awaited.
   */
  pong(token: number): number | null {
    const sentAt = this.awaiting.get(token);
    if (sentAt === undefined) return null;
    for (const awaited of this.awaiting.keys()) {
      this.awaiting.delete(awaited);
      if (awaited === token) break;
    }
    return this.now() - sentAt;
  }

  /** Whether a remote's ping may get a pong now; counts it if so. */
  mayAnswer(): boolean {
    const now = this.now();
    if (now - this.periodStart >= this.periodMs) {
      this.periodStart = now;
      this.pongs = 0;
    }
    if (this.pongs >= MAX_PONGS_PER_PERIOD) return false;
    this.pongs++;
    return true;
  }
}
