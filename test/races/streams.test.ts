/**
 * The lifecycle of the public streams on the scripted fakes: what a subscriber sees before and after
 * the actor behind a stream stops, and that subscribers do not disturb each other.
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerRecovery } from '../../src/index.js';
import { flushMicrotasks } from '../support/microtasks.js';
import type { Harness } from './harness.js';
import { createHarness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.stopAll();
});

/** Every value a subscriber gets now, and whether it completed. */
function record<T>(stream: { subscribe(observer: { next(v: T): void; complete(): void }): unknown }) {
  const seen: { values: T[]; completed: boolean } = { values: [], completed: false };
  stream.subscribe({ next: (v) => seen.values.push(v), complete: () => (seen.completed = true) });
  return seen;
}

describe('public streams', () => {
  it('signaling$ gives each subscriber the current state and every change; after stop, the last state, then completes', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const early = record(alice.signaling$);
    const second = record(alice.signaling$);
    const taken = await firstValueFrom(alice.signaling$.pipe(take(1), toArray()));
    expect(taken).toEqual(['open']);
    expect(second.values).toEqual(['open']);
    await alice.stop();
    expect(early.completed).toBe(true);
    expect(second.completed).toBe(true);
    expect(early.values).toEqual(['open', 'closed']);
    expect(second.values).toEqual(['open', 'closed']);
    expect(record(alice.signaling$)).toEqual({ values: ['closed'], completed: true });
  });

  it('signalingOpen() rejects when the system stops before the session opens again', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    await alice.stop();
    await expect(alice.signalingOpen()).rejects.toThrow();
  });

  it('state$ and recovery$ of a closed peer give the final figures, then complete', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const toBob = alice.connect('bob');
    const recovery = record<PeerRecovery>(toBob.recovery$);
    expect(recovery.values).toEqual([{ iceRestarts: 0, reconnects: 0, remotePresent: false }]);
    toBob.close();
    await flushMicrotasks();
    expect(recovery.completed).toBe(true);
    expect(record(toBob.state$)).toEqual({ values: ['closed'], completed: true });
    expect(record(toBob.recovery$)).toEqual({ values: [recovery.values.at(-1)], completed: true });
  });

  it('a subscriber that leaves on the first value takes nothing more, and the others go on', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const toBob = alice.connect('bob');
    const first = await firstValueFrom(toBob.state$);
    const all = record(toBob.state$);
    toBob.close();
    await flushMicrotasks();
    expect(first).toBe('discovering');
    expect(all).toEqual({ values: ['discovering', 'closed'], completed: true });
  });

  it('messages$ completes on stop, and a subscriber after stop is completed at once', async () => {
    h = createHarness();
    const alice = await h.system('alice');
    const early = record(alice.messages$);
    const fromBob = record(alice.connect('bob').messages$);
    await alice.stop();
    expect(early).toEqual({ values: [], completed: true });
    expect(fromBob).toEqual({ values: [], completed: true });
    expect(record(alice.messages$)).toEqual({ values: [], completed: true });
  });
});
