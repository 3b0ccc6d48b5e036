/**
 * The `connect` benchmark: time from "connect" to the first echoed message, peerstate against the
 * hand-written @roamhq/wrtc baseline and against simple-peer 9.11.1 on the same stack, through one
 * embedded signaling server on 127.0.0.1. Runs alternate (peerstate, raw, simple-peer, peerstate,
 * ...) in one process so that drift (CPU frequency, JIT, GC) hits every side alike; warm-up rounds
 * come first and are not counted.
 */
import { randomUUID } from 'node:crypto';
import { startSignalingServer } from '../src/server/index.js';
import { type ConnectRunOptions, peerstateConnectMs } from './peerstate-connect.js';
import { rawConnectMs } from './raw-connect.js';
import { simplePeerConnectMs } from './simple-peer-connect.js';
import { median, quantile, round } from './stats.js';

/** Parameters of the connect benchmark. */
export interface ConnectBenchOptions {
  /** Counted runs of each side (≥ 1). */
  runs: number;
  /** Uncounted warm-up runs of each side before them. */
  warmups: number;
  /** Bound of every single wait (join, echo, stop), in ms. */
  timeoutMs: number;
}

/** One counted round of runs (one per side), in ms. */
export interface ConnectSample {
  /** 1-based index among the counted runs. */
  run: number;
  peerstateMs: number;
  rawMs: number;
  simplePeerMs: number;
}

/** Median and p95 (nearest rank) of one side, in ms. */
export interface SideSummary {
  medianMs: number;
  p95Ms: number;
}

/** What the benchmark measured. Times in ms. */
export interface ConnectBenchResult {
  samples: ConnectSample[];
  peerstate: SideSummary;
  raw: SideSummary;
  simplePeer: SideSummary;
  /** peerstate median / raw median. */
  ratio: number;
  /** simple-peer median / raw median: the ratio peerstate is to stay below. */
  ratioSimplePeer: number;
}

/** Where the benchmark reports while it runs. */
export interface ConnectBenchReporter {
  /** A counted round finished. */
  sample(sample: ConnectSample): void;
  /** A progress note (warm-up, server address). */
  progress(line: string): void;
}

function summarize(samples: readonly number[]): SideSummary {
  return { medianMs: median(samples), p95Ms: quantile(samples, 0.95) };
}

/**
 * Starts the signaling server, runs `warmups` then `runs` alternating rounds, closes the server, and
 * resolves with the samples and their summary (ms). Rejects on the first failed run, after cleanup.
 */
export async function runConnectBench(
  options: ConnectBenchOptions,
  reporter: ConnectBenchReporter,
): Promise<ConnectBenchResult> {
  if (!Number.isInteger(options.runs) || options.runs < 1)
    throw new RangeError('runs must be an integer ≥ 1');
  const server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  reporter.progress(`signaling server at ${server.url}`);
  const tag = randomUUID().slice(0, 8);
  let next = 0;
  // Fresh ids and room per run. 'a-' < 'b-': A is the impolite side and makes the offer itself, as
  // in the raw run (with A > B, peerstate's A would first send `hello` and wait for B's offer).
  const fresh = (kind: string): ConnectRunOptions => {
    const n = next++;
    return {
      url: server.url,
      room: `bench-${kind}-${tag}-${n}`,
      aId: `a-${tag}-${n}`,
      bId: `b-${tag}-${n}`,
      timeoutMs: options.timeoutMs,
    };
  };
  try {
    for (let i = 1; i <= options.warmups; i++) {
      reporter.progress(`warm-up ${i}/${options.warmups}`);
      await peerstateConnectMs(fresh('peerstate'));
      await rawConnectMs(fresh('raw'));
      await simplePeerConnectMs(fresh('simple-peer'));
    }
    const samples: ConnectSample[] = [];
    for (let run = 1; run <= options.runs; run++) {
      const peerstateMs = await peerstateConnectMs(fresh('peerstate'));
      const rawMs = await rawConnectMs(fresh('raw'));
      const simplePeerMs = await simplePeerConnectMs(fresh('simple-peer'));
      const sample = { run, peerstateMs, rawMs, simplePeerMs };
      samples.push(sample);
      reporter.sample(sample);
    }
    const peerstate = summarize(samples.map((s) => s.peerstateMs));
    const raw = summarize(samples.map((s) => s.rawMs));
    const simplePeer = summarize(samples.map((s) => s.simplePeerMs));
    return {
      samples,
      peerstate,
      raw,
      simplePeer,
      ratio: peerstate.medianMs / raw.medianMs,
      ratioSimplePeer: simplePeer.medianMs / raw.medianMs,
    };
  } finally {
    await server.close();
  }
}

/** The `--json` line: medians in ms (2 decimals) and the ratios against raw (3 decimals). */
export function connectJson(result: ConnectBenchResult): string {
  return JSON.stringify({
    peerstateMs: round(result.peerstate.medianMs, 2),
    rawMs: round(result.raw.medianMs, 2),
    simplePeerMs: round(result.simplePeer.medianMs, 2),
    ratio: round(result.ratio, 3),
    ratioSimplePeer: round(result.ratioSimplePeer, 3),
  });
}

/** Human-readable summary lines (ms, 2 decimals). */
export function connectSummaryLines(result: ConnectBenchResult): string[] {
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  return [
    `peerstate  median ${ms(result.peerstate.medianMs)}  p95 ${ms(result.peerstate.p95Ms)}`,
    `raw wrtc   median ${ms(result.raw.medianMs)}  p95 ${ms(result.raw.p95Ms)}`,
    `simple-peer median ${ms(result.simplePeer.medianMs)}  p95 ${ms(result.simplePeer.p95Ms)}`,
    `ratio peerstate/raw (medians) ${result.ratio.toFixed(3)}`,
    `ratio simple-peer/raw (medians) ${result.ratioSimplePeer.toFixed(3)}`,
  ];
}

/** One compact line per counted round (ms, 2 decimals). */
export function connectSampleLine(sample: ConnectSample): string {
  const ms = (value: number) => `${value.toFixed(2).padStart(7)} ms`;
  return `run ${String(sample.run).padStart(2)}  peerstate ${ms(sample.peerstateMs)}  raw ${ms(sample.rawMs)}  simple-peer ${ms(sample.simplePeerMs)}`;
}
