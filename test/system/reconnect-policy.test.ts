import { describe, expect, it } from 'vitest';
import { exponentialBackoff, withoutGivingUp } from '../../src/reconnect-policy.js';

/** The waits of retries 1..attempts. */
const bounds = (policy: ReturnType<typeof exponentialBackoff>, attempts: number) =>
  Array.from({ length: attempts }, (_, i) => policy.nextDelayMs(i + 1));

describe('exponentialBackoff', () => {
  it('retry n waits random · initialMs · 2^(n-1), capped at maxMs', () => {
    const policy = exponentialBackoff({ initialMs: 100, maxMs: 1_000, random: () => 0.5 });
    expect(bounds(policy, 6)).toEqual([50, 100, 200, 400, 500, 500]);
  });

  it('waits stay within [0, bound) for any random in [0, 1)', () => {
    const low = exponentialBackoff({ initialMs: 250, maxMs: 8_000, random: () => 0 });
    const high = exponentialBackoff({ initialMs: 250, maxMs: 8_000, random: () => 0.999_999 });
    for (let attempt = 1; attempt <= 40; attempt++) {
      const bound = Math.min(8_000, 250 * 2 ** (attempt - 1));
      expect(low.nextDelayMs(attempt)).toBe(0);
      expect(high.nextDelayMs(attempt)).toBeLessThan(bound);
      expect(high.nextDelayMs(attempt)).toBeGreaterThan(bound * 0.999);
    }
  });

  it('the exponent is capped: huge attempt numbers give the cap, never Infinity or NaN', () => {
    const policy = exponentialBackoff({ initialMs: 1, maxMs: Number.MAX_SAFE_INTEGER, random: () => 0.5 });
    expect(policy.nextDelayMs(17)).toBe(2 ** 15);
    expect(policy.nextDelayMs(10_000)).toBe(2 ** 15);
  });

  it('gives up (null) after maxAttempts retries', () => {
    const policy = exponentialBackoff({ initialMs: 100, maxMs: 1_000, maxAttempts: 3, random: () => 0.5 });
    expect(bounds(policy, 5)).toEqual([50, 100, 200, null, null]);
    expect(exponentialBackoff({ initialMs: 100, maxMs: 1_000, maxAttempts: 0 }).nextDelayMs(1)).toBeNull();
  });

  it('never gives up without maxAttempts', () => {
    const policy = exponentialBackoff({ initialMs: 100, maxMs: 1_000, random: () => 0.5 });
    expect(policy.nextDelayMs(1_000_000)).toBe(500);
  });

  it('uses Math.random at each call unless given a source', () => {
    const policy = exponentialBackoff({ initialMs: 100, maxMs: 1_000 });
    const original = Math.random;
    Math.random = () => 0.25;
    try {
      expect(policy.nextDelayMs(2)).toBe(50);
    } finally {
      Math.random = original;
    }
  });
});

describe('withoutGivingUp', () => {
  it('passes waits through, and repeats the last one where the policy gives up', () => {
    const policy = withoutGivingUp(
      exponentialBackoff({ initialMs: 100, maxMs: 1_000, maxAttempts: 2, random: () => 0.5 }),
    );
    expect([1, 2, 3, 4].map((n) => policy.nextDelayMs(n))).toEqual([50, 100, 100, 100]);
  });

  it('waits 0 ms if the policy never gave a wait', () => {
    expect(withoutGivingUp({ nextDelayMs: () => null }).nextDelayMs(1)).toBe(0);
  });
});
