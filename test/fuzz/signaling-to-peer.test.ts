/**
 * Fuzzing a peer system with what a hostile signaling server may send it: any sequence of server
 * frames (valid, one field off, wrong types, cut short, not JSON), for a system with one peer it
 * asked for. What must hold for every sequence: nothing is thrown, the system stays up, the actors
 * and RTCPeerConnections a stream of strangers can make it create stay within `maxPeers` and
 * `maxPendingIncoming`, and `stop()` ends it.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../races/harness.js';
import { flushMicrotasks } from '../support/microtasks.js';
import { serverFrame, wireText } from './arbitraries.js';
import { fuzzParameters, fuzzTimeoutMs, heapAfterGc, summary } from './runs.js';

/** A case builds one peer system: half of `FUZZ_RUNS` (500 in `npm test`). */
const SHARE = 2;
const MAX_PEERS = 4;
const MAX_PENDING_INCOMING = 2;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stopAll();
});

describe('fuzz: a hostile signaling server', () => {
  it(
    'any sequence of server frames: nothing thrown, the system stays up, actors and pcs stay bounded',
    async () => {
      const heap = heapAfterGc();
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(wireText(serverFrame), { minLength: 1, maxLength: 16 }), async (texts) => {
          cases++;
          h = createHarness();
          const alice = await h.system('alice', {
            maxPeers: MAX_PEERS,
            maxPendingIncoming: MAX_PENDING_INCOMING,
          });
          alice.connect('bob');
          await flushMicrotasks();
          const socket = h.hub.sockets.at(-1);
          if (!socket) throw new Error('no socket');
          for (const text of texts) {
            socket.deliverText(text);
            await flushMicrotasks();
          }
          const snapshot = alice.actor.getSnapshot();
          expect(snapshot.status).toBe('active');
          expect(Object.keys(snapshot.children).filter((id) => id !== '0').length).toBeLessThanOrEqual(
            MAX_PEERS,
          );
          expect(h.pcs.filter((pc) => !pc.closed).length).toBeLessThanOrEqual(MAX_PEERS);
          await h.stopAll();
          h = undefined;
        }),
        fuzzParameters(SHARE),
      );
      console.log(summary('server frames into a peer system', cases, heap, SHARE));
    },
    fuzzTimeoutMs(SHARE),
  );
});
