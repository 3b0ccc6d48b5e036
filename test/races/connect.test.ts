/**
 * Race catalog scenarios (docs/races.md) driven through the public API on the scripted fakes: every pc
 * promise is settled, every signaling frame delivered and every pc event fired by the test, in the
 * order each test picks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNALING_CHILD_ID } from '../../machines/system.js';
import type { PeerHandle, PeerstateError } from '../../src/index.js';
import { decodeFrame } from '../../src/protocol/frames.js';
import type { FakeRTCPeerConnection } from '../../src/testing/index.js';
import { toArrayBuffer } from '../support/bytes.js';
import { flushMicrotasks } from '../support/microtasks.js';
import type { Harness } from './harness.js';
import { createHarness, exchange, link, settle } from './harness.js';

let h: Harness;
const text = new TextDecoder();
afterEach(async () => {
  await h.stopAll();
});

/** alice (impolite, offers) → bob: offer made and delivered; bob's setRemoteDescription pending. */
async function offerDelivered(): Promise<{ pcA: FakeRTCPeerConnection; pcB: FakeRTCPeerConnection }> {
  const alice = await h.system('alice');
  await h.system('bob');
  alice.connect('bob');
  await flushMicrotasks();
  const pcA = h.pcOf('alice');
  await settle(pcA, 'createOffer');
  await settle(pcA, 'setLocalDescription');
  await h.deliverAll();
  return { pcA, pcB: h.pcOf('bob') };
}

describe('remote candidate buffer', () => {
  it('ICE-2 a candidate after the pc exists but before the remote description is set is buffered, not applied', async () => {
    h = createHarness();
    const { pcA, pcB } = await offerDelivered();
    pcA.gatherCandidate(pcA.hostCandidate(1));
    await h.deliverAll();
    expect(pcB.pending('setRemoteDescription')).toHaveLength(1);
    expect(pcB.operations.filter((op) => op.name === 'addIceCandidate')).toHaveLength(0);
    expect(pcB.appliedCandidates).toEqual([]);
  });

  it('ICE-4 setRemoteDescription completing drains the buffer in arrival order, each once, before any later candidate', async () => {
    h = createHarness();
    const { pcA, pcB } = await offerDelivered();
    const [c1, c2, c3] = [pcA.hostCandidate(1), pcA.hostCandidate(2), pcA.hostCandidate(3)];
    pcA.gatherCandidate(c1);
    pcA.gatherCandidate(c2);
    await h.deliverAll();
    await settle(pcB, 'setRemoteDescription');
    // c3 arrives while the drain is still applying c1 and c2.
    pcA.gatherCandidate(c3);
    await h.deliverAll();
    await h.quiesce(pcB);
    expect(pcB.appliedCandidates.map((c) => c?.candidate)).toEqual([
      c1.candidate,
      c2.candidate,
      c3.candidate,
    ]);
  });

  it('ICE-3 the offerer buffers candidates until the answer is applied', async () => {
    h = createHarness();
    const { pcA, pcB } = await offerDelivered();
    await settle(pcB, 'setRemoteDescription');
    await settle(pcB, 'createAnswer');
    await settle(pcB, 'setLocalDescription');
    pcB.gatherCandidate(pcB.hostCandidate(7));
    await h.deliverAll();
    // alice has the answer and bob's candidate, but setRemoteDescription(answer) has not settled.
    expect(pcA.pending('setRemoteDescription')).toHaveLength(1);
    expect(pcA.operations.filter((op) => op.name === 'addIceCandidate')).toHaveLength(0);
    await h.quiesce(pcA);
    expect(pcA.appliedCandidates.map((c) => c?.candidate)).toEqual([pcB.hostCandidate(7).candidate]);
  });

  it('ICE-5 a flood before the remote description keeps the first maxBufferedCandidates and reports each dropped one', async () => {
    h = createHarness();
    const { pcA, pcB } = await offerDelivered();
    const errors: PeerstateError[] = [];
    h.systems.get('bob')?.errors$.subscribe((e) => errors.push(e));
    for (let n = 1; n <= 6; n++) pcA.gatherCandidate(pcA.hostCandidate(n));
    await h.deliverAll();
    await h.quiesce(pcB);
    // The harness bounds the buffer at 4: the earliest four are kept, the newer two dropped and reported.
    expect(pcB.appliedCandidates.map((c) => c?.candidate)).toEqual(
      [1, 2, 3, 4].map((n) => pcA.hostCandidate(n).candidate),
    );
    expect(errors.map((e) => e.code)).toEqual(['candidate-overflow', 'candidate-overflow']);
  });

  it('ICE-7 end-of-candidates (null) is buffered and applied like any candidate, without error', async () => {
    h = createHarness();
    const { pcA, pcB } = await offerDelivered();
    const errors: PeerstateError[] = [];
    h.systems.get('bob')?.errors$.subscribe((e) => errors.push(e));
    pcA.gatherCandidate(pcA.hostCandidate(1));
    pcA.gatherCandidate(null);
    await h.deliverAll();
    await h.quiesce(pcB);
    expect(pcB.appliedCandidates).toHaveLength(2);
    expect(pcB.appliedCandidates[1]).toBeNull();
    expect(errors).toEqual([]);
  });
});

describe('routing between peers', () => {
  it('CB-8 two peers trickle concurrently: each candidate goes to its own peer, once', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    await h.system('carol');
    alice.connect('bob');
    alice.connect('carol');
    await flushMicrotasks();
    const [toBob, toCarol] = h.pcs;
    if (!toBob || !toCarol) throw new Error('two pcs expected');
    for (const pc of [toBob, toCarol]) {
      await settle(pc, 'createOffer');
      await settle(pc, 'setLocalDescription');
    }
    for (let n = 1; n <= 3; n++) {
      toBob.gatherCandidate(toBob.hostCandidate(n));
      toCarol.gatherCandidate(toCarol.hostCandidate(n));
    }
    const sent = (socketOf: string) =>
      h.hub.queue
        .filter((q) => q.describe.startsWith(`${socketOf} → hub`) && q.describe.includes('"candidate":{'))
        .map(
          (q) =>
            JSON.parse(q.describe.slice(q.describe.indexOf('{'))) as {
              to: string;
              signal: { candidate: { candidate: string } };
            },
        );
    const frames = sent('alice');
    expect(frames.filter((f) => f.to === 'bob').map((f) => f.signal.candidate.candidate)).toEqual(
      [1, 2, 3].map((n) => toBob.hostCandidate(n).candidate),
    );
    expect(frames.filter((f) => f.to === 'carol').map((f) => f.signal.candidate.candidate)).toEqual(
      [1, 2, 3].map((n) => toCarol.hostCandidate(n).candidate),
    );
  });

  it('CB-7 offers from two peers whose handling interleaves: each answer goes to the peer it answers', async () => {
    h = createHarness();
    const zed = await h.system('zed'); // greater id: polite, answers both
    const bob = await h.system('bob');
    const carol = await h.system('carol');
    bob.connect('zed');
    carol.connect('zed');
    await flushMicrotasks();
    const [pcBob, pcCarol] = h.pcs;
    if (!pcBob || !pcCarol) throw new Error('two pcs expected');
    for (const pc of [pcBob, pcCarol]) {
      await settle(pc, 'createOffer');
      await settle(pc, 'setLocalDescription');
    }
    await h.deliverAll();
    expect(zed.peer('bob')).toBeDefined();
    expect(zed.peer('carol')).toBeDefined();
    const zedPcs = h.pcs.slice(2);
    const forBob = zedPcs.find(
      (pc) =>
        (pc.pending('setRemoteDescription')[0]?.args[0] as RTCSessionDescriptionInit | undefined)?.sdp ===
        pcBob.localDescription?.sdp,
    );
    const forCarol = zedPcs.find((pc) => pc !== forBob);
    if (!forBob || !forCarol) throw new Error('zed has one pc per offer');
    // Carol's offer is handled first although Bob's arrived first.
    await h.quiesce(forCarol);
    await h.quiesce(forBob);
    await h.deliverAll();
    expect(pcBob.pending('setRemoteDescription')[0]?.args[0]).toEqual({
      type: 'answer',
      sdp: forBob.localDescription?.sdp,
    });
    expect(pcCarol.pending('setRemoteDescription')[0]?.args[0]).toEqual({
      type: 'answer',
      sdp: forCarol.localDescription?.sdp,
    });
  });

  it('state$ subscribed late starts from the state at subscription, not at handle creation', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const toBob = alice.connect('bob'); // discovering when the handle is made
    toBob.close();
    await flushMicrotasks();
    const first: string[] = [];
    toBob.state$.subscribe((s) => first.push(s));
    expect(first).toEqual(['closed']);
    const signaling: string[] = [];
    alice.signaling$.subscribe((s) => signaling.push(s));
    expect(signaling).toEqual(['open']);
    await expect(alice.signalingOpen()).resolves.toBeUndefined();
  });

  it('state$ emits every public state in order, also those entered and left in one step, then completes with the actor', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    const toBob = alice.connect('bob');
    const seen: string[] = [];
    let completed = false;
    toBob.state$.subscribe({ next: (s) => seen.push(s), complete: () => (completed = true) });
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    await h.quiesce(pcA);
    const pcB = h.pcOf('bob');
    // bob is up first and says hello; it reaches alice while her transport is still checking. When
    // it connects, alice enters handshaking and connected in one step.
    await h.quiesce(pcA, pcB);
    pcB.setConnectionState('connected');
    for (const pc of [pcA, pcB]) pc.channels[0]?.open();
    await flushMicrotasks();
    await exchange(pcA, pcB);
    expect(toBob.state).toBe('connecting');
    pcA.setConnectionState('connected');
    await flushMicrotasks();
    await exchange(pcA, pcB);
    expect(toBob.state).toBe('connected');
    toBob.close();
    await flushMicrotasks();
    expect(seen).toEqual(['connecting', 'handshaking', 'connected', 'closed']);
    expect(completed).toBe(true);
  });

  it("RV-6 no message is emitted before state$ says connected: the remote's first messages that overtake our handshake wait, in order", async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const bob = await h.system('bob');
    const toBob = alice.connect('bob');
    const log: string[] = [];
    toBob.state$.subscribe((s) => log.push(`state:${s}`));
    toBob.messages$.subscribe((m) => log.push(`message:${String(m)}`));
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    await h.quiesce(pcA);
    const pcB = h.pcOf('bob');
    const toAlice = bob.peer('alice');
    toAlice?.send('early 1');
    toAlice?.send('early 2');
    await h.quiesce(pcA, pcB);
    // bob is up first: his hello and first messages reach alice while her transport still checks.
    pcB.setConnectionState('connected');
    for (const pc of [pcA, pcB]) pc.channels[0]?.open();
    await flushMicrotasks();
    await exchange(pcA, pcB);
    expect(toBob.state).toBe('connecting');
    expect(log).toEqual(['state:connecting']);
    pcA.setConnectionState('connected');
    await flushMicrotasks();
    await exchange(pcA, pcB);
    expect(log).toEqual([
      'state:connecting',
      'state:handshaking',
      'state:connected',
      'message:early 1',
      'message:early 2',
    ]);
  });

  it('RV-6 messages waiting for connected are bounded: one that does not fit is refused unacknowledged and comes again after the resume', async () => {
    h = createHarness();
    const alice = await h.system('alice', { maxMessageBytes: 10 });
    const bob = await h.system('bob');
    const toBob = alice.connect('bob');
    const got: string[] = [];
    const errors: string[] = [];
    toBob.messages$.subscribe((m) => got.push(String(m)));
    toBob.errors$.subscribe((e) => errors.push(e.code));
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    await h.quiesce(pcA);
    const pcB = h.pcOf('bob');
    const toAlice = bob.peer('alice');
    for (const m of ['aaaa', 'bbbb', 'cccc']) toAlice?.send(m);
    await h.quiesce(pcA, pcB);
    pcB.setConnectionState('connected');
    for (const pc of [pcA, pcB]) pc.channels[0]?.open();
    await flushMicrotasks();
    await exchange(pcA, pcB);
    // 8 of 10 bytes wait; the third would not fit.
    expect(got).toEqual([]);
    expect(errors).toContain('invalid-frame');
    pcA.setConnectionState('connected');
    await flushMicrotasks();
    await exchange(pcA, pcB);
    expect(toBob.state).toBe('connected');
    expect(got).toEqual(['aaaa', 'bbbb', 'cccc']);
  });

  it('RC-9 connect(peerId) twice at once: one actor, one RTCPeerConnection', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    const first = alice.connect('bob');
    const second = alice.connect('bob');
    await flushMicrotasks();
    expect(second).toBe(first);
    expect(h.pcs).toHaveLength(1);
    expect(
      Object.keys(alice.actor.getSnapshot().children).filter((id) => id !== SIGNALING_CHILD_ID),
    ).toHaveLength(1);
  });
});

describe('incoming peers', () => {
  it('incoming$ carries the peers that reached us first, never one we connected to ourselves', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const bob = await h.system('bob');
    const incoming = { alice: [] as string[], bob: [] as PeerHandle[] };
    alice.incoming$.subscribe((peer) => incoming.alice.push(peer.id));
    bob.incoming$.subscribe((peer) => incoming.bob.push(peer));
    const toBob = alice.connect('bob');
    await flushMicrotasks();
    await h.quiesce(h.pcOf('alice'));
    await h.quiesce(h.pcOf('alice'), h.pcOf('bob'));
    expect(toBob.state).toBe('connecting');
    expect(incoming.alice).toEqual([]);
    expect(incoming.bob.map((peer) => peer.id)).toEqual(['alice']);
    // The same handle as `peer()` gives: one handle per actor.
    expect(incoming.bob[0]).toBe(bob.peer('alice'));
  });

  it('both sides connect at once: neither peer is incoming', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const bob = await h.system('bob');
    const incoming: string[] = [];
    alice.incoming$.subscribe((peer) => incoming.push(`alice<-${peer.id}`));
    bob.incoming$.subscribe((peer) => incoming.push(`bob<-${peer.id}`));
    alice.connect('bob');
    bob.connect('alice');
    await flushMicrotasks();
    await h.quiesce(...h.pcs);
    await h.quiesce(...h.pcs);
    expect(h.pcs.length).toBeGreaterThanOrEqual(2);
    expect(incoming).toEqual([]);
  });
});

describe('handshake and delivery', () => {
  /** Drives alice → bob to connected; returns the pcs and the frame cursors. */
  async function connected() {
    const { pcA, pcB } = await offerDelivered();
    await h.quiesce(pcA, pcB);
    for (const pc of [pcA, pcB]) pc.setConnectionState('connected');
    for (const pc of [pcA, pcB]) pc.channels[0]?.open();
    await flushMicrotasks();
    const cursors = await exchange(pcA, pcB);
    return { pcA, pcB, cursors };
  }

  it('a remote hello that arrives while this side is still connecting is kept: both reach connected', async () => {
    h = createHarness();
    const { pcA, pcB } = await offerDelivered();
    await h.quiesce(pcA, pcB);
    // alice is up first and says hello; bob's channel is open but his transport is not connected yet.
    pcA.setConnectionState('connected');
    pcA.channels[0]?.open();
    pcB.channels[0]?.open();
    await flushMicrotasks();
    const cursors = await exchange(pcA, pcB);
    expect(h.systems.get('bob')?.peer('alice')?.state).toBe('connecting');
    pcB.setConnectionState('connected');
    await flushMicrotasks();
    await exchange(pcA, pcB, cursors);
    expect(h.systems.get('alice')?.peer('bob')?.state).toBe('connected');
    expect(h.systems.get('bob')?.peer('alice')?.state).toBe('connected');
  });

  it('DC-2 messages queued while connecting are sent once, in order, after open', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    const toBob = alice.connect('bob');
    for (const m of ['one', 'two', 'three']) toBob.send(m);
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    await settle(pcA, 'createOffer');
    await settle(pcA, 'setLocalDescription');
    await h.deliverAll();
    const pcB = h.pcOf('bob');
    await h.quiesce(pcA, pcB);
    await link(pcA, pcB);
    const data = (pcA.channels[0]?.sent ?? [])
      .map((f) => decodeFrame(toArrayBuffer(f)))
      .filter((f) => f.kind === 'last');
    expect(data.map((f) => (f.kind === 'last' ? text.decode(f.bytes) : ''))).toEqual(['one', 'two', 'three']);
  });

  it('DC-3 both open paths fire (open event twice, state already open): no message is sent twice', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await h.system('bob');
    const toBob = alice.connect('bob');
    toBob.send('once');
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    await settle(pcA, 'createOffer');
    await settle(pcA, 'setLocalDescription');
    await h.deliverAll();
    const pcB = h.pcOf('bob');
    await h.quiesce(pcA, pcB);
    for (const pc of [pcA, pcB]) pc.setConnectionState('connected');
    for (const pc of [pcA, pcB]) {
      pc.channels[0]?.open();
      pc.channels[0]?.open();
    }
    await flushMicrotasks();
    await exchange(pcA, pcB);
    const data = (pcA.channels[0]?.sent ?? [])
      .map((f) => decodeFrame(toArrayBuffer(f)))
      .filter((f) => f.kind === 'last');
    expect(data).toHaveLength(1);
  });

  it('DC-5 send() throws: the message stays queued in order, an error is reported, nothing escapes; the next flush sends it', async () => {
    h = createHarness();
    const { pcA } = await connected();
    const alice = h.systems.get('alice');
    const errors: PeerstateError[] = [];
    alice?.errors$.subscribe((e) => errors.push(e));
    const toBob = alice?.peer('bob');
    const channel = pcA.channels[0];
    if (!toBob || !channel) throw new Error('connected pair expected');
    const before = channel.sent.length;
    const sentData = () =>
      channel.sent
        .slice(before)
        .map((f) => decodeFrame(toArrayBuffer(f)))
        .filter((f) => f.kind === 'last')
        .map((f) => (f.kind === 'last' ? text.decode(f.bytes) : ''));
    toBob.send('m1');
    channel.failNextSend();
    expect(() => toBob.send('m2')).not.toThrow();
    await flushMicrotasks();
    expect(sentData()).toEqual(['m1']);
    expect(errors.map((e) => e.code)).toEqual(['send-failed']);
    // The next flush sends the message that failed first, then the new one: order kept, nothing twice.
    toBob.send('m3');
    await flushMicrotasks();
    expect(sentData()).toEqual(['m1', 'm2', 'm3']);
  });

  it('RC-4 send() on a closed peer is refused with a typed error, never a TypeError', async () => {
    h = createHarness();
    await connected();
    const toBob = h.systems.get('alice')?.peer('bob');
    if (!toBob) throw new Error('connected pair expected');
    toBob.close();
    await flushMicrotasks();
    expect(() => toBob.send('late')).toThrowError(expect.objectContaining({ code: 'peer-closed' }));
  });

  it('RC-8 an event sent to a peer actor that has stopped is ignored: no error, nothing revived', async () => {
    h = createHarness();
    const { pcA } = await connected();
    const toBob = h.systems.get('alice')?.peer('bob');
    if (!toBob) throw new Error('connected pair expected');
    toBob.close();
    await flushMicrotasks();
    const pcsBefore = h.pcs.length;
    toBob.actor.send({ type: 'CONNECT' });
    pcA.setConnectionState('failed');
    pcA.channels[0]?.receive(new ArrayBuffer(16));
    await flushMicrotasks();
    expect(toBob.actor.getSnapshot().status).toBe('done');
    expect(h.pcs).toHaveLength(pcsBefore);
    expect(pcA.closed).toBe(true);
  });
});

describe('lifetimes', () => {
  it('CB-2 stop while three peers gather candidates: nothing sent after stop returns, no error, every pc closed', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    for (const id of ['bob', 'carol', 'dave']) await h.system(id);
    for (const id of ['bob', 'carol', 'dave']) alice.connect(id);
    await flushMicrotasks();
    const pcs = h.pcs.slice();
    for (const pc of pcs) {
      await settle(pc, 'createOffer');
      await settle(pc, 'setLocalDescription');
      pc.gatherCandidate(pc.hostCandidate(1));
    }
    await alice.stop();
    const aliceSocket = h.hub.sockets[0];
    const framesAtStop = aliceSocket?.sentFrames.length;
    for (const pc of pcs) pc.gatherCandidate(pc.hostCandidate(2));
    await flushMicrotasks();
    expect(aliceSocket?.sentFrames.length).toBe(framesAtStop);
    expect(aliceSocket?.readyState).toBe(3);
    expect(pcs.every((pc) => pc.closed)).toBe(true);
    expect(alice.actor.getSnapshot().status).not.toBe('active');
  });

  it('CB-11 100 cycles of start, connect, stop leave no live actor, timer or socket beyond the baseline', async () => {
    h = createHarness();
    const timersBefore = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    for (let cycle = 0; cycle < 100; cycle++) {
      const system = await h.system(`a${cycle}`);
      system.connect('nobody');
      await flushMicrotasks();
      await system.stop();
      h.systems.delete(`a${cycle}`);
    }
    expect(h.hub.sockets.every((s) => s.readyState === 3)).toBe(true);
    expect(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length).toBe(timersBefore);
  });
});

describe('close, then connect again at once (RV-7)', () => {
  it('RV-7 one side closes and connects again at once: the new link connects and the message is delivered', async () => {
    h = createHarness();
    const { alice, bob, toBob, toAlice } = await h.connectedPair();
    const got: string[] = [];
    toAlice.messages$.subscribe((m) => got.push(String(m)));
    toBob.close();
    const again = alice.connect('bob');
    again.send('after');
    await h.linkNewest('alice', 'bob');
    expect(again).not.toBe(toBob);
    expect(again.state).toBe('connected');
    // bob's actor took the bye (disconnected), then alice's new offer: the same handle links again.
    expect(bob.peer('alice')).toBe(toAlice);
    expect(toAlice.state).toBe('connected');
    expect(got).toEqual(['after']);
  });

  it("RV-7 both sides close, one connects again at once: the remote's late bye does not hang up the new link", async () => {
    h = createHarness();
    const { alice, bob, toBob, toAlice } = await h.connectedPair();
    const incoming: PeerHandle[] = [];
    const got: string[] = [];
    bob.incoming$.subscribe((peer) => {
      incoming.push(peer);
      peer.messages$.subscribe((m) => got.push(String(m)));
    });
    toBob.close();
    toAlice.close();
    // bob's bye is still in flight to alice when she connects again.
    const again = alice.connect('bob');
    again.send('after');
    await h.linkNewest('alice', 'bob');
    expect(again.state).toBe('connected');
    expect(incoming.map((peer) => peer.id)).toEqual(['alice']);
    expect(incoming[0]?.state).toBe('connected');
    expect(got).toEqual(['after']);
  });

  it('RV-7 both sides close and both connect again at once: one link, connected, messages both ways', async () => {
    h = createHarness();
    const { alice, bob, toBob, toAlice } = await h.connectedPair();
    toBob.close();
    toAlice.close();
    const a = alice.connect('bob');
    const b = bob.connect('alice');
    const got = { a: [] as string[], b: [] as string[] };
    a.messages$.subscribe((m) => got.a.push(String(m)));
    b.messages$.subscribe((m) => got.b.push(String(m)));
    a.send('to bob');
    b.send('to alice');
    await h.linkNewest('alice', 'bob');
    expect([a.state, b.state]).toEqual(['connected', 'connected']);
    expect(got).toEqual({ a: ['to alice'], b: ['to bob'] });
  });
});
