import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../../src/protocol/token-bucket.js';

/** A clock the test moves by hand, in milliseconds. */
function manualClock() {
  let t = 0;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

function takeMany(bucket: { take(): boolean }, n: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) if (bucket.take()) admitted += 1;
  return admitted;
}

describe('token bucket', () => {
  it('admits a full burst, then nothing until tokens refill', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 20, now: clock.now });
    expect(takeMany(bucket, 25)).toBe(20);
    clock.advance(99);
    expect(bucket.take()).toBe(false);
    clock.advance(1); // 100 ms at 10/s: one token
    expect(takeMany(bucket, 5)).toBe(1);
  });

  it('refills at ratePerSecond up to burst, never beyond', () => {
    const clock = manualClock();
    const bucket = createTokenBucket({ ratePerSecond: 500, burst: 1000, now: clock.now });
    expect(takeMany(bucket, 1000)).toBe(1000);
    clock.advance(1000);
    expect(takeMany(bucket, 1000)).toBe(500);
    clock.advance(60_000);
    expect(takeMany(bucket, 2000)).toBe(1000);
  });

  it('ignores a clock that goes backwards', () => {
    const clock = manualClock();
    clock.advance(1000);
    const bucket = createTokenBucket({ ratePerSecond: 1, burst: 1, now: clock.now });
    expect(bucket.take()).toBe(true);
    clock.advance(-500);
    expect(bucket.take()).toBe(false);
    clock.advance(1000);
    expect(bucket.take()).toBe(false); // back at +500 ms since the last take: half a token
    clock.advance(500);
    expect(bucket.take()).toBe(true);
  });

  it('rejects rates and bursts out of range', () => {
    expect(() => createTokenBucket({ ratePerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => createTokenBucket({ ratePerSecond: Number.NaN, burst: 1 })).toThrow(RangeError);
    expect(() => createTokenBucket({ ratePerSecond: 1, burst: 0.5 })).toThrow(RangeError);
    expect(() => createTokenBucket({ ratePerSecond: 1, burst: Number.POSITIVE_INFINITY })).toThrow(
      RangeError,
    );
  });
});
