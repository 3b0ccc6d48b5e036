import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PeerActor } from '../../machines/peer.js';
import { peerStateOf } from '../../machines/peer.js';
import type { SystemEvent } from '../../machines/system.js';
import { SIGNALING_CHILD_ID } from '../../machines/system.js';
import type { ServerFrame, Signal } from '../../src/protocol/signals.js';
import { flushMicrotasks } from '../support/microtasks.js';
import { topState } from '../support/states.js';
import { candidate, nameOf, offer } from './helpers.js';
import type { SystemHarness } from './system-harness.js';
import { startSystemHarness } from './system-harness.js';

let harnesses: SystemHarness[] = [];

/** A system harness that the test's afterEach checks and stops. */
function startSystem(options: Parameters<typeof startSystemHarness>[0] = {}): SystemHarness {
  const h = startSystemHarness(options);
  harnesses.push(h);
  return h;
}

/** A relayed signal frame; the signal comes from the remote's first pc (connection 1) unless it says. */
function signalFrame(from: string, signal: Signal, generation: number): SystemEvent {
  const frame: ServerFrame = { v: 1, type: 'signal', from, signal: { connection: 1, ...signal } };
  return { type: 'SIGNALING.FRAME', generation, frame };
}

function presence(peerId: string, present: boolean, generation: number): SystemEvent {
  return { type: 'SIGNALING.FRAME', generation, frame: { v: 1, type: 'presence', peerId, present } };
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(() => {
  for (const h of harnesses) {
    expect(h.errors).toEqual([]);
    h.actor.stop();
  }
  harnesses = [];
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('system chart: signaling', () => {
  it('owns one signaling child registered as `signaling` and forwards START, RETRY and SWITCH to it', () => {
    const h = startSystem();
    expect(Object.keys(h.actor.getSnapshot().children)).toEqual([SIGNALING_CHILD_ID]);
    expect(h.actor.system.get('signaling')).toBe(h.actor.getSnapshot().children[SIGNALING_CHILD_ID]);
    h.send({ type: 'SIGNALING.START' });
    h.send({ type: 'SIGNALING.RETRY' });
    h.send({ type: 'SIGNALING.SWITCH', url: 'ws://b.example' });
    expect(h.toSignaling).toEqual([
      { type: 'CONNECT' },
      { type: 'RETRY' },
      { type: 'SWITCH', url: 'ws://b.example' },
    ]);
  });

  it('SIGNALING.OPEN adopts the generation and presence; SIGNALING.LOST forgets them', () => {
    const h = startSystem();
    expect(h.actor.getSnapshot().context.generation).toBe(-1);
    h.send({ type: 'SIGNALING.OPEN', generation: 3, peers: ['bob'] });
    expect(h.actor.getSnapshot().context).toMatchObject({ generation: 3, present: { bob: true } });
    h.send({ type: 'SIGNALING.LOST', generation: 3 });
    expect(h.actor.getSnapshot().context).toMatchObject({ generation: -1, present: {} });
  });

  it('an error frame of the open session emits serverError', () => {
    const h = startSystem();
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: [] });
    h.send({
      type: 'SIGNALING.FRAME',
      generation: 1,
      frame: { v: 1, type: 'error', code: 'rate-limited', message: 'slow down' },
    });
    expect(h.emitted).toEqual([{ type: 'serverError', code: 'rate-limited', message: 'slow down' }]);
  });
});

describe('system chart: spawning and routing', () => {
  it('RC-9 CONNECT twice → exactly one peer actor and one pc', () => {
    const h = startSystem({ inspect: true });
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: ['bob'] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    expect(h.peerChildren()).toEqual(['1']);
    expect(h.peer('bob')).toBe(h.actor.getSnapshot().children['1']);
    expect(h.rec.resourceStarts).toEqual([1]);
    expect(h.rec.pcStarts).toEqual([1]);
    expect(topState(h.peer('bob')?.getSnapshot())).toBe('connecting');
    expect(h.routedTo('bob')).toEqual(['CONNECT', 'REMOTE.PRESENT', 'CONNECT', 'REMOTE.PRESENT']);
  });

  it('CONNECT to an absent peer leaves it discovering; SIGNALING.OPEN listing it moves it on', () => {
    const h = startSystem();
    h.send({ type: 'CONNECT', peerId: 'bob' });
    expect(topState(h.peer('bob')?.getSnapshot())).toBe('discovering');
    h.send({ type: 'SIGNALING.OPEN', generation: 4, peers: ['bob', 'carol'] });
    expect(topState(h.peer('bob')?.getSnapshot())).toBe('connecting');
    expect(h.peer('bob')?.getSnapshot().context.generation).toBe(4);
    // Presence alone spawns nobody.
    expect(h.peer('carol')).toBeUndefined();
    expect(h.peerChildren()).toEqual(['1']);
  });

  it('peers get integer child ids and their own input', () => {
    const h = startSystem();
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send({ type: 'CONNECT', peerId: 'carol' });
    expect(h.peerChildren()).toEqual(['1', '2']);
    expect(h.peer('carol')?.getSnapshot().context).toMatchObject({
      key: 2,
      localId: 'me',
      remoteId: 'carol',
      maxBufferedCandidates: 50,
    });
  });

  it('a signal frame from an unknown peer spawns one actor when isAccepted returns true; it is told the remote is present (RV-2)', () => {
    const h = startSystem({ accept: (id) => id === 'zoe', inspect: true });
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: ['zoe'] });
    // 'me' < 'zoe': we are the impolite side; zoe's hello makes us offer.
    h.send(signalFrame('zoe', { type: 'hello' }, 1));
    h.send(signalFrame('zoe', { type: 'candidate', candidate: candidate('c1') }, 1));
    expect(h.peerChildren()).toEqual(['1']);
    const zoe = h.peer('zoe');
    expect(zoe?.getSnapshot().matches({ live: { connecting: { negotiation: 'makingOffer' } } })).toBe(true);
    expect(zoe?.getSnapshot().context).toMatchObject({ remoteId: 'zoe', generation: 1 });
    expect(zoe?.getSnapshot().context.bufferedCandidates.map(nameOf)).toEqual(['c1']);
    expect(h.rec.resourceStarts).toEqual([1]);
    expect(h.rec.pcStarts).toEqual([1]);
    expect(h.routedTo('zoe')).toEqual(['REMOTE.PRESENT', 'SIGNAL.HELLO', 'SIGNAL.CANDIDATE']);
    expect(h.routed[1]?.event).toEqual({ type: 'SIGNAL.HELLO', generation: 1, instance: '', connection: 1 });
    expect(zoe?.getSnapshot().context.remotePresent).toBe(true);
    expect(h.emitted).toEqual([]);
  });

  it('an offer from an unknown peer spawns its actor, which answers it without a needless hello', () => {
    const h = startSystem({ inspect: true });
    h.send({ type: 'SIGNALING.OPEN', generation: 2, peers: ['alice'] });
    h.send(signalFrame('alice', { type: 'description', description: offer }, 2));
    const alice = h.peer('alice');
    expect(
      alice?.getSnapshot().matches({ live: { connecting: { negotiation: 'settingRemoteOffer' } } }),
    ).toBe(true);
    expect(alice?.getSnapshot().context.generation).toBe(2);
    expect(h.rec.remoteDescriptions.map((c) => c.description)).toEqual([offer]);
    expect(h.routedTo('alice')).toEqual(['REMOTE.PRESENT', 'SIGNAL.DESCRIPTION']);
    expect(h.toSignaling).toEqual([]);
  });

  it('a signal without a connection number reaches the peer as connection 0', () => {
    const h = startSystem({ inspect: true });
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: [] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send({
      type: 'SIGNALING.FRAME',
      generation: 1,
      frame: { v: 1, type: 'signal', from: 'bob', signal: { type: 'candidate', candidate: null } },
    });
    expect(h.routed.at(-1)?.event).toEqual({
      type: 'SIGNAL.CANDIDATE',
      generation: 1,
      instance: '',
      connection: 0,
      candidate: null,
    });
  });

  it('a signal frame from an unknown peer that isAccepted refuses emits refusedPeer and spawns nothing', () => {
    const h = startSystem({ accept: () => false });
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: ['mallory'] });
    h.send(signalFrame('mallory', { type: 'hello' }, 1));
    expect(h.emitted).toEqual([{ type: 'refusedPeer', peerId: 'mallory', reason: 'not-accepted' }]);
    expect(h.peerChildren()).toEqual([]);
    expect(h.peer('mallory')).toBeUndefined();
    expect(h.rec.resourceStarts).toEqual([]);
    // mallory asked for a connection: she is told no, and why, with a bye.
    expect(h.toSignaling).toContainEqual({
      type: 'SIGNALING.SEND',
      generation: 1,
      to: 'mallory',
      signal: { type: 'bye', reason: 'not-accepted' },
    });
  });

  it('maxPeers: a signal from a new peer beyond it is refused; connect is not limited', () => {
    const h = startSystem({ maxPeers: 2 });
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: [] });
    for (const id of ['p1', 'p2', 'p3']) h.send(signalFrame(id, { type: 'hello' }, 1));
    // A candidate is refused too, but only a request for a connection is answered.
    h.send(signalFrame('p4', { type: 'candidate', candidate: candidate('c') }, 1));
    expect(h.spawned.map((e) => e.peerId)).toEqual(['p1', 'p2']);
    expect(h.emitted).toEqual([
      { type: 'refusedPeer', peerId: 'p3', reason: 'max-peers' },
      { type: 'refusedPeer', peerId: 'p4', reason: 'max-peers' },
    ]);
    expect(h.toSignaling.filter((e) => e.type === 'SIGNALING.SEND').map((e) => 'to' in e && e.to)).toEqual([
      'p3',
    ]);
    h.send({ type: 'CONNECT', peerId: 'bob' });
    expect(h.peer('bob')).toBeDefined();
  });

  it('maxPendingIncoming: peers that reached us first count until connected or gone; then one more is admitted', () => {
    const h = startSystem({ maxPendingIncoming: 2 });
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: [] });
    for (const id of ['p1', 'p2', 'p3']) h.send(signalFrame(id, { type: 'hello' }, 1));
    expect(h.spawned.map((e) => e.peerId)).toEqual(['p1', 'p2']);
    expect(h.emitted).toEqual([{ type: 'refusedPeer', peerId: 'p3', reason: 'max-pending-incoming' }]);
    // A peer we connect to ourselves is not incoming: it does not count.
    h.send({ type: 'CONNECT', peerId: 'bob' });
    // p1 goes away: its slot is free again.
    h.send({ type: 'CLOSE_PEER', peerId: 'p1' });
    h.send(signalFrame('p3', { type: 'hello' }, 1));
    expect(h.spawned.map((e) => e.peerId)).toEqual(['p1', 'p2', 'bob', 'p3']);
  });

  it('the accept policy applies to unknown peers only: a peer we connected to is routed', () => {
    const h = startSystem({ accept: () => false });
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: [] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send(signalFrame('bob', { type: 'candidate', candidate: candidate('c1') }, 1));
    expect(h.emitted).toEqual([]);
    expect(h.peer('bob')?.getSnapshot().context.bufferedCandidates.map(nameOf)).toEqual(['c1']);
  });

  it('CB-3 frames of a stale generation emit staleSignal and are not routed', () => {
    const h = startSystem({ inspect: true });
    // No session open yet: everything is stale.
    h.send(signalFrame('dave', { type: 'hello' }, 0));
    h.send({ type: 'SIGNALING.OPEN', generation: 2, peers: [] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send(signalFrame('bob', { type: 'candidate', candidate: candidate('old') }, 1));
    h.send(signalFrame('carol', { type: 'hello' }, 1));
    h.send(presence('bob', true, 1));
    expect(h.emitted).toEqual([
      { type: 'staleSignal', from: 'dave', generation: 0, currentGeneration: -1 },
      { type: 'staleSignal', from: 'bob', generation: 1, currentGeneration: 2 },
      { type: 'staleSignal', from: 'carol', generation: 1, currentGeneration: 2 },
      { type: 'staleSignal', from: '', generation: 1, currentGeneration: 2 },
    ]);
    expect(h.peerChildren()).toEqual(['1']);
    expect(h.routedTo('bob')).toEqual(['CONNECT']);
    expect(h.peer('bob')?.getSnapshot().context.bufferedCandidates).toEqual([]);
    expect(topState(h.peer('bob')?.getSnapshot())).toBe('discovering');
    expect(h.actor.getSnapshot().context.present).toEqual({});
  });

  it('CB-3 after SIGNALING.LOST, frames of the lost session are stale', () => {
    const h = startSystem();
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: [] });
    h.send({ type: 'SIGNALING.LOST', generation: 1 });
    h.send(signalFrame('dave', { type: 'hello' }, 1));
    expect(h.emitted).toEqual([{ type: 'staleSignal', from: 'dave', generation: 1, currentGeneration: -1 }]);
    expect(h.peerChildren()).toEqual([]);
  });

  it('peerSpawned: incoming false for CONNECT, true for an inbound signal; once per actor', () => {
    const h = startSystem();
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: ['bob', 'zoe'] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send(signalFrame('bob', { type: 'hello' }, 1));
    h.send(signalFrame('zoe', { type: 'hello' }, 1));
    h.send(signalFrame('zoe', { type: 'candidate', candidate: candidate('z1') }, 1));
    h.send({ type: 'CONNECT', peerId: 'zoe' });
    expect(h.spawned).toEqual([
      { type: 'peerSpawned', peerId: 'bob', incoming: false },
      { type: 'peerSpawned', peerId: 'zoe', incoming: true },
    ]);
    // Emitted after the spawn: the actor is registered under its systemId when listeners hear of it.
    expect(h.peer('zoe')?.getSnapshot().context.remoteId).toBe('zoe');
  });

  it('peerSpawned is not emitted for refused or stale signals', () => {
    const h = startSystem({ accept: () => false });
    h.send(signalFrame('dave', { type: 'hello' }, 0));
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: [] });
    h.send(signalFrame('mallory', { type: 'hello' }, 1));
    expect(h.spawned).toEqual([]);
  });

  it('a peer closed and connected again is spawned (and announced) anew', () => {
    const h = startSystem();
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: ['bob'] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send({ type: 'CLOSE_PEER', peerId: 'bob' });
    h.send(signalFrame('bob', { type: 'hello' }, 1));
    expect(h.spawned).toEqual([
      { type: 'peerSpawned', peerId: 'bob', incoming: false },
      { type: 'peerSpawned', peerId: 'bob', incoming: true },
    ]);
  });

  it('RV-7 a bye spawns no actor, and one naming an actor of ours that is gone hangs up none', () => {
    const h = startSystem();
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: ['bob', 'zoe'] });
    h.send(signalFrame('zoe', { type: 'bye' }, 1));
    expect(h.spawned).toEqual([]);
    h.send({ type: 'CONNECT', peerId: 'bob' });
    const bob = h.peer('bob');
    if (!bob) throw new Error('no actor for bob');
    const own = bob.getSnapshot().context.instance;
    expect(peerStateOf(bob.getSnapshot())).toBe('connecting');
    // A late bye for the actor we closed before this one: not delivered.
    h.send(signalFrame('bob', { type: 'bye', recipient: `${own}-closed` }, 1));
    expect(peerStateOf(bob.getSnapshot())).toBe('connecting');
    // A bye for this actor hangs it up.
    h.send(signalFrame('bob', { type: 'bye', recipient: own }, 1));
    expect(peerStateOf(bob.getSnapshot())).toBe('disconnected');
  });

  it("a refusal's bye hangs up our peer and emits refusedByRemote once; a repeat, or a plain bye, emits nothing", () => {
    const h = startSystem();
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: ['bob', 'carol'] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    const bob = h.peer('bob');
    if (!bob) throw new Error('no actor for bob');
    expect(peerStateOf(bob.getSnapshot())).toBe('connecting');
    h.send(signalFrame('bob', { type: 'bye', reason: 'max-pending-incoming' }, 1));
    expect(peerStateOf(bob.getSnapshot())).toBe('disconnected');
    h.send(signalFrame('bob', { type: 'bye', reason: 'max-pending-incoming' }, 1));
    h.send({ type: 'CONNECT', peerId: 'carol' });
    const carol = h.peer('carol');
    if (!carol) throw new Error('no actor for carol');
    h.send(signalFrame('carol', { type: 'bye' }, 1));
    expect(peerStateOf(carol.getSnapshot())).toBe('disconnected');
    expect(h.emitted.filter((e) => e.type === 'refusedByRemote')).toEqual([
      { type: 'refusedByRemote', peerId: 'bob', reason: 'max-pending-incoming' },
    ]);
  });

  it('presence frames send REMOTE.PRESENT / REMOTE.ABSENT to the peer and track who is present', () => {
    const h = startSystem({ inspect: true });
    h.send({ type: 'SIGNALING.OPEN', generation: 5, peers: [] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send(presence('bob', true, 5));
    expect(h.actor.getSnapshot().context.present).toEqual({ bob: true });
    expect(topState(h.peer('bob')?.getSnapshot())).toBe('connecting');
    expect(h.peer('bob')?.getSnapshot().context.generation).toBe(5);
    h.send(presence('bob', false, 5));
    expect(h.actor.getSnapshot().context.present).toEqual({});
    expect(h.routedTo('bob')).toEqual(['CONNECT', 'REMOTE.PRESENT', 'REMOTE.ABSENT']);
    const presenceEvents = h.routed.filter((r) => r.event.type.startsWith('REMOTE.')).map((r) => r.event);
    expect(presenceEvents).toEqual([{ type: 'REMOTE.PRESENT', generation: 5 }, { type: 'REMOTE.ABSENT' }]);
  });

  it('presence of a peer without an actor spawns nothing; a later CONNECT is told it is present', () => {
    const h = startSystem({ inspect: true });
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: [] });
    h.send(presence('erin', true, 1));
    expect(h.peerChildren()).toEqual([]);
    h.send({ type: 'CONNECT', peerId: 'erin' });
    expect(h.routedTo('erin')).toEqual(['CONNECT', 'REMOTE.PRESENT']);
    expect(topState(h.peer('erin')?.getSnapshot())).toBe('connecting');
  });

  it('CB-8 candidates of two peers each reach their own actor, once', () => {
    const h = startSystem();
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: [] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send({ type: 'CONNECT', peerId: 'carol' });
    h.send(signalFrame('bob', { type: 'candidate', candidate: candidate('b1') }, 1));
    h.send(signalFrame('carol', { type: 'candidate', candidate: candidate('c1') }, 1));
    h.send(signalFrame('bob', { type: 'candidate', candidate: candidate('b2') }, 1));
    expect(h.peer('bob')?.getSnapshot().context.bufferedCandidates.map(nameOf)).toEqual(['b1', 'b2']);
    expect(h.peer('carol')?.getSnapshot().context.bufferedCandidates.map(nameOf)).toEqual(['c1']);
  });
});

describe('system chart: stopping peers', () => {
  it('a peer reaching closed is removed from snapshot.children and the registry; CONNECT spawns a fresh one', () => {
    const h = startSystem();
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: ['bob'] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    const first = h.peer('bob');
    h.send({ type: 'CLOSE_PEER', peerId: 'bob' });
    expect(first?.getSnapshot().status).toBe('done');
    expect(h.peerChildren()).toEqual([]);
    expect(h.peer('bob')).toBeUndefined();
    expect(h.rec.pcCleanups).toEqual([1]);
    expect(h.rec.resourceCleanups).toEqual([1]);
    // 'me' > 'bob': the polite side says hello, then bye on close.
    expect(h.toSignaling.map((e) => (e.type === 'SIGNALING.SEND' ? e.signal.type : e.type))).toEqual([
      'hello',
      'bye',
    ]);

    h.send({ type: 'CONNECT', peerId: 'bob' });
    expect(h.peerChildren()).toEqual(['2']);
    expect(h.peer('bob')).not.toBe(first);
    expect(topState(h.peer('bob')?.getSnapshot())).toBe('connecting');
  });

  it('CLOSE_PEER of an unknown peer changes nothing', () => {
    const h = startSystem();
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send({ type: 'CLOSE_PEER', peerId: 'nobody' });
    expect(h.peerChildren()).toEqual(['1']);
    expect(topState(h.peer('bob')?.getSnapshot())).toBe('discovering');
  });

  /** bob connecting (polite: said hello), carol discovering, zoe connecting (impolite: offering). */
  function threePeers(h: SystemHarness): (PeerActor | undefined)[] {
    h.send({ type: 'SIGNALING.OPEN', generation: 1, peers: ['bob'] });
    h.send({ type: 'CONNECT', peerId: 'bob' });
    h.send({ type: 'CONNECT', peerId: 'carol' });
    h.send(signalFrame('zoe', { type: 'hello' }, 1));
    const peers = ['bob', 'carol', 'zoe'].map((id) => h.peer(id));
    expect(peers.map((peer) => topState(peer?.getSnapshot()))).toEqual([
      'connecting',
      'discovering',
      'connecting',
    ]);
    return peers;
  }

  it('CB-2 STOP closes every peer through its cleanup path, closes signaling and reaches final; nothing is sent afterwards', async () => {
    const h = startSystem();
    const peers = threePeers(h);
    h.send({ type: 'STOP' });
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.actor.getSnapshot().value).toBe('stopped');
    expect(peers.map((p) => p?.getSnapshot().value)).toEqual(['closed', 'closed', 'closed']);
    expect(h.rec.counts.releaseOutbox).toBe(3);
    expect(h.rec.pcStarts).toEqual([1, 3]);
    expect(h.rec.pcCleanups).toEqual(h.rec.pcStarts);
    expect([...h.rec.resourceCleanups].sort()).toEqual([1, 2, 3]);
    expect(h.toSignaling.at(-1)).toEqual({ type: 'CLOSE' });
    expect(h.signalingCleanups()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    // zoe's createOffer resolves after the stop: no description goes anywhere.
    const count = h.toSignaling.length;
    h.rec.offers[0]?.resolve(offer);
    await flushMicrotasks();
    expect(h.toSignaling.length).toBe(count);
    expect(h.errors).toEqual([]);
  });

  // Regression: STOP used to go final in the same step as closeAll, which unregistered `signaling`
  // before the peers' deferred CLOSE ran, so every bye was lost. STOP now waits in `stopping` until
  // the session has closed.
  it('STOP: the bye of every peer in an attempt reaches signaling before signaling closes', () => {
    const h = startSystem();
    threePeers(h);
    h.send({ type: 'STOP' });
    expect(h.toSignaling).toEqual([
      {
        type: 'SIGNALING.SEND',
        generation: 1,
        to: 'bob',
        signal: { type: 'hello', instance: 'e.1', connection: 1 },
      },
      {
        type: 'SIGNALING.SEND',
        generation: 1,
        to: 'bob',
        signal: { type: 'bye', instance: 'e.1', connection: 1 },
      },
      {
        type: 'SIGNALING.SEND',
        generation: 1,
        to: 'zoe',
        signal: { type: 'bye', instance: 'e.3', connection: 1 },
      },
      { type: 'CLOSE' },
    ]);
  });

  it('STOP with no peers closes signaling and reaches final', () => {
    const h = startSystem();
    h.send({ type: 'STOP' });
    expect(h.actor.getSnapshot().status).toBe('done');
    expect(h.toSignaling).toEqual([{ type: 'CLOSE' }]);
    expect(h.signalingCleanups()).toBe(1);
  });
});
