/**
 * How many cases each fuzz target runs: 1,000 in `npm test`, or `FUZZ_RUNS` (`npm run fuzz` sets
 * 100,000). A fixed seed per run can be given as `FUZZ_SEED` to replay a failure.
 */
import { expect } from 'vitest';
import { collector } from '../../bench/gc.js';

const gc = collector();

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${name} must be an integer ≥ 1, got ${raw}`);
  return value;
}

/** Cases per fuzz target. */
export const FUZZ_RUNS = positiveInteger('FUZZ_RUNS', 1_000);

/**
 * fast-check parameters shared by every target: the case count (`FUZZ_RUNS / share`: a target whose
 * case builds whole peer systems runs a share of it), and the seed when one is given.
 */
export function fuzzParameters(share = 1): { numRuns: number; seed?: number } {
  const numRuns = Math.max(1, Math.floor(FUZZ_RUNS / share));
  const seed = process.env.FUZZ_SEED;
  return seed ? { numRuns, seed: Number(seed) } : { numRuns };
}

/** The heap in use after a full collection, in bytes. */
export function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * The summary line of one target, for the run's log: cases, failures (0, or the test failed) and
 * the heap's growth after gc over the run (`heapBefore` from `heapAfterGc()`).
 */
export function summary(target: string, cases: number, heapBefore: number, share = 1): string {
  gc();
  const growth = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  expect(cases).toBe(fuzzParameters(share).numRuns);
  return `fuzz ${target}: ${cases} cases, 0 failures, heap ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB`;
}

/** Bound of one target's run, in ms: a guard against a hang, generous per case (a loaded machine is slow, not wrong). */
export function fuzzTimeoutMs(share = 1, msPerCase = 100): number {
  return 60_000 + fuzzParameters(share).numRuns * msPerCase;
}
