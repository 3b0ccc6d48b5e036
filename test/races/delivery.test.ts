/**
 * Delivery guarantees (docs/races.md DC-1, DC-6, DC-7, and chunking) on the scripted fakes: messages
 * accepted by `send` reach the remote application once and in order across ICE restarts and full
 * reconnects; backpressure pauses and resumes sending; a full outbox refuses, never drops.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PeerHandle } from '../../src/index.js';
import type { FakeRTCPeerConnection } from '../../src/testing/index.js';
import { toArrayBuffer } from '../support/bytes.js';
import { flushMicrotasks } from '../support/microtasks.js';
import { sleep, useFakeTime } from '../support/time.js';
import type { Harness } from './harness.js';
import { createHarness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.stopAll();
  vi.useRealTimers();
});

/** A link between the newest pcs of alice and bob that moves channel frames when asked. */
function link() {
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
          if (into.readyState === 'open') into.receive(toArrayBuffer(out.sent[cursor]));
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

async function pair() {
  const alice = await h.system('alice', { maxIceRestarts: 1 });
  const bob = await h.system('bob', { maxIceRestarts: 1 });
  const toBob = alice.connect('bob');
  await flushMicrotasks();
  const received: (string | Uint8Array)[] = [];
  bob.messages$.subscribe((m) => received.push(m.data));
  const exchange = link();
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
