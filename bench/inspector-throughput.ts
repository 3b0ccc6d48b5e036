/**
 * `npm run bench -- throughput --inspect`: the inspector's cost on real throughput. The same
 * peerstate run as the `throughput` bench (two @roamhq/wrtc systems, 64 KiB messages) is made
 * without and with the inspector attached (one page reading it, bench/inspector-reader.ts),
 * interleaved in one process: each counted pair runs both, in turn first (without → with, then
 * with → without, ...), so that drift and order hit both sides alike; one uncounted pair comes first.
 * The figure is the median of the pairs' ratios (with / without MiB/s; 1 = free, 0.9 = 10 % slower),
 * next to the ratio of the two medians. With `json` the last stdout line is
 * `{"withoutMBps","withMBps","ratio","ratioOfMedians","runs"}`.
 */
import type { ThroughputSample } from './raw-throughput.js';
import { median, round } from './stats.js';
import { onSignalingServer, peerstateRunner, WARMUP_MEGABYTES } from './throughput.js';

/** One counted pair: the run without the inspector, the run with it, and which came first. */
export interface InspectorPair {
  run: number;
  without: ThroughputSample;
  with: ThroughputSample;
  withFirst: boolean;
  /** with / without, in MiB/s. */
  ratio: number;
}

/** What the benchmark measured. */
export interface InspectorThroughputResult {
  pairs: InspectorPair[];
  /** Median MiB/s of each side. */
  withoutMBps: number;
  withMBps: number;
  /** Median of the pairs' ratios (with / without). */
  ratio: number;
  /** withMBps / withoutMBps. */
  ratioOfMedians: number;
}

/** Runs fewer than this give a warning: the median of fewer ratios is rough. */
const RECOMMENDED_RUNS = 15;

/**
 * Starts a signaling server, runs the warm-up pair and `runs` counted pairs of `megabytes` MiB each
 * side, closes the server. Rejects on the first failed run, after cleanup.
 */
export async function measureInspectorThroughput(
  options: { runs: number; megabytes: number },
  report: { progress(line: string): void; pair(pair: InspectorPair): void },
): Promise<InspectorThroughputResult> {
  const { runs, megabytes } = options;
  return onSignalingServer(options, report.progress, async (url) => {
    const peerstate = peerstateRunner(url);
    const both = async (mib: number, withFirst: boolean) => {
      const first = await peerstate(mib, withFirst);
      const second = await peerstate(mib, !withFirst);
      return withFirst ? { with: first, without: second } : { with: second, without: first };
    };
    const warmup = Math.min(megabytes, WARMUP_MEGABYTES);
    report.progress(`warm-up: ${warmup} MiB without and with the inspector`);
    await both(warmup, false);
    const pairs: InspectorPair[] = [];
    for (let run = 1; run <= runs; run++) {
      const withFirst = run % 2 === 0;
      report.progress(
        `run ${run}/${runs}: ${megabytes} MiB ${withFirst ? 'with, then without' : 'without, then with'}`,
      );
      const sides = await both(megabytes, withFirst);
      const pair = { run, ...sides, withFirst, ratio: sides.with.mibPerSecond / sides.without.mibPerSecond };
      pairs.push(pair);
      report.pair(pair);
    }
    const withoutMBps = median(pairs.map((p) => p.without.mibPerSecond));
    const withMBps = median(pairs.map((p) => p.with.mibPerSecond));
    return {
      pairs,
      withoutMBps,
      withMBps,
      ratio: median(pairs.map((p) => p.ratio)),
      ratioOfMedians: withMBps / withoutMBps,
    };
  });
}

/** One line per counted pair. */
function pairLine(pair: InspectorPair): string {
  const side = (s: ThroughputSample) => `${s.mibPerSecond.toFixed(2).padStart(6)} MiB/s`;
  return `run ${String(pair.run).padStart(2)}  without ${side(pair.without)}  with inspector ${side(pair.with)}  ratio ${pair.ratio.toFixed(3)}${pair.withFirst ? '  (with first)' : ''}`;
}

/**
 * Measures and prints per-pair lines and the summary on stdout (the JSON line last with `json`),
 * progress and failures on stderr. Resolves with the exit code: 0 on success, 1 if a run failed.
 */
export async function runInspectorThroughputBench(options: {
  runs: number;
  megabytes: number;
  json: boolean;
}): Promise<number> {
  if (options.runs < RECOMMENDED_RUNS)
    process.stderr.write(
      `warning: --runs ${options.runs} is below ${RECOMMENDED_RUNS}; the median is rough\n`,
    );
  try {
    const result = await measureInspectorThroughput(options, {
      progress: (line) => process.stderr.write(`${line}\n`),
      pair: (pair) => console.log(pairLine(pair)),
    });
    console.log(
      `${result.pairs.length} pairs of ${options.megabytes} MiB: median without ${result.withoutMBps.toFixed(2)} MiB/s, ` +
        `with inspector ${result.withMBps.toFixed(2)} MiB/s; median ratio with/without ${result.ratio.toFixed(3)} ` +
        `(ratio of medians ${result.ratioOfMedians.toFixed(3)})`,
    );
    if (options.json)
      console.log(
        JSON.stringify({
          withoutMBps: round(result.withoutMBps, 2),
          withMBps: round(result.withMBps, 2),
          ratio: round(result.ratio, 3),
          ratioOfMedians: round(result.ratioOfMedians, 3),
          runs: result.pairs.length,
        }),
      );
    return 0;
  } catch (error) {
    process.stderr.write(
      `throughput --inspect failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  }
}
