/**
 * An offer storm from a peer in the room (docs/security.md), on real parts: the embedded signaling
 * server on 127.0.0.1, a raw `ws` attacker, and alice on @roamhq/wrtc. Every offer names a new
 * connection of the attacker's, so each one alice took would replace her pc with a new one. What
 * must hold: alice creates at most `maxRemoteNegotiationsPerMinute / 6` pcs for the burst, reports
 * the refusal once (`peer-refused`, reason `negotiation-rate`), tells the attacker once with a bye
 * carrying that reason, and still connects to an honest peer.
 */
import { expect, it } from 'vitest';
import type { RtcImplementation } from '../../src/index.js';
import { createNodePeerSystem, wrtcImplementation } from '../../src/node/index.js';
import { hostileRoom } from '../support/hostile-room.js';
import { until } from '../support/time.js';

const OFFERS = 300;
const PER_MINUTE = 60;
const room = hostileRoom();

/** wrtc, counting the RTCPeerConnections made. */
function countingWrtc(): { rtc: RtcImplementation; made: () => number } {
  const Base = wrtcImplementation.RTCPeerConnection;
  let made = 0;
  const Counted = function (this: unknown, ...args: ConstructorParameters<typeof Base>) {
    made++;
    return new Base(...args);
  } as unknown as typeof Base;
  return { rtc: { ...wrtcImplementation, RTCPeerConnection: Counted }, made: () => made };
}

it(`${OFFERS} offers, each of a new connection: at most ${PER_MINUTE / 6} pcs, one refusal reported and told; an honest peer still connects`, async () => {
  const url = await room.start();
  const counting = countingWrtc();
  const alice = room.adopt(
    createNodePeerSystem({
      localId: 'alice',
      url,
      room: 'r',
      rtc: counting.rtc,
      maxRemoteNegotiationsPerMinute: PER_MINUTE,
      // Her own attempts would add pcs of their own (a retry after each failed one): none here.
      maxReconnects: 0,
    }),
  );
  const refusals: string[] = [];
  alice.errors$.subscribe((e) => e.code === 'peer-refused' && refusals.push(e.message));
  await alice.signalingOpen();

  const mallory = await room.attacker(url, 'r', 'mallory');
  // Below the server's frame rate (bursts of 1,000), so every offer reaches alice.
  for (let i = 1; i <= OFFERS; i++)
    mallory.signal('alice', {
      type: 'description',
      description: { type: 'offer', sdp: `v=0 ${i}` },
      connection: i,
    });

  expect(await until(() => refusals.length > 0, 30_000)).toBe(true);
  const byes = () => mallory.received.filter((f) => f.signal?.type === 'bye');
  expect(await until(() => byes().length > 0, 10_000)).toBe(true);
  // Offers still in flight now are refused unanswered (one bye and one error per 10 s).
  room.adopt(createNodePeerSystem({ localId: 'bob', url, room: 'r' }));
  const toBob = alice.connect('bob');
  expect(await until(() => toBob.state === 'connected', 60_000)).toBe(true);

  expect(refusals).toEqual([
    'peer mallory refused: hellos and offers faster than maxRemoteNegotiationsPerMinute',
  ]);
  expect(byes()).toEqual([
    { v: 1, type: 'signal', from: 'alice', signal: { type: 'bye', reason: 'negotiation-rate' } },
  ]);
  // The pcs alice made: at most the burst for mallory (each admitted offer, one pc), and one for bob.
  expect(counting.made()).toBeLessThanOrEqual(PER_MINUTE / 6 + 1);
});
