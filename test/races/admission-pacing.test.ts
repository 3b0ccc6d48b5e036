/**
 * The signaling pacer (src/signaling/pacer.ts): the burst of signals of a mesh that starts at once
 * stays under the server's per-socket rate limit, in order, none lost. Fake clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenBucket } from '../../src/protocol/token-bucket.js';
import { createPacer, SIGNALING_PACE } from '../../src/signaling/pacer.js';
import { useFakeTime } from '../support/time.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('signaling pace', () => {
  it('a burst goes out at once up to its size, the rest in order as the pace allows; beyond the queue bound, refused', async () => {
    useFakeTime();
    const sent: number[] = [];
    const refused: number[] = [];
    const pacer = createPacer<number>(
      { ratePerSecond: 10, burst: 3, maxQueued: 4 },
      (n) => sent.push(n),
      (n) => refused.push(n),
    );
    for (let n = 1; n <= 8; n++) pacer.send(n);
    // 3 at once, 4 waiting, 1 beyond the bound.
    expect(sent).toEqual([1, 2, 3]);
    expect(refused).toEqual([8]);
    await vi.advanceTimersByTimeAsync(100);
    expect(sent).toEqual([1, 2, 3, 4]);
    await vi.advanceTimersByTimeAsync(300);
    expect(sent).toEqual([1, 2, 3, 4, 5, 6, 7]);
    pacer.close();
  });

  it("paced at the default, 3,000 signals sent in one tick never meet the embedded server's limit (500/s, bursts of 1,000)", async () => {
    useFakeTime();
    const server = createTokenBucket({ ratePerSecond: 500, burst: 1_000 });
    let admitted = 0;
    let dropped = 0;
    const pacer = createPacer<number>(
      SIGNALING_PACE,
      () => (server.take() ? admitted++ : dropped++),
      () => dropped++,
    );
    for (let n = 0; n < 3_000; n++) pacer.send(n);
    await vi.advanceTimersByTimeAsync(10_000);
    expect({ admitted, dropped }).toEqual({ admitted: 3_000, dropped: 0 });
  });

  it('closed, nothing that waited goes out', async () => {
    useFakeTime();
    const sent: number[] = [];
    const pacer = createPacer<number>(
      { ratePerSecond: 10, burst: 1, maxQueued: 10 },
      (n) => sent.push(n),
      () => {},
    );
    pacer.send(1);
    pacer.send(2);
    pacer.close();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sent).toEqual([1]);
  });
});
