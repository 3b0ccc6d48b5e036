/**
 * `npm run bench -- throughput --inspect`: the inspector's cost on real throughput. The same
 * peerstate run as the `throughput` bench (two @roamhq/wrtc systems, 64 KiB messages) is made
 * without and with the inspector attached (one page reading it, bench/inspector-reader.ts),
 * interleaved in one process: each counted pair runs both, in turn first (without → with, then
 * with → without, ...), so that drift and order hit both sides alike; one uncounted pair comes first.
 * Two figures per pair, each a ratio with / without: MiB/s (1 = free, 0.9 = 10 % slower), and the
 * process's CPU time per MiB (user + system, every thread, the whole run from connect to stop; 1 =
 * free, 1.1 = 10 % more CPU), which other load on the machine disturbs far less than wall-clock
 * speed. The result is the median of each, with the quartiles of the pairs' ratios. With `json` the
 * last stdout line is `{"withoutMBps","withMBps","ratio","ratioP25","ratioP75","cpuRatio",
 * "cpuRatioP25","cpuRatioP75","runs"}`.
 */
import type { ThroughputSample } from './raw-throughput.js';
import { median, quantile, round } from './stats.js';
import { onSignalingServer, peerstateRunner, WARMUP_MEGABYTES } from './throughput.js';

/** One run: its speed, and the CPU time the process spent on it per MiB, in ms. */
export interface InspectorSample extends ThroughputSample {
  cpuMsPerMiB: number;
}

/** One counted pair: the run without the inspector, the run with it, and which came first. */
export interface InspectorPair {
  run: number;
  without: InspectorSample;
  with: InspectorSample;
  withFirst: boolean;
  /** with / without, in MiB/s. */
  ratio: number;
  /** with / without, in CPU ms per MiB. */
  cpuRatio: number;
}

/** Median and quartiles of some ratios. */
export interface Spread {
  median: number;
  p25: number;
  p75: number;
}

/** What the benchmark measured. */
export interface InspectorThroughputResult {
  pairs: InspectorPair[];
  /** Median MiB/s of each side. */
  withoutMBps: number;
  withMBps: number;
  /** The pairs' ratios of MiB/s (with / without). */
  ratio: Spread;
  /** The pairs' ratios of CPU ms per MiB (with / without). */
  cpuRatio: Spread;
}

function spread(values: number[]): Spread {
  return { median: median(values), p25: quantile(values, 0.25), p75: quantile(values, 0.75) };
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
    const runPeerstate = peerstateRunner(url);
    const peerstate = async (mib: number, inspect: boolean): Promise<InspectorSample> => {
      const before = process.cpuUsage();
      const sample = await runPeerstate(mib, inspect);
      const cpu = process.cpuUsage(before);
      return { ...sample, cpuMsPerMiB: (cpu.user + cpu.system) / 1000 / mib };
    };
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
      const pair = {
        run,
        ...sides,
        withFirst,
        ratio: sides.with.mibPerSecond / sides.without.mibPerSecond,
        cpuRatio: sides.with.cpuMsPerMiB / sides.without.cpuMsPerMiB,
      };
      pairs.push(pair);
      report.pair(pair);
    }
    return {
      pairs,
      withoutMBps: median(pairs.map((p) => p.without.mibPerSecond)),
      withMBps: median(pairs.map((p) => p.with.mibPerSecond)),
      ratio: spread(pairs.map((p) => p.ratio)),
      cpuRatio: spread(pairs.map((p) => p.cpuRatio)),
    };
  });
}

/** One line per counted pair. */
function pairLine(pair: InspectorPair): string {
  const side = (s: InspectorSample) =>
    `${s.mibPerSecond.toFixed(2).padStart(6)} MiB/s ${s.cpuMsPerMiB.toFixed(1).padStart(6)} CPU ms/MiB`;
  return (
    `run ${String(pair.run).padStart(2)}  without ${side(pair.without)}  with inspector ${side(pair.with)}  ` +
    `ratios ${pair.ratio.toFixed(3)} speed, ${pair.cpuRatio.toFixed(3)} CPU${pair.withFirst ? '  (with first)' : ''}`
  );
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
    const shown = (r: Spread) => `${r.median.toFixed(3)} (quartiles ${r.p25.toFixed(3)}–${r.p75.toFixed(3)})`;
    console.log(
      `${result.pairs.length} pairs of ${options.megabytes} MiB: median without ${result.withoutMBps.toFixed(2)} MiB/s, ` +
        `with inspector ${result.withMBps.toFixed(2)} MiB/s; ratios with/without: speed ${shown(result.ratio)}, ` +
        `CPU per MiB ${shown(result.cpuRatio)}`,
    );
    if (options.json)
      console.log(
        JSON.stringify({
          withoutMBps: round(result.withoutMBps, 2),
          withMBps: round(result.withMBps, 2),
          ratio: round(result.ratio.median, 3),
          ratioP25: round(result.ratio.p25, 3),
          ratioP75: round(result.ratio.p75, 3),
          cpuRatio: round(result.cpuRatio.median, 3),
          cpuRatioP25: round(result.cpuRatio.p25, 3),
          cpuRatioP75: round(result.cpuRatio.p75, 3),
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
