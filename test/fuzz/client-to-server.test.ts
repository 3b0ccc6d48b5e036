/**
 * Fuzzing the embedded signaling server with what a hostile client may send: per case a new
 * socket on 127.0.0.1 writes a sequence of client frames (valid, one field off, wrong types, cut
 * short, not JSON, binary), then closes. What must hold: the server answers only with frames valid
 * under its own schema (the test's client validates every one), it never throws, every socket is
 * gone after its close, and two honest peers in another room still relay through it.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import { signalingClients } from '../support/signaling-client.js';
import { until } from '../support/time.js';
import { clientFrame, wireText } from './arbitraries.js';
import { fuzzParameters, fuzzTimeoutMs, heapAfterGc, summary } from './runs.js';

/** A case opens one socket: half of `FUZZ_RUNS` (500 in `npm test`). */
const SHARE = 2;

let server: SignalingServer;
const clients = signalingClients();

beforeAll(async () => {
  // Every case connects from 127.0.0.1: the per-address caps are lifted so that they refuse nothing.
  server = await startSignalingServer({
    host: '127.0.0.1',
    port: 0,
    maxConnectionsPerAddress: 1_000,
    maxJoinsPerMinutePerAddress: 1_000_000,
    maxJoinsPerMinute: 1_000_000,
    log: () => {},
  });
});

afterAll(async () => {
  clients.terminateAll();
  await server.close();
});

/** What one case writes: text frames, or now and then raw bytes. */
const write = fc.oneof(
  { weight: 9, arbitrary: wireText(clientFrame) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
);

describe('fuzz: a hostile signaling client', () => {
  it(
    'any sequence of client frames: valid answers only, nothing thrown, sockets freed, honest peers still relay',
    async () => {
      const a = await clients.join(server.url, 'fuzz-honest', 'honest-a');
      const b = await clients.join(server.url, 'fuzz-honest', 'honest-b');
      await a.client.next(); // presence of honest-b
      const heap = heapAfterGc();
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 12 }), async (frames) => {
          cases++;
          const attacker = await clients.connect(server.url);
          for (const frame of frames) attacker.socket.send(frame);
          // A graceful close: the server has read every frame before the close completes.
          attacker.socket.close();
          await attacker.closed;
          // Not kept by the test: the heap figure is then what the server keeps.
          clients.release(attacker);
        }),
        fuzzParameters(SHARE),
      );
      // Only the two honest sockets are left once the server has seen every close.
      expect(await until(() => server.stats().connections === 2, 30_000)).toBe(true);
      a.client.send({ v: 1, type: 'signal', to: 'honest-b', signal: { type: 'hello' } });
      let frame = await b.client.next();
      while (frame.type !== 'signal') frame = await b.client.next();
      expect(frame).toEqual({ v: 1, type: 'signal', from: 'honest-a', signal: { type: 'hello' } });
      console.log(summary('client frames into the signaling server', cases, heap, SHARE));
    },
    fuzzTimeoutMs(SHARE),
  );
});
