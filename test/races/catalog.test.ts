/**
 * The rest of the race catalog (docs/races.md) through the public API on the scripted fakes: signaling
 * routing and lifetimes (CB-*), disconnect and reconnect (RC-*), ICE-1. The test picks every
 * interleaving: pc promises, frame deliveries, pc events, timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PeerState, PeerstateError } from '../../src/index.js';
import type { FakeRTCPeerConnection } from '../../src/testing/index.js';
import { flushMicrotasks } from '../support/microtasks.js';
import { useFakeTime } from '../support/time.js';
import type { Harness } from './harness.js';
import { createHarness, exchange, settle } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.stopAll();
  vi.useRealTimers();
});

const framesOn = (socket: { sentFrames: string[] } | undefined) => socket?.sentFrames ?? [];

describe('signaling routing and lifetimes', () => {
  it('CB-1 stop, start again at once, connect to A and B; A fails midway: B is served over the new session, nothing of A is routed', async () => {
    h = createHarness();
    // '0me' sorts before 'a' and 'b': it is the impolite side, so it makes the offers.
    const first = await h.system('0me');
    await h.system('a');
    await h.system('b');
    await first.stop();
    h.systems.delete('0me');
    const again = await h.system('0me');
    const oldSocket = h.hub.sockets[0];
    const newSocket = h.hub.sockets.at(-1);
    const oldFrames = framesOn(oldSocket).length;
    again.connect('a');
    again.connect('b');
    await flushMicrotasks();
    const [toA, toB] = h.pcs.slice(-2);
    if (!toA || !toB) throw new Error('two pcs expected');
    await settle(toA, 'createOffer', { reject: new Error('setup failed') });
    await settle(toB, 'createOffer');
    await settle(toB, 'setLocalDescription');
    toB.gatherCandidate(toB.hostCandidate(1));
    toA.gatherCandidate(toA.hostCandidate(1));
    await flushMicrotasks();
    const sent = framesOn(newSocket).map((f) => JSON.parse(f) as { type: string; to?: string });
    expect(sent.filter((f) => f.type === 'signal' && f.to === 'b').length).toBeGreaterThanOrEqual(2);
    expect(sent.filter((f) => f.type === 'signal' && f.to === 'a')).toEqual([]);
    expect(framesOn(oldSocket)).toHaveLength(oldFrames);
    expect(toA.closed).toBe(true);
  });

  it('CB-3 switching servers: nothing produced under the old session is sent on the new one; the old socket is not heard', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    const errors: PeerstateError[] = [];
    alice.errors$.subscribe((e) => errors.push(e));
    alice.connect('bob');
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    const oldSocket = h.hub.sockets[0];
    alice.switchSignaling('ws://fake-b');
    await flushMicrotasks();
    const newSocket = h.hub.sockets.at(-1);
    expect(newSocket).not.toBe(oldSocket);
    expect(newSocket?.url).toBe('ws://fake-b');
    // The offer and a candidate of the old session's attempt are produced after the switch.
    await settle(pcA, 'createOffer');
    await settle(pcA, 'setLocalDescription');
    pcA.gatherCandidate(pcA.hostCandidate(1));
    await flushMicrotasks();
    expect(framesOn(newSocket).filter((f) => f.includes('"type":"signal"'))).toEqual([]);
    expect(errors.filter((e) => e.code === 'signaling-dropped').length).toBeGreaterThanOrEqual(2);
    // A frame on the old socket is never processed (the socket is closed and unheard).
    oldSocket?.deliverText(JSON.stringify({ v: 1, type: 'presence', peerId: 'mallory', present: true }));
    await flushMicrotasks();
    expect(alice.actor.getSnapshot().context.present.mallory).toBeUndefined();
  });

  it('CB-4 a candidate that fires while the socket is closing is dropped by rule and reported, never sent, never a TypeError', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    const errors: PeerstateError[] = [];
    alice.errors$.subscribe((e) => errors.push(e));
    alice.connect('bob');
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    await settle(pcA, 'createOffer');
    await settle(pcA, 'setLocalDescription');
    const socket = h.hub.sockets[0];
    if (!socket) throw new Error('socket expected');
    const before = socket.sentFrames.length;
    socket.readyState = 2; // CLOSING: its close event has not reached the chart yet
    expect(() => pcA.gatherCandidate(pcA.hostCandidate(1))).not.toThrow();
    await flushMicrotasks();
    expect(socket.sentFrames).toHaveLength(before);
    expect(errors.map((e) => e.code)).toContain('signaling-dropped');
  });

  it('CB-5 candidates gathered before the offer is out are not lost: the remote keeps them until the offer', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    alice.connect('bob');
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    // Gathering starts inside setLocalDescription: candidates fire before the offer is sent.
    pcA.settle('createOffer');
    await flushMicrotasks();
    pcA.gatherCandidate(pcA.hostCandidate(1));
    pcA.gatherCandidate(pcA.hostCandidate(2));
    await settle(pcA, 'setLocalDescription');
    await h.deliverAll();
    const pcB = h.pcOf('bob');
    await h.quiesce(pcA, pcB);
    expect(pcB.appliedCandidates.map((c) => c?.candidate)).toEqual(
      [1, 2].map((n) => pcA.hostCandidate(n).candidate),
    );
  });

  it('ICE-1 a remote candidate that arrives before the pc exists is buffered, then applied after the remote description', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const bob = await h.system('bob');
    alice.connect('bob');
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    pcA.settle('createOffer');
    await flushMicrotasks();
    pcA.gatherCandidate(pcA.hostCandidate(1));
    await flushMicrotasks();
    // Deliver only the candidate: bob's actor exists, but no pc yet.
    expect(h.hub.deliver((d) => d.includes('"type":"candidate"') && d.includes('hub'))).toBe(true);
    await flushMicrotasks();
    h.hub.deliver((d) => d.startsWith('hub → bob'));
    await flushMicrotasks();
    expect(bob.peer('alice')?.actor.getSnapshot().context.bufferedCandidates).toHaveLength(1);
    expect(h.pcs.filter((pc) => pc !== pcA)).toEqual([]);
    await settle(pcA, 'setLocalDescription');
    await h.quiesce(pcA);
    const pcB = h.pcOf('bob');
    await h.quiesce(pcA, pcB);
    expect(pcB.appliedCandidates.map((c) => c?.candidate)).toEqual([pcA.hostCandidate(1).candidate]);
  });

  it('CB-9 a result that comes back after its state was left changes nothing; the state follows the chart', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    const toBob = alice.connect('bob');
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    const states: PeerState[] = [];
    toBob.state$.subscribe((s) => states.push(s));
    // A new signaling session restarts negotiation while the first createOffer is still pending.
    h.hub.sockets[0]?.closeFromServer();
    await flushMicrotasks();
    alice.retrySignaling();
    await flushMicrotasks();
    h.hub.openAll();
    await h.deliverAll();
    // The stale createOffer resolves first: its offer must not be sent on any session.
    await settle(pcA, 'createOffer');
    await settle(pcA, 'setLocalDescription');
    await flushMicrotasks();
    const offers = h.hub.sockets.flatMap((s) => s.sentFrames).filter((f) => f.includes('"type":"offer"'));
    expect(offers.length).toBeLessThanOrEqual(1);
    expect(states.at(-1)).toBe('connecting');
    const pending = pcA.pending('createOffer');
    expect(pending).toHaveLength(1);
    await settle(pcA, 'createOffer');
    await settle(pcA, 'setLocalDescription');
    const newest = h.hub.sockets.at(-1)?.sentFrames.filter((f) => f.includes('"type":"offer"')) ?? [];
    expect(newest).toHaveLength(1);
  });

  it('CB-10 one event seen through two paths (onopen and addEventListener) is handled once', async () => {
    h = createHarness();
    const { pcA, pcB } = await h.connectedPair();
    const helloFrames = (pc: FakeRTCPeerConnection) =>
      (pc.channels[0]?.sent ?? []).filter((f) => (f as Uint8Array)[0] === 0).length;
    // FakeDataChannel.open() fires both the `onopen` handler and the `open` event listeners.
    expect(helloFrames(pcA)).toBe(1);
    expect(helloFrames(pcB)).toBe(1);
  });
});

describe('disconnect and reconnect', () => {
  it('RC-1 connectedness is one state value; the heartbeat stops on leaving connected', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, pcA } = await h.connectedPair();
    const channel = pcA.channels[0];
    if (!channel) throw new Error('channel expected');
    const pingsAt = () => channel.sent.filter((f) => (f as Uint8Array)[0] === 3).length;
    await vi.advanceTimersByTimeAsync(1_000);
    const whileConnected = pingsAt();
    expect(whileConnected).toBeGreaterThan(0);
    expect(toBob.actor.getSnapshot().value).toEqual({ live: { connected: 'stable' } });
    toBob.restartIce();
    await flushMicrotasks();
    expect(toBob.state).toBe('connecting');
    await vi.advanceTimersByTimeAsync(2_000);
    expect(pingsAt()).toBe(whileConnected);
  });

  it('RC-2 the channel ends and the user closes at the same time: one cleanup, one notification', async () => {
    h = createHarness();
    const { toBob, pcA } = await h.connectedPair();
    const states: PeerState[] = [];
    toBob.state$.subscribe((s) => states.push(s));
    pcA.channels[0]?.closeFromRemote();
    toBob.close();
    await flushMicrotasks();
    expect(states.filter((s) => s === 'closed')).toEqual(['closed']);
    expect(pcA.closeCalls).toBe(1);
  });

  it('RC-3 a listener that unsubscribes while it is being called is not called again, and nothing crashes', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const toBob = alice.connect('bob'); // bob is not there yet: alice is discovering
    const seen: PeerState[] = [];
    // `discovering` is emitted during subscribe; the listener unsubscribes on the next one (connecting).
    const subscription = toBob.state$.subscribe((s) => {
      seen.push(s);
      if (seen.length === 2) subscription.unsubscribe();
    });
    const other: PeerState[] = [];
    toBob.state$.subscribe((s) => other.push(s));
    await h.system('bob');
    await flushMicrotasks();
    await h.quiesce(h.pcOf('alice'));
    toBob.close();
    await flushMicrotasks();
    expect(seen).toEqual(['discovering', 'connecting']);
    expect(other.at(-1)).toBe('closed');
    expect(other.length).toBeGreaterThan(seen.length);
  });

  it('RC-5 a heartbeat tick after the channel closed sends nothing on it and throws nothing', async () => {
    h = createHarness();
    useFakeTime();
    const { pcA } = await h.connectedPair();
    const channel = pcA.channels[0];
    if (!channel) throw new Error('channel expected');
    channel.readyState = 'closed'; // closed, its close event not yet delivered
    const before = channel.sent.length;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(channel.sent).toHaveLength(before);
  });

  it('RC-6 every snapshot a reader takes is a consistent whole', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    const toBob = alice.connect('bob');
    const problems: string[] = [];
    toBob.actor.subscribe((snapshot) => {
      const { context } = snapshot;
      if (
        snapshot.matches({ live: { connecting: { remoteCandidates: 'applying' } } }) &&
        context.bufferedCandidates.length > 0
      ) {
        problems.push('applying with a non-empty buffer');
      }
      if (snapshot.matches({ live: 'connected' }) && context.remoteUfrag === null)
        problems.push('connected without a remote ufrag');
      if (snapshot.matches({ live: 'connected' }) && context.error !== null)
        problems.push('connected with an error');
    });
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    await h.quiesce(pcA);
    const pcB = h.pcOf('bob');
    pcA.gatherCandidate(pcA.hostCandidate(1));
    await h.quiesce(pcA, pcB);
    for (const pc of [pcA, pcB]) pc.setConnectionState('connected');
    for (const pc of [pcA, pcB]) pc.channels[0]?.open();
    await flushMicrotasks();
    await exchange(pcA, pcB);
    expect(toBob.state).toBe('connected');
    expect(problems).toEqual([]);
  });

  it('RC-7 close requested from three places at once (transport error, user, system stop): one cleanup, one final state', async () => {
    h = createHarness();
    const { alice, toBob, pcA } = await h.connectedPair();
    const states: PeerState[] = [];
    toBob.state$.subscribe((s) => states.push(s));
    pcA.setConnectionState('failed');
    toBob.close();
    const stopped = alice.stop();
    toBob.close();
    await stopped;
    expect(states.filter((s) => s === 'closed')).toEqual(['closed']);
    expect(toBob.actor.getSnapshot().status).toBe('done');
    expect(pcA.closeCalls).toBe(1);
  });

  it('RC-11 a hello of the remote pc we already knew, overtaken by its bye, starts nothing: the peer stays disconnected', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const bob = await h.system('bob');
    const toBob = alice.connect('bob');
    const toAlice = bob.connect('alice');
    await flushMicrotasks();
    // bob (polite) asked with a hello; the server holds it back while everything else goes through.
    const isHello = (d: string) => d.includes('"type":"hello"');
    const pcA = h.pcOf('alice');
    const pcB = h.pcOf('bob');
    for (let progressed = true; progressed; ) {
      progressed = false;
      while (h.hub.deliver((d) => !isHello(d))) await flushMicrotasks();
      for (const pc of [pcA, pcB]) {
        const op = pc.pending()[0];
        if (op) {
          op.resolve();
          await flushMicrotasks();
          progressed = true;
        }
      }
    }
    expect(pcA.remoteDescription?.type).toBe('answer');
    toAlice.close();
    await flushMicrotasks();
    while (h.hub.deliver((d) => !isHello(d))) await flushMicrotasks();
    expect(toBob.state).toBe('disconnected');
    const pcsBefore = h.pcs.length;
    // Now the old hello arrives.
    while (h.hub.deliver()) await flushMicrotasks();
    expect(toBob.state).toBe('disconnected');
    expect(h.pcs).toHaveLength(pcsBefore);
  });
});
