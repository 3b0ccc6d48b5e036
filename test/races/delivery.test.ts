/**
 * Delivery guarantees (docs/races.md DC-1, DC-6, DC-7, RR-1 to RR-5, and chunking) on the scripted
 * fakes: messages accepted by `send` reach the remote application once and in order across ICE
 * restarts, full reconnects and remotes that restart with the same peer id; backpressure pauses and
 * resumes sending; a full outbox refuses, never drops.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PeerHandle, PeerSystem, PeerSystemOptions } from '../../src/index.js';
import { decodeFrame } from '../../src/protocol/frames.js';
import type { FakeRTCPeerConnection } from '../../src/testing/index.js';
import { toArrayBuffer } from '../support/bytes.js';
import { flushMicrotasks } from '../support/microtasks.js';
import { sleep, useFakeTime } from '../support/time.js';
import type { Harness } from './harness.js';
import { createHarness, exchange as exchangeFrames } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.stopAll();
  vi.useRealTimers();
});

/** A link between the newest pcs of alice and bob that moves channel frames when asked; `drop` loses a frame. */
function link(drop?: (frame: unknown) => boolean) {
  const cursors = new Map<FakeRTCPeerConnection, number>();
  return async (a: FakeRTCPeerConnection, b: FakeRTCPeerConnection) => {
    for (let moved = true; moved; ) {
      moved = false;
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const out = from.channels[0];
        const into = to.channels[0];
        if (!out || !into) continue;
        let cursor = cursors.get(from) ?? 0;
        for (; cursor < out.sent.length; cursor++) {
          if (into.readyState === 'open' && !drop?.(out.sent[cursor]))
            into.receive(toArrayBuffer(out.sent[cursor]));
          moved = true;
        }
        cursors.set(from, cursor);
      }
      await flushMicrotasks();
    }
  };
}

/** Negotiates, brings the transport up and opens the channels of the newest pcs; returns them. */
async function bringUp(exchange: ReturnType<typeof link>) {
  await h.quiesce(h.pcOf('alice'));
  await h.quiesce(h.pcOf('alice'), h.pcOf('bob'));
  const [pcA, pcB] = [h.pcOf('alice'), h.pcOf('bob')];
  for (const pc of [pcA, pcB]) if (pc.connectionState !== 'connected') pc.setConnectionState('connected');
  for (const pc of [pcA, pcB]) if (pc.channels[0]?.readyState !== 'open') pc.channels[0]?.open();
  await flushMicrotasks();
  await exchange(pcA, pcB);
  return { pcA, pcB };
}

async function pair(
  aliceOptions: Partial<PeerSystemOptions> = { maxIceRestarts: 1 },
  exchange: ReturnType<typeof link> = link(),
) {
  const alice = await h.system('alice', aliceOptions);
  const bob = await h.system('bob', { maxIceRestarts: 1 });
  const toBob = alice.connect('bob');
  await flushMicrotasks();
  const received: (string | Uint8Array)[] = [];
  bob.messages$.subscribe((m) => received.push(m.data));
  await bringUp(exchange);
  const toAlice = bob.peer('alice') as PeerHandle;
  return { alice, bob, toBob, toAlice, received, exchange };
}

describe('delivery across reconnects', () => {
  it('DC-1 messages queued, then a channel that is already open is attached (after an ICE restart): each arrives once, in order', async () => {
    h = createHarness();
    const { toBob, received, exchange } = await pair();
    toBob.restartIce();
    await flushMicrotasks();
    expect(toBob.state).toBe('connecting');
    expect(h.pcOf('alice').channels[0]?.readyState).toBe('open');
    for (const m of ['q1', 'q2', 'q3']) toBob.send(m);
    await bringUp(exchange);
    expect(toBob.state).toBe('connected');
    expect(received).toEqual(['q1', 'q2', 'q3']);
  });

  it('DC-4 the channel closes halfway through a flush: the unsent rest stays queued in order and goes out on the next channel, once', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, received, exchange } = await pair();
    const channel = h.pcOf('alice').channels[0];
    if (!channel) throw new Error('channel expected');
    // Check-then-send: the channel reads open when the flush starts and closes after two sends.
    const send = channel.send.bind(channel);
    let sends = 0;
    channel.send = (data) => {
      if (++sends === 3) channel.closeFromRemote();
      send(data);
    };
    for (const m of ['c1', 'c2', 'c3', 'c4', 'c5']) toBob.send(m);
    await flushMicrotasks();
    expect(sends).toBe(3);
    expect(toBob.state).toBe('discovering');
    // A new pc after the backoff: the rest (and anything not acknowledged) goes out on it.
    await vi.advanceTimersByTimeAsync(250);
    await bringUp(exchange);
    expect(toBob.state).toBe('connected');
    expect(received).toEqual(['c1', 'c2', 'c3', 'c4', 'c5']);
  });

  it('DC-6 rapid restart and reconnect cycles with messages queued throughout: every message once, in order', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, received, exchange } = await pair();
    let sent = 0;
    const burst = (n: number) => {
      for (let i = 0; i < n; i++) toBob.send(`m${++sent}`);
    };
    for (let cycle = 0; cycle < 6; cycle++) {
      burst(20);
      await exchange(h.pcOf('alice'), h.pcOf('bob')); // some get through, acks may or may not come back
      burst(20);
      if (cycle % 2 === 0) {
        // ICE restart: the same pcs, the channel stays open; frames in flight are lost with the path.
        h.pcOf('alice').setConnectionState('failed');
        await flushMicrotasks();
      } else {
        // Full reconnect: restarts run out, both sides replace their pc after the backoff.
        h.pcOf('alice').setConnectionState('failed');
        await flushMicrotasks();
        await h.quiesce(h.pcOf('alice'), h.pcOf('bob'));
        await vi.advanceTimersByTimeAsync(3_000);
        await vi.advanceTimersByTimeAsync(250);
      }
      burst(20);
      await bringUp(exchange);
      expect(toBob.state).toBe('connected');
    }
    burst(20);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    expect(received).toHaveLength(sent);
    expect(received).toEqual(Array.from({ length: sent }, (_, i) => `m${i + 1}`));
    expect(h.pcs.filter((pc) => pc.closed).length).toBeGreaterThanOrEqual(6);
  });
});

describe('backpressure and bounds', () => {
  it('DC-7 sending pauses at the high-water mark and resumes on bufferedamountlow; nothing is lost', async () => {
    h = createHarness();
    const { toBob, received, exchange } = await pair();
    const channel = h.pcOf('alice').channels[0];
    if (!channel) throw new Error('channel expected');
    const before = channel.sent.length;
    channel.setBufferedAmount(8 * 1024 * 1024); // above the 4 MiB high-water mark
    for (let i = 0; i < 5; i++) toBob.send(`p${i}`);
    await flushMicrotasks();
    expect(channel.sent.length).toBe(before);
    channel.setBufferedAmount(512 * 1024); // below the 1 MiB low-water mark: bufferedamountlow fires
    await flushMicrotasks();
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    expect(received).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
  });

  it('DC-7 a full outbox refuses a new message with a typed error, and writable() resolves once acks free room', async () => {
    h = createHarness();
    const alice = await h.system('alice', { outbox: { maxMessages: 3 } });
    await h.system('bob');
    const toBob = alice.connect('bob');
    for (const m of ['a', 'b', 'c']) toBob.send(m);
    expect(() => toBob.send('d')).toThrowError(expect.objectContaining({ code: 'outbox-full' }));
    let writable = false;
    void toBob.writable().then(() => {
      writable = true;
    });
    await flushMicrotasks();
    expect(writable).toBe(false);
    // Connect: the three go out and bob acknowledges them (a delayed ack, 20 ms).
    await bringUp(link());
    await sleep(30);
    await link()(h.pcOf('alice'), h.pcOf('bob'));
    await flushMicrotasks();
    expect(writable).toBe(true);
    expect(() => toBob.send('d')).not.toThrow();
  });

  it('flushed() resolves only once the remote acknowledged everything sent', async () => {
    h = createHarness();
    const { toBob, exchange } = await pair();
    toBob.send('last words');
    let flushed = false;
    void toBob.flushed().then(() => {
      flushed = true;
    });
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    expect(flushed).toBe(false);
    // bob acknowledges 20 ms after receiving it; the ack travels back over the channel.
    await sleep(30);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    await flushMicrotasks();
    expect(flushed).toBe(true);
  });

  it('a message larger than the channel takes is chunked and reassembled whole', async () => {
    h = createHarness();
    const { toBob, received, exchange } = await pair();
    const big = new Uint8Array(200_000).map((_, i) => i % 251);
    const text = 'x'.repeat(150_000);
    toBob.send(big);
    toBob.send(text);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    expect(received).toHaveLength(2);
    expect(Array.from(received[0] as Uint8Array)).toEqual(Array.from(big));
    expect(received[1]).toBe(text);
    // The fake's maxMessageSize is 64 KiB: no frame was larger.
    expect(
      Math.max(...(h.pcOf('alice').channels[0]?.sent ?? []).map((f) => (f as Uint8Array).byteLength)),
    ).toBeLessThanOrEqual(65_536);
  });

  it('a remote that closed and came back as a new actor starts a new delivery epoch: nothing it sends is taken for a duplicate', async () => {
    h = createHarness();
    const { alice, toBob, received, exchange } = await pair();
    for (const m of ['old1', 'old2', 'old3']) toBob.send(m);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    expect(received).toEqual(['old1', 'old2', 'old3']);
    // alice closes bob (bob's actor stays, with 3 delivered) and connects again: a new actor, numbering from 1.
    toBob.close();
    await h.deliverAll();
    const again = alice.connect('bob');
    expect(again).not.toBe(toBob);
    for (const m of ['new1', 'new2']) again.send(m);
    await flushMicrotasks();
    await bringUp(exchange);
    expect(again.state).toBe('connected');
    expect(received).toEqual(['old1', 'old2', 'old3', 'new1', 'new2']);
  });
});

describe('a remote that restarts with the same peer id (RR)', () => {
  /**
   * The process of `id` dies: its system stops, and nothing it says on the way out (its byes) reaches
   * the hub; the hub only sees its socket close. Its pcs go silent.
   */
  function kill(id: string): void {
    const old = h.systems.get(id) as PeerSystem;
    const sockets = h.hub.sockets.filter((s) => s.joined?.peerId === id);
    void old.stop();
    for (let i = h.hub.queue.length - 1; i >= 0; i--)
      if (sockets.includes((h.hub.queue[i] as { socket: (typeof sockets)[number] }).socket))
        h.hub.queue.splice(i, 1);
  }

  /** `id` starts again: a new system with the same id (a new peer actor), collecting what it receives. */
  async function restart(id: string) {
    kill(id);
    const system = await h.system(id, { maxIceRestarts: 0 });
    const received: (string | Uint8Array)[] = [];
    system.messages$.subscribe((m) => received.push(m.data));
    return { system, received };
  }

  /** alice's transport to the dead process fails; she reconnects on a new pc after the backoff. */
  async function reconnect(exchange: ReturnType<typeof link>, from: PeerHandle) {
    h.pcOf('alice').setConnectionState('failed');
    await flushMicrotasks();
    expect(from.state).toBe('discovering');
    await vi.advanceTimersByTimeAsync(250);
    await bringUp(exchange);
    expect(from.state).toBe('connected');
  }

  /** Lets the receivers' delayed acks go out and reach the senders. */
  async function settleAcks(exchange: ReturnType<typeof link>) {
    await vi.advanceTimersByTimeAsync(30);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
  }

  /** Whether `handle.flushed()` resolved, once the microtasks ran. */
  function flushedFlag(handle: PeerHandle) {
    const flag = { done: false };
    void handle.flushed().then(() => {
      flag.done = true;
    });
    return flag;
  }

  const errorsOf = (system: PeerSystem) => {
    const codes: string[] = [];
    system.errors$.subscribe((e) => codes.push(e.code));
    return codes;
  };

  it('RR-1 bob restarts while alice holds delivered but unacknowledged messages: the new bob gets them once, in order, renumbered; nothing acknowledged is resent', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, received, exchange } = await pair({ maxIceRestarts: 0 });
    for (const m of ['m1', 'm2', 'm3']) toBob.send(m);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    await settleAcks(exchange);
    for (const m of ['m4', 'm5', 'm6']) toBob.send(m);
    await exchange(h.pcOf('alice'), h.pcOf('bob')); // delivered; bob dies before its ack leaves
    expect(received).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const bob2 = await restart('bob');
    const errors = errorsOf(bob2.system);
    await reconnect(exchange, toBob);
    const flushed = flushedFlag(toBob);
    await settleAcks(exchange);
    expect(bob2.received).toEqual(['m4', 'm5', 'm6']);
    expect(errors).toEqual([]);
    expect(flushed.done).toBe(true);
  });

  it('RR-2 bob restarts while alice holds never-sent messages: they reach the new bob once, in order, numbered from 1', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, received, exchange } = await pair({ maxIceRestarts: 0 });
    for (const m of ['m1', 'm2', 'm3']) toBob.send(m);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    await settleAcks(exchange);
    const bob2 = await restart('bob');
    const errors = errorsOf(bob2.system);
    h.pcOf('alice').setConnectionState('failed');
    await flushMicrotasks();
    // Queued while down: never sent on any channel.
    for (const m of ['m4', 'm5', 'm6']) toBob.send(m);
    await vi.advanceTimersByTimeAsync(250);
    await bringUp(exchange);
    expect(toBob.state).toBe('connected');
    const flushed = flushedFlag(toBob);
    await settleAcks(exchange);
    expect(received).toEqual(['m1', 'm2', 'm3']);
    expect(bob2.received).toEqual(['m4', 'm5', 'm6']);
    expect(errors).toEqual([]);
    expect(flushed.done).toBe(true);
  });

  it('RR-3 bob restarts twice while alice streams: each new bob gets what was not acknowledged before it, once, in order', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, received, exchange } = await pair({ maxIceRestarts: 0 });
    for (const m of ['m1', 'm2']) toBob.send(m);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    await settleAcks(exchange);
    toBob.send('m3');
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    const bob2 = await restart('bob');
    await reconnect(exchange, toBob);
    await settleAcks(exchange);
    for (const m of ['m4', 'm5']) toBob.send(m);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    await settleAcks(exchange);
    for (const m of ['m6', 'm7']) toBob.send(m);
    await exchange(h.pcOf('alice'), h.pcOf('bob')); // delivered by bob2, not acknowledged
    const bob3 = await restart('bob');
    const errors = errorsOf(bob3.system);
    toBob.send('m8'); // while the link is dead
    await reconnect(exchange, toBob);
    const flushed = flushedFlag(toBob);
    await settleAcks(exchange);
    expect(received).toEqual(['m1', 'm2', 'm3']);
    expect(bob2.received).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
    expect(bob3.received).toEqual(['m6', 'm7', 'm8']);
    expect(errors).toEqual([]);
    expect(flushed.done).toBe(true);
  });

  it('RR-4 both sides restart in turn with messages held each way: every held message reaches the current remote once, in order', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, toAlice, received, exchange } = await pair({ maxIceRestarts: 0 });
    const atAlice: (string | Uint8Array)[] = [];
    (h.systems.get('alice') as PeerSystem).messages$.subscribe((m) => atAlice.push(m.data));
    for (const m of ['a1', 'a2']) toBob.send(m);
    for (const m of ['b1', 'b2']) toAlice.send(m);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    await settleAcks(exchange);
    toBob.send('a3');
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    // bob restarts: alice renumbers a3 for bob2.
    const bob2 = await restart('bob');
    await reconnect(exchange, toBob);
    await settleAcks(exchange);
    const toAlice2 = bob2.system.peer('alice') as PeerHandle;
    toAlice2.send('b3');
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    await settleAcks(exchange);
    for (const m of ['b4', 'b5']) toAlice2.send(m);
    await exchange(h.pcOf('alice'), h.pcOf('bob')); // alice delivers b4, b5 and dies before acking
    // alice restarts: bob2 renumbers b4, b5 (its 2 and 3) for alice2 from 1.
    kill('alice');
    const alice2 = await h.system('alice', { maxIceRestarts: 0 });
    const atAlice2: (string | Uint8Array)[] = [];
    alice2.messages$.subscribe((m) => atAlice2.push(m.data));
    const errors = errorsOf(alice2);
    const toBob2 = alice2.connect('bob');
    toBob2.send('a4');
    await flushMicrotasks();
    await bringUp(exchange);
    expect(toBob2.state).toBe('connected');
    expect(toAlice2.state).toBe('connected');
    const flushed = flushedFlag(toAlice2);
    await settleAcks(exchange);
    expect(received).toEqual(['a1', 'a2', 'a3']);
    expect(atAlice).toEqual(['b1', 'b2', 'b3', 'b4', 'b5']);
    expect(bob2.received).toEqual(['a3', 'a4']);
    expect(atAlice2).toEqual(['b4', 'b5']);
    expect(errors).toEqual([]);
    expect(flushed.done).toBe(true);
  });

  it('RR-5 a message the receiver refuses (a gap) is not silent: one hello per gap episode, and the sender resends from its resume point', async () => {
    h = createHarness();
    useFakeTime();
    // The link loses the first frame of message 2 (a channel never does; a sender numbering for another remote looks the same).
    let lost = false;
    const exchange = link((raw) => {
      const frame = decodeFrame(toArrayBuffer(raw));
      if (lost || frame.kind !== 'last' || frame.seq !== 2) return false;
      lost = true;
      return true;
    });
    const { toBob, bob, received } = await pair({ maxIceRestarts: 0 }, exchange);
    const errors = errorsOf(bob);
    const channelB = h.pcOf('bob').channels[0];
    if (!channelB) throw new Error('channel expected');
    const hellosOfBob = () =>
      channelB.sent.filter((f) => decodeFrame(toArrayBuffer(f)).kind === 'hello').length;
    const before = hellosOfBob();
    for (const m of ['m1', 'm2', 'm3', 'm4']) toBob.send(m);
    const flushed = flushedFlag(toBob);
    await exchange(h.pcOf('alice'), h.pcOf('bob'));
    await settleAcks(exchange);
    expect(lost).toBe(true);
    // m3 and m4 were refused (two gaps, one episode): one hello; alice resent m2 to m4 after it.
    expect(hellosOfBob() - before).toBe(1);
    expect(errors.filter((code) => code === 'invalid-frame')).toHaveLength(2);
    expect(received).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(toBob.state).toBe('connected');
    expect(flushed.done).toBe(true);
  });
});

describe('resume points and acknowledgements', () => {
  it('DC-8 an ack overtakes the resume point of the hello before it: nothing is renumbered, the next message arrives', async () => {
    h = createHarness();
    const { toBob, toAlice, pcA, pcB, cursors } = await h.connectedPair();
    const atBob: unknown[] = [];
    toAlice.messages$.subscribe((m) => atBob.push(m));
    const errors: string[] = [];
    toBob.errors$.subscribe((e) => errors.push(e.code));
    toAlice.errors$.subscribe((e) => errors.push(e.code));
    const [aliceEnd, bobEnd] = [pcA.channels[0], pcB.channels[0]];
    if (!aliceEnd || !bobEnd) throw new Error('no channel');
    // m1..m3 go out on the channel and stay in flight while alice restarts ICE.
    for (const m of ['m1', 'm2', 'm3']) toBob.send(m);
    await flushMicrotasks();
    toBob.restartIce();
    await flushMicrotasks();
    pcA.settle('createOffer');
    await flushMicrotasks();
    pcA.settle('setLocalDescription');
    await flushMicrotasks();
    // bob takes the restart offer and answers; his answer stays in the hub.
    await h.deliverAll();
    for (let op = pcB.pending()[0]; op; op = pcB.pending()[0]) {
      op.resolve();
      await flushMicrotasks();
    }
    // Then m1..m3 reach bob, after his hello went out: he acknowledges them after it.
    for (; cursors.a < aliceEnd.sent.length; cursors.a++)
      bobEnd.receive(toArrayBuffer(aliceEnd.sent[cursors.a]));
    await flushMicrotasks();
    await sleep(50); // bob's ack timer (20 ms)
    const fromBob = bobEnd.sent.slice(cursors.b).map((f) => decodeFrame(toArrayBuffer(f)));
    expect(fromBob).toMatchObject([
      { kind: 'hello', lastDelivered: 0 },
      { kind: 'ack', delivered: 3 },
    ]);
    // alice takes the hello (its resume point waits for connected) and the ack (it releases m1..m3 at once).
    for (; cursors.b < bobEnd.sent.length; cursors.b++)
      aliceEnd.receive(toArrayBuffer(bobEnd.sent[cursors.b]));
    await flushMicrotasks();
    expect(toBob.state).not.toBe('connected');
    // Now the answer: alice is connected again and resumes from the hello's point, 0.
    await h.quiesce(pcA, pcB);
    expect(toBob.state).toBe('connected');
    toBob.send('m4');
    await flushMicrotasks();
    await exchangeFrames(pcA, pcB, cursors);
    // Before, m4 was numbered 1 again and bob dropped it as a repeat, with no error.
    expect(atBob).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(toAlice.state).toBe('connected');
    expect(errors).toEqual([]);
  });
});
