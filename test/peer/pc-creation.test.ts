/**
 * A stack that throws from `new RTCPeerConnection` (a browser given an invalid `iceServers` URL, a
 * process out of file descriptors): each attempt fails with `pc-creation-failed`, the reconnect
 * policy retries it, the peer ends `failed` when reconnects run out, and the system stays active
 * for the other peers. Before, the throw escaped the pc actor and stopped the whole system with an
 * error.
 */
import { afterEach, expect, it } from 'vitest';
import type { PeerSystem, RtcImplementation } from '../../src/index.js';
import { createPeerSystem } from '../../src/index.js';
import { createFakeRtc, createFakeSignaling } from '../../src/testing/index.js';
import { until } from '../support/time.js';

const systems: PeerSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((system) => system.stop()));
});

it('a throwing RTCPeerConnection constructor fails attempts, not the system', async () => {
  const hub = createFakeSignaling();
  const fake = createFakeRtc();
  let refusedToMake = 0;
  class Refusing {
    constructor() {
      refusedToMake++;
      throw new Error('EMFILE: too many open files');
    }
  }
  const alice = createPeerSystem({
    localId: 'alice',
    url: 'ws://fake',
    rtc: { ...fake.rtc, RTCPeerConnection: Refusing as unknown as RtcImplementation['RTCPeerConnection'] },
    WebSocket: hub.WebSocket,
    maxReconnects: 2,
    peerReconnectBackoff: { initialMs: 1, maxMs: 1 },
  });
  const bob = createPeerSystem({ localId: 'bob', url: 'ws://fake', rtc: fake.rtc, WebSocket: hub.WebSocket });
  systems.push(alice, bob);
  const errors: string[] = [];
  alice.errors$.subscribe((e) => errors.push(`${e.code}: ${e.message}`));
  const toBob = alice.connect('bob');
  // The fake hub delivers what is queued whenever asked; the waits between polls run the timers.
  const settle = () => {
    hub.openAll();
    hub.deliverAll();
    return toBob.state === 'failed';
  };
  expect(await until(settle, 10_000)).toBe(true);

  expect(alice.actor.getSnapshot().status).toBe('active');
  expect(refusedToMake).toBe(3);
  expect(errors.filter((e) => e.startsWith('attempt-failed'))).toHaveLength(2);
  expect(errors.at(-1)).toBe('connection-failed: pc-creation-failed: EMFILE: too many open files');
  expect(errors[0]).toMatch(/pc-creation-failed: EMFILE/);
});
