#!/usr/bin/env node
/**
 * The `peerstate` command line. `peerstate demo` runs the demo (see demo.ts). Exit codes: 0 when
 * every link connected and no message was lost, duplicated or reordered (or for `--help`); 1 when
 * the demo failed; 2 for a usage error (unknown command or option, a value out of range).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { demoSucceeded, runDemo } from './demo.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not an integer');
  return n;
}

/** Exit code of a usage error, whether commander or the demo's own range checks find it. */
const USAGE_ERROR = 2;

const program = new Command('peerstate')
  .description('Race-free WebRTC peer connections on XState statecharts')
  .exitOverride();

program
  .command('demo')
  .description(
    'start the embedded signaling server and N peers, connect them as a full mesh, exchange messages',
  )
  .option('--peers <n>', 'peers in the mesh', integer, 3)
  .option('--messages <m>', 'messages per link and direction', integer, 100)
  .option('--timeout <ms>', 'give up after this many ms', integer, 60_000)
  .option('--json', 'end with one JSON summary line')
  .option('--record <file>', 'write every XState inspection event to FILE as JSON lines')
  .action(
    async (opts: { peers: number; messages: number; timeout: number; json?: boolean; record?: string }) => {
      const summary = await runDemo(
        {
          peers: opts.peers,
          messages: opts.messages,
          timeoutMs: opts.timeout,
          progress: true,
          ...(opts.record ? { record: opts.record } : {}),
        },
        (line) => console.log(line),
      );
      const ok = demoSucceeded(summary);
      console.log(
        `${ok ? 'ok' : 'FAILED'}: ${summary.connectedLinks}/${summary.links} links connected ` +
          `(median ${summary.connectMsMedian} ms, p95 ${summary.connectMsP95} ms); ` +
          `${summary.received}/${summary.sent} messages delivered, ${summary.lost} lost, ` +
          `${summary.duplicated} duplicated, ${summary.outOfOrder} out of order; ${summary.durationMs} ms`,
      );
      if (opts.json) console.log(JSON.stringify(summary));
      process.exitCode = ok ? 0 : 1;
    },
  );

program.parseAsync().catch((error: unknown) => {
  // commander has already printed its own usage errors; --help and --version end here with 0.
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : USAGE_ERROR;
    return;
  }
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = error instanceof RangeError ? USAGE_ERROR : 1;
});
