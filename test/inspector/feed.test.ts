/**
 * The inspector's feed and per-page channel on the scripted fakes: views are throttled per peer,
 * a slow page costs bounded memory and gets the latest views, and a waiting peer says why.
 */
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { ClientChannel } from '../../src/node/inspector/client-channel.js';
import { createInspectorFeed, type FeedChanges, type InspectorFeed } from '../../src/node/inspector/feed.js';
import type { InspectorMessage, PeerView } from '../../src/node/inspector/views.js';
import type { PeerSystem } from '../../src/system.js';
import { fakeSystem } from '../support/fake-system.js';

let system: PeerSystem;
let feed: InspectorFeed;
let changes: FeedChanges[];

beforeEach(() => {
  vi.useFakeTimers();
  system = fakeSystem();
  feed = createInspectorFeed({ throttleMs: 50, figuresIntervalMs: 250 });
  feed.attach(system);
  changes = [];
  feed.subscribe((c) => changes.push(c));
});

afterEach(async () => {
  feed.close();
  const stopped = system.stop();
  await vi.runAllTimersAsync();
  await stopped;
  vi.useRealTimers();
});

/** The remote ids of the peer views the feed holds, sorted. */
const shownPeers = () => [...feed.current().peers.map((p) => p.peer)].sort();
const viewsOf = (peer: string): PeerView[] => changes.flatMap((c) => c.peers.filter((p) => p.peer === peer));

it('publishes each peer at most once per tick however many chart events it had: 20 per second at 50 ms', async () => {
  const bob = system.connect('bob');
  for (let i = 0; i < 100; i++) bob.send(`m${i}`);
  await vi.advanceTimersByTimeAsync(50);
  expect(viewsOf('bob')).toHaveLength(1);
  changes = [];
  // One second of sends every 10 ms: 100 chart events, 20 ticks.
  for (let ms = 0; ms < 1000; ms += 10) {
    bob.send(`n${ms}`);
    await vi.advanceTimersByTimeAsync(10);
  }
  expect(viewsOf('bob')).toHaveLength(20);
  // Outbox figures change without a chart event (acks): they are read every 250 ms.
  await vi.advanceTimersByTimeAsync(250);
  expect(viewsOf('bob').at(-1)?.figures.outboxMessages).toBe(200);
});

it('explains a waiting peer from the chart: the leaf state, what it waits for, and the remote being absent', async () => {
  system.connect('bob');
  await vi.advanceTimersByTimeAsync(50);
  const view = viewsOf('bob').at(-1) as PeerView;
  expect(view.state).toBe('discovering');
  expect(view.active).toContain('peer.idle.discovering.waiting');
  expect(view.waiting.map((w) => w.state)).toEqual(['idle.discovering.waiting']);
  expect(view.waiting[0]?.waitsFor).toContain('always [isRemotePresent]');
  expect(view.waiting[0]?.waitsFor).not.toContain('CLOSE');
  expect(view.hints).toContain('the remote is not present on the signaling session');
  const transitions = changes.flatMap((c) => c.timeline).filter((e) => e.kind === 'transition');
  expect(transitions.map((e) => [e.fromState, e.toState])).toContainEqual(['disconnected', 'discovering']);
  expect(feed.current().systems).toEqual([{ id: 'alice', signaling: 'open', generation: 1, running: true }]);
});

/** A socket whose frames are written only when the test says (a page that reads slowly). */
function slowSocket() {
  const frames: InspectorMessage[] = [];
  const pending: ((error?: Error) => void)[] = [];
  const socket = {
    OPEN: 1,
    readyState: 1,
    send(data: string, written: (error?: Error) => void) {
      frames.push(JSON.parse(data) as InspectorMessage);
      pending.push(written);
    },
    terminate() {},
  };
  return { socket, frames, writeOne: () => pending.shift()?.() };
}

it('keeps one frame in flight and, meanwhile, only the latest view per peer and a bounded timeline', async () => {
  const { socket, frames, writeOne } = slowSocket();
  const channel = new ClientChannel(socket as never, 10);
  const bob = system.connect('bob');
  const carol = system.connect('carol');
  channel.sendControl({ type: 'hello', mode: 'live' });
  const unsubscribe = feed.subscribe((c) => channel.push(c));
  for (let i = 0; i < 40; i++) {
    bob.send(`m${i}`);
    carol.send(`m${i}`);
    if (i % 2 === 0) bob.restartIce(); // a chart event that changes nothing while discovering
    await vi.advanceTimersByTimeAsync(50);
  }
  expect(frames).toHaveLength(1); // the hello, never written: nothing else was sent
  writeOne();
  expect(frames).toHaveLength(2);
  const update = frames[1];
  if (update?.type !== 'update') throw new Error('expected an update');
  expect(update.peers.map((p) => p.peer).sort()).toEqual(['bob', 'carol']);
  expect(update.peers.find((p) => p.peer === 'bob')?.figures.outboxMessages).toBe(40);
  expect(update.timeline.length).toBeLessThanOrEqual(10);
  unsubscribe();
});

it('queues one reset however often a slow page seeks', () => {
  const { socket, frames, writeOne } = slowSocket();
  const channel = new ClientChannel(socket as never);
  channel.sendControl({ type: 'hello', mode: 'replay', durationMs: 100 });
  for (let t = 0; t < 50; t++) channel.sendControl({ type: 'reset', t });
  writeOne();
  writeOne();
  expect(frames).toEqual([
    { type: 'hello', mode: 'replay', durationMs: 100 },
    { type: 'reset', t: 49 },
  ]);
});

it('forgets the views of closed peers: 200 peers connected and closed leave only the open one, on the feed and on a page', async () => {
  const page = new Map<string, PeerView>();
  feed.subscribe((c) => {
    for (const key of c.removed) page.delete(key);
    for (const view of c.peers) page.set(view.key, view);
  });
  system.connect('keep');
  for (let i = 0; i < 200; i++) {
    // Every fifth one reuses an id: its new actor gets a fresh view.
    const peer = system.connect(i % 5 === 0 ? 'again' : `p${i}`);
    peer.send('x');
    await vi.advanceTimersByTimeAsync(50);
    peer.close();
    await vi.advanceTimersByTimeAsync(50);
  }
  await vi.advanceTimersByTimeAsync(250);
  expect(shownPeers()).toEqual(['keep']);
  expect([...page.keys()]).toEqual(['alice>keep']);
  expect(changes.flatMap((c) => c.removed)).toHaveLength(200);
  // Their transitions to closed stay in the (bounded) timeline.
  const closed = feed.current().timeline.filter((e) => e.kind === 'transition' && e.toState === 'closed');
  expect(closed.length).toBeGreaterThan(0);
  const again = system.connect('again');
  await vi.advanceTimersByTimeAsync(50);
  expect(shownPeers()).toEqual(['again', 'keep']);
  expect(page.get('alice>again')?.state).not.toBe('closed');
  again.close();
});

it('forgets a stopped system’s peers and stops watching it', async () => {
  system.connect('bob');
  system.connect('carol');
  await vi.advanceTimersByTimeAsync(50);
  expect(feed.current().peers).toHaveLength(2);
  const stopped = system.stop();
  // The stop's grace and socket timeouts (the feed's ticks run forever: no runAllTimers).
  await vi.advanceTimersByTimeAsync(5_000);
  await stopped;
  expect(feed.current().peers).toEqual([]);
  expect(feed.current().systems).toMatchObject([{ id: 'alice', running: false }]);
  expect(changes.flatMap((c) => c.removed).sort()).toEqual(['alice>bob', 'alice>carol']);
});
