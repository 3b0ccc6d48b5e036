/**
 * A numbered message stream over one peer link, for the recovery benchmark: the sender sends its
 * next number every `intervalMs` (a number the outbox refuses is not counted as sent), and every
 * message the receiver's application gets is recorded with its arrival time.
 */
import type { Subscription } from 'rxjs';
import type { PeerHandle } from '../src/node/index.js';

/** One message as the receiver got it: its number and arrival time (performance.now(), ms). */
export interface Arrival {
  seq: number;
  at: number;
}

export class NumberedStream {
  /** Every arrival, in the order the receiver got them. */
  readonly arrivals: Arrival[] = [];
  private next = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly subscription: Subscription;
  private readonly waiters: { seq: number; resolve: (at: number) => void }[] = [];

  constructor(sender: PeerHandle, receiver: PeerHandle, intervalMs: number) {
    this.subscription = receiver.messages$.subscribe((message) => {
      const arrival = { seq: Number(message), at: performance.now() };
      this.arrivals.push(arrival);
      for (const waiter of [...this.waiters]) {
        if (arrival.seq < waiter.seq) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(arrival.at);
      }
    });
    this.timer = setInterval(() => {
      try {
        sender.send(String(this.next));
        this.next++;
      } catch {
        // A full outbox refuses the message (OutboxFullError): it was not accepted, so not counted.
      }
    }, intervalMs);
  }

  /** How many messages the sender has handed to `send` so far (the next one's number). */
  get sent(): number {
    return this.next;
  }

  /** Resolves with the arrival time of the first message numbered `seq` or later (now if one came). */
  reach(seq: number): Promise<number> {
    const found = this.arrivals.find((a) => a.seq >= seq);
    if (found) return Promise.resolve(found.at);
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  /** Stops sending; arrivals are still recorded until `close`. */
  stopSending(): void {
    clearInterval(this.timer);
  }

  /** Messages sent that never arrived, and arrivals that came twice or out of order. */
  tally(): { lost: number; misordered: number } {
    const seqs = this.arrivals.map((a) => a.seq);
    let misordered = 0;
    for (let i = 1; i < seqs.length; i++) if ((seqs[i] as number) <= (seqs[i - 1] as number)) misordered++;
    return { lost: this.next - new Set(seqs).size, misordered };
  }

  close(): void {
    this.stopSending();
    this.subscription.unsubscribe();
  }
}
