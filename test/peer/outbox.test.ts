/** The outbox on its own: what a resume releases and what it sends again. */
import { describe, expect, it } from 'vitest';
import type { FrameSink } from '../../src/peer/delivery.js';
import { Outbox } from '../../src/peer/delivery.js';
import { decodeFrame } from '../../src/protocol/frames.js';

function sink(): FrameSink & { seqs: number[] } {
  const seqs: number[] = [];
  return {
    seqs,
    canSend: true,
    maxFrameBytes: 65_536,
    send(frame) {
      const decoded = decodeFrame(frame);
      if (decoded.kind === 'last') seqs.push(decoded.seq);
    },
  };
}

describe('Outbox.resume', () => {
  it('on the channel that carried the messages (an ICE restart) releases what was delivered and resends nothing', () => {
    const outbox = new Outbox({ maxMessages: 100, maxBytes: 1_000_000 });
    const channel = sink();
    for (const m of ['a', 'b', 'c']) outbox.push(m);
    outbox.flush(channel);
    outbox.resume(1, channel);
    outbox.flush(channel);
    expect(channel.seqs).toEqual([1, 2, 3]);
    expect(outbox.size).toBe(2);
  });

  it('on a new channel releases what was delivered and sends the rest again, in order', () => {
    const outbox = new Outbox({ maxMessages: 100, maxBytes: 1_000_000 });
    const [old, fresh] = [sink(), sink()];
    for (const m of ['a', 'b', 'c']) outbox.push(m);
    outbox.flush(old);
    outbox.resume(1, fresh);
    outbox.flush(fresh);
    expect(fresh.seqs).toEqual([2, 3]);
    expect(outbox.size).toBe(2);
  });

  it('is never-sent until the first frame goes out', () => {
    const outbox = new Outbox({ maxMessages: 100, maxBytes: 1_000_000 });
    const channel = sink();
    outbox.flush(channel);
    expect(outbox.neverSent).toBe(true);
    outbox.push('a');
    outbox.flush(channel);
    expect(outbox.neverSent).toBe(false);
  });
});
