/**
 * The heartbeat's round trip on the scripted fakes with fake time: our ping carries a token, the
 * remote echoes it in a pong, and `deliveryFigures(...).roundTripMs` is the time between the two.
 * A hostile remote's pongs and pings are bounded: an unsolicited or repeated pong changes no figure,
 * a ping flood gets a few pongs a period, and neither moves the peer out of `connected`.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createInspectorFeed } from '../../src/node/inspector/feed.js';
import { decodeFrame, encodePing, encodePong, HEADER_BYTES, PONG_MARK } from '../../src/protocol/frames.js';
import type { Harness } from '../races/harness.js';
import { createHarness, exchange } from '../races/harness.js';
import { toArrayBuffer } from '../support/bytes.js';
import { flushMicrotasks } from '../support/microtasks.js';
import { useFakeTime } from '../support/time.js';

let h: Harness;
afterEach(async () => {
  vi.useRealTimers();
  await h?.stopAll();
});

/** Heartbeat period of the harness's systems (the default), in ms. */
const PERIOD_MS = 500;

/** alice and bob connected on the fakes under fake time, with alice's end of the channel. */
async function connectedPair() {
  h = createHarness();
  useFakeTime();
  const pair = await h.connectedPair();
  const channel = pair.pcA.channels[0];
  if (!channel) throw new Error('channel expected');
  return { ...pair, channel };
}

/** The frames of `sent` from `from` on, decoded. */
const decoded = (sent: readonly unknown[], from = 0) =>
  sent.slice(from).map((f) => decodeFrame(toArrayBuffer(f)));

describe('pings and pongs on the wire', () => {
  it('a ping carries its token; a pong is the same kind with the one-byte mark, readable as a ping by an older peer', () => {
    expect(decodeFrame(toArrayBuffer(encodePing(7)))).toEqual({ kind: 'ping', token: 7 });
    expect(decodeFrame(toArrayBuffer(encodePing()))).toEqual({ kind: 'ping', token: 0 });
    const pong = encodePong(7);
    expect(pong[0]).toBe(encodePing(7)[0]);
    expect([...pong.subarray(HEADER_BYTES)]).toEqual([PONG_MARK]);
    expect(decodeFrame(toArrayBuffer(pong))).toEqual({ kind: 'pong', token: 7 });
    const odd = new Uint8Array([...encodePing(7), 9]);
    expect(decodeFrame(toArrayBuffer(odd)).kind).toBe('invalid');
  });
});

describe('the last heartbeat round trip', () => {
  it('is null until a pong comes back, then the ms from our ping to the remote’s pong of it', async () => {
    const { alice, pcA, pcB, cursors } = await connectedPair();
    expect(alice.deliveryFigures('bob')?.roundTripMs).toBeNull();
    await vi.advanceTimersByTimeAsync(PERIOD_MS);
    const pings = decoded(pcA.channels[0]?.sent ?? [], cursors.a).filter((f) => f.kind === 'ping');
    expect(pings).toEqual([{ kind: 'ping', token: 1 }]);
    // The frames cross 37 ms later: the pong comes back at once.
    await vi.advanceTimersByTimeAsync(37);
    await exchange(pcA, pcB, cursors);
    expect(alice.deliveryFigures('bob')?.roundTripMs).toBe(37);
    expect(h.systems.get('bob')?.deliveryFigures('alice')?.roundTripMs).toBe(37);
    // The next ping, answered after 120 ms: the figure is the last round trip.
    await vi.advanceTimersByTimeAsync(PERIOD_MS - 37);
    await vi.advanceTimersByTimeAsync(120);
    await exchange(pcA, pcB, cursors);
    expect(alice.deliveryFigures('bob')?.roundTripMs).toBe(120);
  });

  it('is the figure the inspector shows for the peer', async () => {
    const { alice, pcA, pcB, cursors } = await connectedPair();
    const feed = createInspectorFeed({ throttleMs: 50, figuresIntervalMs: 50 });
    feed.attach(alice);
    await vi.advanceTimersByTimeAsync(50);
    expect(feed.current().peers[0]?.figures.roundTripMs).toBeNull();
    await vi.advanceTimersByTimeAsync(PERIOD_MS - 50 + 12);
    await exchange(pcA, pcB, cursors);
    await vi.advanceTimersByTimeAsync(50);
    expect(feed.current().peers[0]?.figures.roundTripMs).toBe(12);
    feed.close();
  });

  it('a pong for no ping of ours, or one already answered, changes nothing; the peer stays connected', async () => {
    const { alice, toBob, pcA, pcB, cursors, channel } = await connectedPair();
    const errors: string[] = [];
    alice.errors$.subscribe((e) => errors.push(e.code));
    await vi.advanceTimersByTimeAsync(PERIOD_MS + 10);
    await exchange(pcA, pcB, cursors);
    expect(alice.deliveryFigures('bob')?.roundTripMs).toBe(10);
    await vi.advanceTimersByTimeAsync(200);
    // Forged: the token already answered, a token never sent, a far one and 0.
    for (const token of [1, 2, 99, 2 ** 53 - 1, 0]) channel.receive(toArrayBuffer(encodePong(token)));
    for (let i = 0; i < 1_000; i++) channel.receive(toArrayBuffer(encodePong(1_000 + i)));
    await flushMicrotasks();
    expect(alice.deliveryFigures('bob')?.roundTripMs).toBe(10);
    expect(toBob.state).toBe('connected');
    expect(errors).toEqual([]);
  });

  it('a pong of an earlier ping still counts, and retires the pings before it', async () => {
    const { alice, channel } = await connectedPair();
    // Two pings go out (tokens 1 and 2), their pongs do not come: the remote is slow.
    await vi.advanceTimersByTimeAsync(2 * PERIOD_MS + 30);
    channel.receive(toArrayBuffer(encodePong(2)));
    await flushMicrotasks();
    expect(alice.deliveryFigures('bob')?.roundTripMs).toBe(30);
    await vi.advanceTimersByTimeAsync(5);
    channel.receive(toArrayBuffer(encodePong(1)));
    await flushMicrotasks();
    expect(alice.deliveryFigures('bob')?.roundTripMs).toBe(30);
  });

  it('a ping flood gets at most 4 pongs a heartbeat period; pings with token 0 (older peers) get none', async () => {
    const { toBob, channel } = await connectedPair();
    const pongs = (from: number) => decoded(channel.sent, from).filter((f) => f.kind === 'pong').length;
    let from = channel.sent.length;
    for (let i = 0; i < 100; i++) channel.receive(toArrayBuffer(encodePing(0)));
    expect(pongs(from)).toBe(0);
    for (let i = 1; i <= 1_000; i++) channel.receive(toArrayBuffer(encodePing(i)));
    expect(pongs(from)).toBe(4);
    from = channel.sent.length;
    await vi.advanceTimersByTimeAsync(PERIOD_MS);
    for (let i = 1; i <= 1_000; i++) channel.receive(toArrayBuffer(encodePing(i)));
    expect(pongs(from)).toBe(4);
    await flushMicrotasks();
    expect(toBob.state).toBe('connected');
  });
});
