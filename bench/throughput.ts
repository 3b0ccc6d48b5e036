/**
 * The `throughput` benchmark: `megabytes` MiB in 64 KiB messages on @roamhq/wrtc, peerstate
 * (`PeerHandle.send`: framing, sequence numbers, acks, outbox held until acknowledged) against raw
 * `dc.send` on a hand-written pair, both with a 4 MiB high / 1 MiB low water mark on
 * `bufferedAmount`, polled every 2 ms (wrtc 0.10 has no `bufferedamountlow`). Each run is timed from
 * the first send to the receiver having every byte. Runs alternate (peerstate, raw, peerstate, raw,
 * ...) in one process so that drift (CPU frequency, JIT, GC, other load) hits both sides alike; one
 * uncounted warm-up pair comes first. Results go to stdout, progress to stderr; with `json` the last
 * stdout line is `{"peerstateMBps":..,"rawMBps":..,"ratio":..}` (MiB/s medians; ratio =
 * peerstate/raw, higher is better for peerstate). The inspector's cost is measured the same way,
 * peerstate with it against peerstate without, by bench/inspector-throughput.ts.
 */
import { randomUUID } from 'node:crypto';
import { startSignalingServer } from '../src/server/index.js';
import { peerstateThroughput } from './peerstate-throughput.js';
import { rawThroughput, type ThroughputRunOptions, type ThroughputSample } from './raw-throughput.js';
import { median, round } from './stats.js';

/** Options of `runThroughputBench`, as the command line gives them. */
export interface ThroughputBenchOptions {
  /** Counted runs of each side (≥ 1; 5 recommended at least). */
  runs: number;
  /** MiB to send per run (≥ 1), in 64 KiB messages. */
  megabytes: number;
  /** End stdout with the JSON line. */
  json: boolean;
}

/** One counted pair of runs. */
export interface ThroughputPair {
  /** 1-based index among the counted runs. */
  run: number;
  peerstate: ThroughputSample;
  raw: ThroughputSample;
}

/** What the benchmark measured. */
export interface ThroughputBenchResult {
  pairs: ThroughputPair[];
  /** Median MiB/s of each side. */
  peerstateMBps: number;
  rawMBps: number;
  /** peerstate median / raw median. */
  ratio: number;
}

/** Bytes per message. */
export const MESSAGE_BYTES = 64 * 1024;
/** Backpressure of both sides: the defaults of `createPeerSystem`. */
const HIGH_WATER_MARK = 4 * 1024 * 1024;
const LOW_WATER_MARK = 1024 * 1024;
const POLL_INTERVAL_MS = 2;
/** Bound of connecting one pair (signaling, ICE, channel open), in ms. */
const SETUP_TIMEOUT_MS = 15_000;
/** Runs fewer than this give a warning. */
const RECOMMENDED_RUNS = 5;
/** MiB of the uncounted warm-up runs, at most. */
export const WARMUP_MEGABYTES = 16;

/** Bound of one transfer: 10 s plus 250 ms per MiB (i.e. it fails below about 4 MiB/s), in ms. */
export function transferTimeoutMs(megabytes: number): number {
  return 10_000 + 250 * megabytes;
}

/** One run of `mib` MiB: the message count and size, the water marks and the bounds. */
export function throughputRun(mib: number): ThroughputRunOptions {
  return {
    messages: (mib * 1024 * 1024) / MESSAGE_BYTES,
    messageBytes: MESSAGE_BYTES,
    highWaterMark: HIGH_WATER_MARK,
    lowWaterMark: LOW_WATER_MARK,
    pollIntervalMs: POLL_INTERVAL_MS,
    timeoutMs: transferTimeoutMs(mib),
    setupTimeoutMs: SETUP_TIMEOUT_MS,
  };
}

/**
 * Checks the counts of a throughput bench, starts a signaling server on 127.0.0.1, runs `body` with
 * its URL and closes it, whether `body` resolves or rejects.
 * @throws RangeError if `runs` or `megabytes` is not an integer ≥ 1.
 */
export async function onSignalingServer<T>(
  options: { runs: number; megabytes: number },
  progress: (line: string) => void,
  body: (url: string) => Promise<T>,
): Promise<T> {
  const { runs, megabytes } = options;
  if (!Number.isInteger(runs) || runs < 1) throw new RangeError('runs must be an integer ≥ 1');
  if (!Number.isInteger(megabytes) || megabytes < 1) throw new RangeError('megabytes must be an integer ≥ 1');
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  progress(`signaling server at ${server.url}`);
  try {
    return await body(server.url);
  } finally {
    await server.close();
  }
}

/**
 * A runner of peerstate runs on the signaling server at `url`: each run gets a fresh room and fresh
 * ids ('a-' < 'b-': the sender is the impolite side and makes the offer); `inspect` attaches the
 * inspector with one page reading it.
 */
export function peerstateRunner(url: string): (mib: number, inspect: boolean) => Promise<ThroughputSample> {
  const tag = randomUUID().slice(0, 8);
  let next = 0;
  return (mib, inspect) => {
    const n = next++;
    return peerstateThroughput({
      ...throughputRun(mib),
      url,
      room: `throughput-${tag}-${n}`,
      aId: `a-${tag}-${n}`,
      bId: `b-${tag}-${n}`,
      inspect,
    });
  };
}

/**
 * Starts a signaling server, runs one warm-up pair (at most 16 MiB) and `runs` alternating pairs,
 * closes the server and resolves with every pair and the medians. Rejects on the first failed run,
 * after cleanup. `progress` gets one line per step (stderr), `pair` each counted pair.
 */
export async function measureThroughput(
  options: { runs: number; megabytes: number },
  report: { progress(line: string): void; pair(pair: ThroughputPair): void },
): Promise<ThroughputBenchResult> {
  const { runs, megabytes } = options;
  const run = throughputRun;
  return onSignalingServer(options, report.progress, async (url) => {
    const runPeerstate = peerstateRunner(url);
    const peerstate = (mib: number) => runPeerstate(mib, false);
    const warmup = Math.min(megabytes, WARMUP_MEGABYTES);
    report.progress(`warm-up: ${warmup} MiB each side`);
    await peerstate(warmup);
    await rawThroughput(run(warmup));
    const pairs: ThroughputPair[] = [];
    for (let i = 1; i <= runs; i++) {
      report.progress(`run ${i}/${runs}: ${megabytes} MiB each side`);
      const pair = {
        run: i,
        peerstate: await peerstate(megabytes),
        raw: await rawThroughput(run(megabytes)),
      };
      pairs.push(pair);
      report.pair(pair);
    }
    const peerstateMBps = median(pairs.map((p) => p.peerstate.mibPerSecond));
    const rawMBps = median(pairs.map((p) => p.raw.mibPerSecond));
    return { pairs, peerstateMBps, rawMBps, ratio: peerstateMBps / rawMBps };
  });
}

/** The `--json` line: medians in MiB/s (2 decimals) and their ratio peerstate/raw (3 decimals). */
export function throughputJson(result: ThroughputBenchResult): string {
  return JSON.stringify({
    peerstateMBps: round(result.peerstateMBps, 2),
    rawMBps: round(result.rawMBps, 2),
    ratio: round(result.ratio, 3),
  });
}

/** One line per counted pair: MiB/s and ms of each side. */
export function throughputPairLine(pair: ThroughputPair): string {
  const side = (s: ThroughputSample) =>
    `${s.mibPerSecond.toFixed(2).padStart(6)} MiB/s (${s.ms.toFixed(0).padStart(5)} ms)`;
  return `run ${String(pair.run).padStart(2)}  peerstate ${side(pair.peerstate)}  raw ${side(pair.raw)}`;
}

/** Human-readable summary lines. */
export function throughputSummaryLines(result: ThroughputBenchResult): string[] {
  const range = (values: number[]) =>
    `min ${Math.min(...values).toFixed(2)}  max ${Math.max(...values).toFixed(2)}`;
  return [
    `peerstate  median ${result.peerstateMBps.toFixed(2)} MiB/s  ${range(result.pairs.map((p) => p.peerstate.mibPerSecond))}`,
    `raw wrtc   median ${result.rawMBps.toFixed(2)} MiB/s  ${range(result.pairs.map((p) => p.raw.mibPerSecond))}`,
    `ratio peerstate/raw (medians) ${result.ratio.toFixed(3)}`,
  ];
}

/**
 * `npm run bench -- throughput`: measures, prints per-run lines and the summary on stdout (the JSON
 * line last with `json`), progress and failures on stderr. Resolves with the exit code: 0 on
 * success, 1 if a run failed.
 */
export async function runThroughputBench(options: ThroughputBenchOptions): Promise<number> {
  if (options.runs < RECOMMENDED_RUNS) {
    process.stderr.write(`warning: --runs ${options.runs} is below ${RECOMMENDED_RUNS}; medians are rough\n`);
  }
  try {
    const result = await measureThroughput(options, {
      progress: (line) => process.stderr.write(`${line}\n`),
      pair: (pair) => console.log(throughputPairLine(pair)),
    });
    for (const line of throughputSummaryLines(result)) console.log(line);
    if (options.json) console.log(throughputJson(result));
    return 0;
  } catch (error) {
    process.stderr.write(`throughput failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
