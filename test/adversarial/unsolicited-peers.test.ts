/**
 * A crowd of unsolicited peers (docs/security.md), on the scripted fakes: 30 remotes ask alice for a
 * connection at once and never complete it. What must hold: alice spends an actor and an
 * RTCPeerConnection on at most `maxPendingIncoming` of them; each of the others is refused with a
 * typed error and told no (a bye, after which it stops asking); a peer alice connects to herself
 * still connects.
 */
import { afterEach, expect, it } from 'vitest';
import type { PeerHandle } from '../../src/index.js';
import type { Harness } from '../races/harness.js';
import { createHarness } from '../races/harness.js';
import { flushMicrotasks } from '../support/microtasks.js';

let h: Harness;
afterEach(async () => {
  await h.stopAll();
});

it('30 unsolicited hellos: at most maxPendingIncoming actors and pcs, the rest refused and hung up on; connect still works', async () => {
  h = createHarness();
  const alice = await h.system('alice', { maxPendingIncoming: 4 });
  const refused: string[] = [];
  alice.errors$.subscribe((e) => e.code === 'peer-refused' && refused.push(e.peerId ?? ''));
  const crowd: PeerHandle[] = [];
  const toldWhy: string[] = [];
  // Ids above 'alice' are polite: each one's attempt starts with a hello.
  for (let i = 0; i < 30; i++) {
    const mallory = await h.system(`mallory${i}`);
    mallory.errors$.subscribe((e) => e.code === 'refused-by-remote' && toldWhy.push(e.message));
    crowd.push(mallory.connect('alice'));
  }
  await h.deliverAll();
  // Every mallory made one pc for its attempt; every other pc is alice's.
  expect(h.pcs.length - crowd.length).toBe(4);
  const actors = Object.keys(alice.actor.getSnapshot().children).length - 1;
  expect(actors).toBe(4);
  expect(refused).toHaveLength(26);
  // The refused ones were hung up on: they wait in `disconnected` instead of asking again.
  expect(crowd.filter((peer) => peer.state === 'disconnected')).toHaveLength(26);
  // Each of them was told why, once.
  expect(toldWhy).toHaveLength(26);
  expect(new Set(toldWhy)).toEqual(
    new Set(['peer alice refused us: maxPendingIncoming peers already wait to connect']),
  );

  // alice can still connect to a peer of her choosing.
  await h.system('bob');
  const toBob = alice.connect('bob');
  await flushMicrotasks();
  await h.linkNewest('alice', 'bob');
  expect(toBob.state).toBe('connected');
});
