/**
 * Fuzzing a connected peer with what a hand-made remote may write on the data channel: sequences of
 * frames of any kind, number and payload, written into alice's end of a pair on the scripted fakes.
 * What must hold for every sequence: nothing is thrown, the system stays up, a protocol violation is
 * reported once and nothing of the channel is delivered after it, and whatever waits for the
 * application stays within `maxMessageBytes`.
 *
 * A case builds two peer systems and connects them, so this target runs a fifth of `FUZZ_RUNS` (200
 * in `npm test`); the frame decoder and reassembler alone run the full count.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerstateError } from '../../src/index.js';
import { decodeFrame, Reassembler } from '../../src/protocol/frames.js';
import { createHarness, type Harness } from '../races/harness.js';
import { toArrayBuffer } from '../support/bytes.js';
import { flushMicrotasks } from '../support/microtasks.js';
import { channelFrame } from './arbitraries.js';
import { fuzzParameters, fuzzTimeoutMs, heapAfterGc, summary } from './runs.js';

/** Cases of the system-level target: FUZZ_RUNS / SHARE. */
const SHARE = 5;

let h: Harness | undefined;
afterEach(async () => {
  await h?.stopAll();
});

describe('fuzz: data-channel frames from a hostile remote', () => {
  it('decoder and reassembler: never throw; a message stays within its budget; after a violation every frame is refused', () => {
    const MAX = 8 * 1024;
    const heap = heapAfterGc();
    let cases = 0;
    fc.assert(
      fc.property(fc.array(channelFrame, { minLength: 1, maxLength: 64 }), (frames) => {
        cases++;
        const reassembler = new Reassembler(MAX);
        let violated = false;
        for (const raw of frames) {
          const frame = decodeFrame(raw);
          if (frame.kind !== 'part' && frame.kind !== 'last') continue;
          const result = reassembler.push(frame);
          if (result instanceof Error) violated = true;
          else {
            expect(violated).toBe(false);
            if (result !== null) {
              expect(result.seq).toBe(frame.seq);
              expect(
                typeof result.data === 'string' ? result.data.length : result.data.byteLength,
              ).toBeLessThanOrEqual(MAX);
            }
          }
        }
      }),
      fuzzParameters(),
    );
    console.log(summary('data-channel frames, decoder and reassembler', cases, heap));
  });

  /**
   * A violation ends the channel. A gap (a message after a missing one, answered with a resync hello)
   * and a message refused for lack of room before `connected` are reported as `invalid-frame` too,
   * but the channel goes on: a message in order after them is delivered, as it must be.
   */
  const isViolation = (e: PeerstateError) =>
    e.code === 'invalid-frame' && !/arrived after|wait for connected/.test(e.message);

  it(
    'any sequence of frames: nothing thrown, the system stays up, nothing delivered after a violation',
    async () => {
      const heap = heapAfterGc();
      let cases = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(channelFrame, { minLength: 1, maxLength: 24 }), async (frames) => {
          cases++;
          h = createHarness();
          const { alice, toBob, pcA } = await h.connectedPair({ maxMessageBytes: 8 * 1024 });
          const errors: PeerstateError[] = [];
          alice.errors$.subscribe((e) => errors.push(e));
          let delivered = 0;
          let deliveredAfterViolation = 0;
          toBob.messages$.subscribe(() => {
            delivered++;
            if (errors.some(isViolation)) deliveredAfterViolation++;
          });
          const channel = pcA.channels[0];
          if (!channel) throw new Error('no channel');
          for (const frame of frames) {
            channel.receive(toArrayBuffer(frame));
            await flushMicrotasks();
          }
          expect(alice.actor.getSnapshot().status).toBe('active');
          // Only well-formed whole messages can be delivered, each at most once.
          expect(delivered).toBeLessThanOrEqual(frames.length);
          expect(deliveredAfterViolation).toBe(0);
          // One report per violation: the channel ignores what follows it.
          expect(errors.filter(isViolation).length).toBeLessThanOrEqual(1);
          await h.stopAll();
          h = undefined;
        }),
        {
          ...fuzzParameters(SHARE),
          // Found by `npm run fuzz` (seed 1471964376): message 2, then 1 (a gap, then the message in
          // order, which must be delivered), then a hello without instances (a violation).
          examples: [
            [
              [
                Uint8Array.from([1, 64, 0, 0, 0, 0, 0, 0, 0]),
                Uint8Array.from([1, 63, 240, 0, 0, 0, 0, 0, 0]),
                Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0]),
              ],
            ],
          ],
        },
      );
      console.log(summary('data-channel frames through a peer', cases, heap, SHARE));
    },
    fuzzTimeoutMs(SHARE),
  );
});
