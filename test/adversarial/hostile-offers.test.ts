/**
 * An offer storm of garbage SDP from a peer in the room (docs/security.md), on real parts: the
 * embedded signaling server on 127.0.0.1, a raw `ws` attacker, and alice on @roamhq/wrtc. What must
 * hold: each failed attempt reaches `errors$` as `attempt-failed` with its cause (the stack's parse
 * error), alice spends at most one RTCPeerConnection per attempt (maxReconnects + 1 in all, however
 * many offers arrive), gives the attacker up as `failed`, and still connects to an honest peer.
 */
import { expect, it } from 'vitest';
import { createNodePeerSystem } from '../../src/node/index.js';
import { hostileRoom } from '../support/hostile-room.js';
import { until } from '../support/time.js';

const OFFERS = 100;
const MAX_RECONNECTS = 2;
const room = hostileRoom();

it(`${OFFERS} garbage offers: every failed attempt reported with its cause, at most maxReconnects + 1 attempts, then failed; an honest peer still connects`, async () => {
  const url = await room.start();
  const alice = room.adopt(
    createNodePeerSystem({
      localId: 'alice',
      url,
      room: 'r',
      maxReconnects: MAX_RECONNECTS,
      // Keeps the attempts that follow the storm (alice offers, nobody answers) short.
      connectTimeoutMs: 1_000,
      peerReconnectBackoff: { initialMs: 50, maxMs: 100 },
    }),
  );
  const errors: { code: string; message: string; peerId: string | undefined }[] = [];
  alice.errors$.subscribe((e) => errors.push({ code: e.code, message: e.message, peerId: e.peerId }));
  await alice.signalingOpen();

  const mallory = await room.attacker(url, 'r', 'mallory');
  for (let i = 1; i <= OFFERS; i++)
    mallory.signal('alice', {
      type: 'description',
      description: { type: 'offer', sdp: `garbage ${i}` },
      connection: i,
    });

  expect(await until(() => alice.peer('mallory')?.state === 'failed', 60_000)).toBe(true);
  const aboutMallory = errors.filter((e) => e.peerId === 'mallory');
  const attempts = aboutMallory.filter((e) => e.code === 'attempt-failed');
  expect(attempts).toHaveLength(MAX_RECONNECTS);
  expect(attempts[0]?.message).toMatch(/negotiation-failed/);
  expect(aboutMallory.filter((e) => e.code === 'connection-failed')).toHaveLength(1);
  expect(alice.actor.getSnapshot().status).toBe('active');

  room.adopt(createNodePeerSystem({ localId: 'bob', url, room: 'r' }));
  const toBob = alice.connect('bob');
  expect(await until(() => toBob.state === 'connected', 60_000)).toBe(true);
});
