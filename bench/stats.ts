/** Summary statistics of benchmark samples (in whatever unit the samples are, ms here). */

/** The median of `samples` (mean of the two middle values for an even count); NaN if empty. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The `q` quantile of `samples` by the nearest-rank method (0 < q ≤ 1): the smallest sample with at
 * least `q` of all samples at or below it. With 15 to 19 samples, p95 is the maximum. NaN if empty.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((x, y) => x - y);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Rounds to `digits` decimals (for printing and JSON). */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Median, p95 and maximum of a set of samples, in ms (1 decimal); `null` each when there is none. */
export interface Spread {
  medianMs: number | null;
  p95Ms: number | null;
  maxMs: number | null;
}

/** The {@link Spread} of `samples` (ms): p95 by {@link quantile} (the maximum below 20 samples). */
export function spread(samples: readonly number[]): Spread {
  if (samples.length === 0) return { medianMs: null, p95Ms: null, maxMs: null };
  return {
    medianMs: round(median(samples), 1),
    p95Ms: round(quantile(samples, 0.95), 1),
    maxMs: round(Math.max(...samples), 1),
  };
}
