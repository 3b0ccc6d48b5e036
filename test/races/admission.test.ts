/**
 * Admission control (docs/races.md, AD-*) through the public API on the scripted fakes: at most
 * `maxConcurrentNegotiations` attempts we start negotiate at once, the others wait in
 * `discovering.queued` in request order; answers to a remote never wait. The test settles every pc
 * promise and delivers every frame.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerHandle, PeerState, PeerSystem } from '../../src/index.js';
import type { FakeRTCPeerConnection } from '../../src/testing/index.js';
import { flushMicrotasks } from '../support/microtasks.js';
import type { Harness } from './harness.js';
import { createHarness, link, settle } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.stopAll();
});

const isQueued = (peer: PeerHandle) => peer.actor.getSnapshot().matches({ idle: { discovering: 'queued' } });
const queueOf = (system: PeerSystem) => system.actor.getSnapshot().context.queue.map((r) => r.peerId);

/** Remote ids in the order their peers entered `state`. */
function entered(state: PeerState, handles: PeerHandle[]): string[] {
  const order: string[] = [];
  for (const handle of handles) {
    handle.state$.subscribe((s) => {
      if (s === state) order.push(handle.id);
    });
  }
  return order;
}

/** Negotiates `offerer` (impolite) with the answering system's newest pc and brings both up. */
async function linkFrom(offerer: FakeRTCPeerConnection, answerer: string): Promise<void> {
  await h.quiesce(offerer);
  const pcB = h.pcOf(answerer);
  await h.quiesce(offerer, pcB);
  await link(offerer, pcB);
}

/**
 * a and b with one slot each, each held by an attempt (to x, to y) that makes no progress (nothing
 * is settled for it); then a connects to b and b to a: both wait in the queue.
 */
async function waitingForEachOther() {
  h = createHarness();
  const a = await h.system('a', { maxConcurrentNegotiations: 1 });
  const b = await h.system('b', { maxConcurrentNegotiations: 1 });
  await h.system('x');
  await h.system('y');
  const toX = a.connect('x');
  const toY = b.connect('y');
  await flushMicrotasks();
  const toB = a.connect('b');
  const toA = b.connect('a');
  await flushMicrotasks();
  expect([isQueued(toB), isQueued(toA)]).toEqual([true, true]);
  return { a, b, toA, toB, toX, toY };
}

describe('admission control', () => {
  it('AD-1 four connects in one tick, two slots: two negotiate, two wait in discovering.queued and are admitted in request order as negotiations end', async () => {
    h = createHarness();
    const a = await h.system('a', { maxConcurrentNegotiations: 2 });
    for (const id of ['b', 'c', 'd', 'e']) await h.system(id);
    // Requested out of id order: the queue keeps the request order (e before d).
    const handles = ['b', 'c', 'e', 'd'].map((id) => a.connect(id));
    const [toB, toC, toE, toD] = handles as [PeerHandle, PeerHandle, PeerHandle, PeerHandle];
    const connecting = entered('connecting', handles);
    await flushMicrotasks();
    expect([toB.state, toC.state, toE.state, toD.state]).toEqual([
      'connecting',
      'connecting',
      'discovering',
      'discovering',
    ]);
    expect([isQueued(toE), isQueued(toD)]).toEqual([true, true]);
    expect(queueOf(a)).toEqual(['e', 'd']);
    // Only the admitted attempts made a pc.
    const [pcToB, pcToC] = h.pcs;
    expect(h.pcs).toHaveLength(2);

    // b's negotiation ends connected: the first in the queue (e) is admitted, d still waits.
    await linkFrom(pcToB as FakeRTCPeerConnection, 'b');
    expect(toB.state).toBe('connected');
    expect([toE.state, toD.state]).toEqual(['connecting', 'discovering']);
    expect(queueOf(a)).toEqual(['d']);

    // c's negotiation fails (its offer cannot be made): that also frees a slot, for d.
    await settle(pcToC as FakeRTCPeerConnection, 'createOffer', { reject: new Error('no offer') });
    expect(toD.state).toBe('connecting');
    expect(queueOf(a)).toEqual([]);
    expect(connecting.slice(0, 4)).toEqual(['b', 'c', 'e', 'd']);
  });

  it('AD-2 two systems each wait to admit the other (every slot held elsewhere): the one admitted first is answered at once, no deadlock', async () => {
    const { b, toB, toA, toX } = await waitingForEachOther();
    // a's slot frees; a (impolite) offers. b's own slot is still held by y, yet it answers at once.
    toX.close();
    await flushMicrotasks();
    expect(toB.state).toBe('connecting');
    const pcAB = h.pcOf('a');
    await h.quiesce(pcAB);
    expect(toA.state).toBe('connecting');
    expect(queueOf(b)).toEqual([]);
    await linkFrom(pcAB, 'b');
    expect([toB.state, toA.state]).toEqual(['connected', 'connected']);
  });

  it('AD-2 the other way round: the polite side is admitted first, its hello takes the queued impolite side straight to negotiating', async () => {
    const { a, toB, toA, toY } = await waitingForEachOther();
    // b's slot frees; b (polite) says hello and waits for an offer; a's slot is still held by x.
    toY.close();
    await h.deliverAll();
    expect(toA.state).toBe('connecting');
    expect(toB.state).toBe('connecting');
    expect(queueOf(a)).toEqual([]);
    await linkFrom(h.pcOf('a'), 'b');
    expect([toB.state, toA.state]).toEqual(['connected', 'connected']);
  });

  it('AD-3 closing a queued peer takes it out of the queue: it never gets a pc, the next one is admitted instead', async () => {
    h = createHarness();
    const a = await h.system('a', { maxConcurrentNegotiations: 1 });
    for (const id of ['b', 'c', 'd']) await h.system(id);
    const toB = a.connect('b');
    const toC = a.connect('c');
    const toD = a.connect('d');
    await flushMicrotasks();
    expect(queueOf(a)).toEqual(['c', 'd']);

    toC.close();
    await flushMicrotasks();
    expect(toC.state).toBe('closed');
    expect(a.peer('c')).toBeUndefined();
    expect(queueOf(a)).toEqual(['d']);

    const [pcToB] = h.pcs;
    await linkFrom(pcToB as FakeRTCPeerConnection, 'b');
    expect(toB.state).toBe('connected');
    expect(toD.state).toBe('connecting');
    // One pc for b, one for d (and b's answer): none for c.
    expect(h.pcs.filter((pc) => pc !== pcToB && pc !== h.pcOf('b'))).toHaveLength(1);
    expect(a.actor.getSnapshot().context.negotiating).toEqual({ [toD.actor.id]: true });
  });

  it('AD-4 a queued peer whose remote leaves keeps its place but lets the next one by; it is admitted once the remote is back', async () => {
    h = createHarness();
    const a = await h.system('a', { maxConcurrentNegotiations: 1 });
    const c = await h.system('c');
    for (const id of ['b', 'd']) await h.system(id);
    const toB = a.connect('b');
    const toC = a.connect('c');
    const toD = a.connect('d');
    await flushMicrotasks();
    await c.stop();
    h.systems.delete('c');
    await h.deliverAll();

    const [pcToB] = h.pcs;
    await linkFrom(pcToB as FakeRTCPeerConnection, 'b');
    expect(toB.state).toBe('connected');
    expect(toD.state).toBe('connecting');
    expect([isQueued(toC), queueOf(a)]).toEqual([true, ['c']]);

    // d connects, the slot is free, but c's remote is absent; it comes back: c is admitted.
    await linkFrom(h.pcOf('a'), 'd');
    expect(toD.state).toBe('connected');
    expect(toC.state).toBe('discovering');
    await h.system('c');
    await h.deliverAll();
    expect(toC.state).toBe('connecting');
    expect(queueOf(a)).toEqual([]);
  });
});
