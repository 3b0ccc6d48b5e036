/**
 * A hostile signaling server that pages a welcome forever (docs/security.md), on the fakes: every
 * page says `more`, so the client would gather ids without end. What must hold: past
 * `LIMITS.maxWelcomePeers` ids the gathered welcome is dropped and reported once per overflow as
 * `signaling-invalid-frame`; none of its ids becomes a present peer.
 */
import { afterEach, expect, it } from 'vitest';
import { LIMITS } from '../../src/protocol/signals.js';
import type { Harness } from '../races/harness.js';
import { createHarness } from '../races/harness.js';
import { flushMicrotasks } from '../support/microtasks.js';

let h: Harness;
afterEach(async () => {
  await h.stopAll();
});

it('a welcome paged past maxWelcomePeers is refused with a typed error, and none of its ids is taken as present', async () => {
  h = createHarness();
  const alice = await h.system('alice');
  const errors: string[] = [];
  alice.errors$.subscribe((e) => errors.push(`${e.code}: ${e.message}`));
  const socket = h.hub.sockets.at(-1);
  if (!socket) throw new Error('no socket');
  const PAGE = 100;
  const pages = LIMITS.maxWelcomePeers / PAGE + 1;
  for (let p = 0; p < pages; p++) {
    const peers = Array.from({ length: PAGE }, (_, i) => `mallory-${p}-${i}`);
    socket.deliverText(
      JSON.stringify({ v: 1, type: 'welcome', room: 'races', peerId: 'alice', peers, more: true }),
    );
  }
  await flushMicrotasks();
  expect(
    errors.filter((e) => e.startsWith('signaling-invalid-frame') && /too many peers/.test(e)),
  ).toHaveLength(1);
  expect(
    Object.keys(alice.actor.getSnapshot().context.present).filter((id) => id.startsWith('mallory')),
  ).toEqual([]);
  expect(alice.actor.getSnapshot().status).toBe('active');
});
