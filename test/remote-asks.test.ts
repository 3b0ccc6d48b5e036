/**
 * The per-remote allowance of hellos and offers, and the rate at which refusals are told
 * (src/remote-asks.ts), on an injected clock.
 */
import { describe, expect, it } from 'vitest';
import { REFUSAL_TELL_INTERVAL_MS, RemoteAskLimiter } from '../src/remote-asks.js';

function limiter(perMinute: number, maxRemotes = 8) {
  let now = 0;
  const limits = new RemoteAskLimiter({ perMinute, maxRemotes, now: () => now });
  return { limits, advance: (ms: number) => (now += ms) };
}

describe('RemoteAskLimiter', () => {
  it('admits a burst of a sixth of perMinute, then one ask per 60/perMinute s', () => {
    const { limits, advance } = limiter(60);
    const burst = Array.from({ length: 12 }, () => limits.admitAsk('mallory'));
    expect(burst.filter(Boolean)).toHaveLength(10);
    expect(limits.admitAsk('mallory')).toBe(false);
    advance(999);
    expect(limits.admitAsk('mallory')).toBe(false);
    advance(1);
    expect(limits.admitAsk('mallory')).toBe(true);
    // Each remote has its own allowance.
    expect(limits.admitAsk('bob')).toBe(true);
  });

  it('a rate below 6 a minute still admits one ask at once', () => {
    const { limits } = limiter(2);
    expect(limits.admitAsk('bob')).toBe(true);
    expect(limits.admitAsk('bob')).toBe(false);
  });

  it(`tells a refusal once per ${REFUSAL_TELL_INTERVAL_MS} ms per remote`, () => {
    const { limits, advance } = limiter(60);
    expect([limits.mayTell('mallory'), limits.mayTell('mallory'), limits.mayTell('eve')]).toEqual([
      true,
      false,
      true,
    ]);
    advance(REFUSAL_TELL_INTERVAL_MS - 1);
    expect(limits.mayTell('mallory')).toBe(false);
    advance(1);
    expect(limits.mayTell('mallory')).toBe(true);
  });

  it('remembers at most maxRemotes: the one unheard from longest is forgotten', () => {
    const { limits } = limiter(6, 2);
    expect(limits.admitAsk('a')).toBe(true);
    expect(limits.admitAsk('a')).toBe(false);
    limits.admitAsk('b');
    // a was heard from after b was: b is the stalest when c arrives.
    expect(limits.admitAsk('a')).toBe(false);
    limits.admitAsk('c');
    expect(limits.admitAsk('a')).toBe(false);
    // b was forgotten, so it starts with a full allowance again.
    expect(limits.admitAsk('b')).toBe(true);
  });
});
