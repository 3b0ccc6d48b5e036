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

describe('Outbox renumbering for a remote that does not count in our numbering', () => {
  it('renumbers what it holds from 1, in order, and resends it all; what was acknowledged stays released', () => {
    const outbox = new Outbox({ maxMessages: 100, maxBytes: 1_000_000 });
    const [old, fresh] = [sink(), sink()];
    for (const m of ['a', 'b', 'c', 'd']) outbox.push(m);
    outbox.flush(old);
    outbox.acknowledge(2);
    outbox.resume(0, fresh, false);
    outbox.push('e');
    outbox.flush(fresh);
    expect(fresh.seqs).toEqual([1, 2, 3]);
  });

  it('renumbers when a resync puts the remote before a released message, even if its hello named our instance', () => {
    const outbox = new Outbox({ maxMessages: 100, maxBytes: 1_000_000 });
    const [old, fresh] = [sink(), sink()];
    for (const m of ['a', 'b', 'c']) outbox.push(m);
    outbox.flush(old);
    outbox.acknowledge(3);
    outbox.push('d');
    // A hello's point below an ack is taken for an old one (DC-8): 'd' goes on as 4.
    outbox.resume(0, fresh);
    outbox.flush(fresh);
    // The remote refuses 4 as a gap and asks from 0: it really is behind, so 'd' becomes 1.
    outbox.resync(0, fresh, true);
    outbox.flush(fresh);
    expect(fresh.seqs).toEqual([4, 1]);
  });

  it('DC-8 a resume point older than an ack that followed it renumbers nothing: new messages keep the next numbers', () => {
    const outbox = new Outbox({ maxMessages: 100, maxBytes: 1_000_000 });
    const channel = sink();
    for (const m of ['a', 'b', 'c', 'd', 'e']) outbox.push(m);
    outbox.flush(channel);
    // The remote's hello said 1; its ack of 5, sent after it, was taken first (the resume waits for connected).
    outbox.acknowledge(5);
    outbox.resume(1, channel);
    outbox.push('f');
    outbox.flush(channel);
    // Before, 'f' went out as 2: a number the remote had delivered, dropped by it as a repeat.
    expect(channel.seqs).toEqual([1, 2, 3, 4, 5, 6]);
    expect(outbox.size).toBe(1);
  });

  it('a resync on the same channel resends from the resume point, after finishing a message cut halfway', () => {
    const outbox = new Outbox({ maxMessages: 100, maxBytes: 1_000_000 });
    const frames: { kind: string; seq?: number }[] = [];
    let budget = 3;
    const channel: FrameSink = {
      get canSend() {
        return budget > 0;
      },
      maxFrameBytes: 16,
      send(frame) {
        budget--;
        const decoded = decodeFrame(frame);
        frames.push({ kind: decoded.kind, seq: 'seq' in decoded ? decoded.seq : undefined });
      },
    };
    outbox.push('a');
    outbox.push('b'.repeat(20)); // three frames of at most 7 payload bytes
    expect(outbox.flush(channel).status).toBe('paused');
    outbox.resync(1, channel, true);
    budget = 100;
    outbox.flush(channel);
    expect(frames).toEqual([
      { kind: 'last', seq: 1 },
      { kind: 'part', seq: 2 },
      { kind: 'part', seq: 2 },
      { kind: 'last', seq: 2 },
      { kind: 'part', seq: 2 },
      { kind: 'part', seq: 2 },
      { kind: 'last', seq: 2 },
    ]);
    expect(outbox.size).toBe(1);
  });
});

/** An outbox that sent `a` and `b` on `channel`, neither acknowledged. */
function twoSent() {
  const outbox = new Outbox({ maxMessages: 100, maxBytes: 1_000_000 });
  const channel = sink();
  for (const m of ['a', 'b']) outbox.push(m);
  outbox.flush(channel);
  return { outbox, channel };
}

describe('Outbox.copy', () => {
  it('steps on its own: sending, acknowledging and resuming the copy leave the original as it was', () => {
    const { outbox, channel } = twoSent();
    const copy = outbox.copy();
    copy.push('c');
    copy.acknowledge(1);
    copy.resume(1, sink());
    expect(outbox.contents).toEqual({
      held: [
        { seq: 1, data: 'a', sent: true },
        { seq: 2, data: 'b', sent: true },
      ],
      nextSeq: 3,
      acknowledgedUpTo: 0,
      sentOn: channel,
    });
    expect(copy.contents.acknowledgedUpTo).toBe(1);
    expect(copy.contents.held).toEqual([
      { seq: 2, data: 'b', sent: false },
      { seq: 3, data: 'c', sent: false },
    ]);
  });

  it('keeps the channel last sent on: a resume on it from the copy resends nothing', () => {
    const { outbox, channel } = twoSent();
    const copy = outbox.copy();
    copy.resume(0, channel);
    copy.flush(channel);
    expect(channel.seqs).toEqual([1, 2]);
  });
});
