/**
 * `npm run bench -- <benchmark>`: the benchmark command line. One subcommand per benchmark; each
 * benchmark lives in its own file next to this one (connect.ts, cycles.ts, recovery.ts, throughput.ts,
 * inspector-throughput.ts, inspector-cost.ts, inspector-page-size.ts, cluster.ts and mesh.ts). Results
 * go to stdout, progress to stderr; with `--json` the last stdout line is one JSON
 * object. Exit code 0 on success, 1 if a benchmark failed, 2 on a usage error.
 */
import { availableParallelism, loadavg } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import { clusterSummaryLines, runClusterBench } from './cluster.js';
import { connectJson, connectSampleLine, connectSummaryLines, runConnectBench } from './connect.js';
import { runCyclesBench } from './cycles.js';
import { runInspectorCostBench } from './inspector-cost.js';
import { runInspectorPageBench } from './inspector-page-size.js';
import { runInspectorThroughputBench } from './inspector-throughput.js';
import { meshJson, meshSummaryLines, runMeshBench } from './mesh.js';
import { DescriptorLimitError } from './mesh-descriptors.js';
import {
  RECOVERY_CASES,
  type RecoveryCase,
  recoveryJson,
  recoverySummaryLines,
  runRecoveryBench,
} from './recovery.js';
import { runThroughputBench } from './throughput.js';

/** Runs fewer than this give a warning: medians and p95 of fewer samples are rough. */
const RECOMMENDED_RUNS = 15;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('not an integer ≥ 1');
  return n;
}

function nonNegativeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('not an integer ≥ 0');
  return n;
}

/** `--cases` of `recovery`: a comma-separated list of known case names. */
function recoveryCases(value: string): RecoveryCase[] {
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(RECOVERY_CASES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0)
    throw new InvalidArgumentError(`unknown case ${unknown.join(', ')}; cases: ${RECOVERY_CASES.join(', ')}`);
  return names as RecoveryCase[];
}

const program = new Command('bench')
  .description('peerstate benchmarks')
  .exitOverride()
  // Other work on the machine shows up in every number: say how busy it was.
  .hook('preAction', () => {
    const [load] = loadavg();
    process.stderr.write(`load average ${load?.toFixed(2)} on ${availableParallelism()} cpus\n`);
  });

program
  .command('connect')
  .description(
    'time from connect to the first echoed message: peerstate vs. hand-written @roamhq/wrtc and simple-peer',
  )
  .option(
    '--runs <n>',
    `counted runs of each side (below ${RECOMMENDED_RUNS}: a warning)`,
    positiveInteger,
    15,
  )
  .option('--warmups <n>', 'uncounted warm-up runs of each side', nonNegativeInteger, 2)
  .option('--timeout <ms>', 'bound of every single wait, in ms', positiveInteger, 10_000)
  .option(
    '--json',
    'end stdout with one JSON line {"peerstateMs","rawMs","simplePeerMs","ratio","ratioSimplePeer"}',
  )
  .action(async (opts: { runs: number; warmups: number; timeout: number; json?: boolean }) => {
    if (opts.runs < RECOMMENDED_RUNS) {
      process.stderr.write(
        `warning: --runs ${opts.runs} is below ${RECOMMENDED_RUNS}; medians and p95 are rough\n`,
      );
    }
    const result = await runConnectBench(
      { runs: opts.runs, warmups: opts.warmups, timeoutMs: opts.timeout },
      {
        sample: (sample) => console.log(connectSampleLine(sample)),
        progress: (line) => process.stderr.write(`${line}\n`),
      },
    );
    for (const line of connectSummaryLines(result)) console.log(line);
    if (opts.json) console.log(connectJson(result));
  });

program
  .command('throughput')
  .description(
    '@roamhq/wrtc, 64 KiB messages: peerstate send (framing, acks) vs. raw dc.send, 4 MiB high / 1 MiB low marks',
  )
  .option(
    '--runs <n>',
    'counted runs of each side, alternating (below 5, or 15 with --inspect: a warning)',
    positiveInteger,
    5,
  )
  .option('--megabytes <n>', 'MiB sent per run, in 64 KiB messages', positiveInteger, 64)
  .option(
    '--json',
    'end stdout with one JSON line {"peerstateMBps","rawMBps","ratio"}, or with --inspect {"withoutMBps","withMBps","ratio","cpuRatio",..}',
  )
  .option(
    '--inspect',
    'instead: peerstate without vs. with the inspector (one page reading it), interleaved; the median ratio',
  )
  .action(async (opts: { runs: number; megabytes: number; json?: boolean; inspect?: boolean }) => {
    const options = { runs: opts.runs, megabytes: opts.megabytes, json: opts.json === true };
    process.exitCode = await (opts.inspect
      ? runInspectorThroughputBench(options)
      : runThroughputBench(options));
  });

program
  .command('inspector')
  .description('the inspector feed attached vs. not: ms to queue SENDs on the scripted fakes (no network)')
  .option('--runs <n>', 'counted runs of each side, alternating', positiveInteger, 7)
  .option('--messages <n>', 'SENDs per run', positiveInteger, 50_000)
  .option('--json', 'end stdout with one JSON line {"withoutMs","withMs","ratio"}')
  .action(async (opts: { runs: number; messages: number; json?: boolean }) => {
    process.exitCode = await runInspectorCostBench({
      runs: opts.runs,
      messages: opts.messages,
      json: opts.json === true,
    });
  });

program
  .command('inspector-page')
  .description("the inspector page's size on the wire at first load in Chromium (gzipped bodies and headers)")
  .option('--json', 'end stdout with one JSON line {"files","bodyBytes","headerBytes","totalBytes"}')
  .action(async (opts: { json?: boolean }) => {
    process.exitCode = await runInspectorPageBench({ json: opts.json === true });
  });

program
  .command('cluster')
  .description(
    'signal relay through a Redis cluster of 1-3 node processes: latency and signals/s, same vs. cross node',
  )
  .option('--signals <n>', 'signals timed one at a time per case', positiveInteger, 2_000)
  .option('--pairs <n>', 'sender/receiver pairs of a throughput case', positiveInteger, 20)
  .option('--burst <n>', 'signals each sender sends at once (at most 1000)', positiveInteger, 800)
  .option('--timeout <ms>', 'bound of every single wait, in ms', positiveInteger, 30_000)
  .option('--json', 'end stdout with one JSON line: the cases')
  .action(
    async (opts: { signals: number; pairs: number; burst: number; timeout: number; json?: boolean }) => {
      const cases = await runClusterBench(
        {
          signals: opts.signals,
          pairs: opts.pairs,
          burst: Math.min(opts.burst, 1_000),
          timeoutMs: opts.timeout,
        },
        (line) => process.stderr.write(`${line}\n`),
      );
      for (const line of clusterSummaryLines(cases)) console.log(line);
      if (opts.json) console.log(JSON.stringify(cases));
    },
  );

program
  .command('recovery')
  .description(
    'wrtc through a UDP relay: heal → data after 3 s and 20 s silent cuts (two- and one-sided detection), ' +
      'a restarted remote → first delivered message, and a killed remote detected',
  )
  .option('--runs <n>', 'runs of each case (a 20 s cut run takes about 25 s)', positiveInteger, 10)
  .option('--cases <list>', `comma-separated subset of ${RECOVERY_CASES.join(',')}`, recoveryCases, [
    ...RECOVERY_CASES,
  ])
  .option('--timeout <ms>', 'bound of every single wait, in ms', positiveInteger, 30_000)
  .option(
    '--json',
    'end stdout with one JSON line {"cut3s":{"twoSided":{..},"oneSided":{..}},"cut20s":..,"remoteRestart":..,"deadPeerDetectMs":..}',
  )
  .action(async (opts: { runs: number; cases: RecoveryCase[]; timeout: number; json?: boolean }) => {
    const result = await runRecoveryBench(
      { runs: opts.runs, cases: opts.cases, timeoutMs: opts.timeout },
      {
        sample: (lines) => {
          for (const line of lines) console.log(line);
        },
        progress: (line) => process.stderr.write(`${line}\n`),
      },
    );
    for (const line of recoverySummaryLines(result)) console.log(line);
    if (opts.json) console.log(recoveryJson(result));
  });

program
  .command('mesh')
  .description(
    'N wrtc peer systems in one process, every one connecting to every other in the same tick, vs. a raw mesh with hand-tuned limits',
  )
  .option('--peers <n>', 'peer systems (≥ 2)', positiveInteger, 16)
  .option('--hold <ms>', 'how long every link must then stay connected, in ms', nonNegativeInteger, 60_000)
  .option(
    '--raw-limits <list>',
    'raw links in flight to try (comma-separated); the fastest is the baseline',
    '4,8,16',
  )
  .option(
    '--max-concurrent <n>',
    "peerstate's maxConcurrentNegotiations (default: the library's)",
    positiveInteger,
  )
  .option('--timeout <ms>', 'bound of every single wait, in ms', positiveInteger, 120_000)
  .option(
    '--json',
    'end stdout with one JSON line {"peers","links","connectedLinks","lastLinkMs","rawLastLinkMs","ratio","rssPerLinkBytes",..}',
  )
  .action(
    async (opts: {
      peers: number;
      hold: number;
      rawLimits: string;
      maxConcurrent?: number;
      timeout: number;
      json?: boolean;
    }) => {
      if (opts.peers < 2) throw new InvalidArgumentError('--peers must be ≥ 2');
      const rawLimits = opts.rawLimits.split(',').map((v) => positiveInteger(v.trim()));
      try {
        const result = await runMeshBench(
          {
            peers: opts.peers,
            holdMs: opts.hold,
            rawLimits,
            timeoutMs: opts.timeout,
            ...(opts.maxConcurrent ? { maxConcurrentNegotiations: opts.maxConcurrent } : {}),
          },
          (line) => process.stderr.write(`${line}\n`),
        );
        for (const line of meshSummaryLines(result)) console.log(line);
        if (opts.json) console.log(meshJson(result));
        if (result.connectedLinks !== result.links) process.exitCode = 1;
      } catch (error: unknown) {
        if (!(error instanceof DescriptorLimitError)) throw error;
        console.error(`mesh refused: ${error.message}`);
        process.exitCode = 1;
      }
    },
  );

program
  .command('cycles')
  .description(
    'connect → send → flushed → close rounds on one wrtc pair: heap and rss growth per cycle after gc',
  )
  .option('--cycles <n>', 'rounds (≥ 8)', positiveInteger, 1_000)
  .option('--timeout <ms>', 'bound of every single wait, in ms', positiveInteger, 30_000)
  .option(
    '--json',
    'end stdout with one JSON line {"cycles":..,"heapBytesPerCycle":..,"rssBytesPerCycle":..}',
  )
  .action(async (opts: { cycles: number; timeout: number; json?: boolean }) => {
    const result = await runCyclesBench({ cycles: opts.cycles, timeoutMs: opts.timeout }, (line) =>
      process.stderr.write(`${line}\n`),
    );
    console.log(
      `${result.cycles} cycles: heap ${(result.heapBytesPerCycle / 1024).toFixed(2)} KiB per cycle, ` +
        `rss ${(result.rssBytesPerCycle / 1024).toFixed(2)} KiB per cycle (after gc, after the first quarter)`,
    );
    if (opts.json) {
      const { samples: _samples, ...figures } = result;
      console.log(JSON.stringify(figures));
    }
  });

try {
  await program.parseAsync();
} catch (error: unknown) {
  const code = (error as { exitCode?: unknown }).exitCode;
  if (typeof code === 'number') {
    // A commander exit (help, version, usage error): commander already printed why.
    process.exitCode = code === 0 ? 0 : 2;
  } else {
    console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
