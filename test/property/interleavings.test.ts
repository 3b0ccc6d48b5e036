/**
 * Property test: random interleavings of signaling, pc promises, pc events, timers and user calls
 * across 2-3 peers, chosen by fast-check's scheduler (see interleavings.ts for the invariants).
 * 1,000 runs in the suite; `npm run interleavings` runs 10,000 (or INTERLEAVINGS=N) on demand.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { useFakeTime } from '../support/time.js';
import type { RunStats } from './interleavings.js';
import { planArbitrary, runInterleaving } from './interleavings.js';

beforeEach(() => {
  useFakeTime();
});
afterEach(() => {
  vi.useRealTimers();
});

const numRuns = Number(process.env.INTERLEAVINGS ?? 1_000);

it(`${numRuns} random interleavings across 2-3 peers keep every invariant`, async () => {
  let runs = 0;
  let runsWithConnection = 0;
  const total: RunStats = { steps: 0, candidatesApplied: 0, connectedPeers: 0, messagesReceived: 0 };
  await fc.assert(
    fc.asyncProperty(fc.scheduler(), planArbitrary(), async (s, plan) => {
      runs++;
      const stats: RunStats = { steps: 0, candidatesApplied: 0, connectedPeers: 0, messagesReceived: 0 };
      const violations = await runInterleaving(
        s,
        plan,
        { advance: (ms) => vi.advanceTimersByTime(ms) },
        stats,
      );
      expect(violations).toEqual([]);
      total.steps += stats.steps;
      total.candidatesApplied += stats.candidatesApplied;
      total.messagesReceived += stats.messagesReceived;
      if (stats.connectedPeers > 0) runsWithConnection++;
    }),
    { numRuns },
  );
  console.log(`interleavings: ${runs}, violations: 0`);
  console.log(
    `(steps: ${total.steps}, candidates applied: ${total.candidatesApplied}, messages received: ${total.messagesReceived}, runs that reached connected: ${runsWithConnection})`,
  );
  expect(runs).toBe(numRuns);
  // The runs must exercise the library, not only start and stop it.
  expect(runsWithConnection).toBeGreaterThan(numRuns / 5);
  expect(total.candidatesApplied).toBeGreaterThan(numRuns / 2);
  expect(total.messagesReceived).toBeGreaterThan(numRuns / 20);
}, 1_800_000);
