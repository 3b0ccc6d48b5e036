#!/usr/bin/env node
/**
 * The `peerstate` command line. `peerstate demo` runs the demo (see demo.ts); `peerstate replay FILE`
 * serves the inspector page over a recording of the demo; `peerstate serve` runs the signaling server,
 * alone or as one node of a cluster (docs/cluster.md), with every limit and the join-token check as
 * flags; `peerstate token` mints a join token for it. Exit codes: 0 when every link connected and
 * no message was lost, duplicated or reordered (or for `--help`); 1 when the demo failed; 2 for a usage
 * error (unknown command or option, a value out of range).
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { startReplay } from '../node/inspector/replay.js';
import { createJoinToken, startSignalingServer } from '../server/index.js';
import { demoSucceeded, runDemo, SEND_PERIOD_MS } from './demo.js';
import {
  joinSecretFlag,
  readJoinSecret,
  type ServeFlags,
  serveFlags,
  serverOptionsOf,
} from './serve-options.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not an integer');
  return n;
}

/** `--fault`: how often a link is cut and for how long, in ms. */
const FAULT = { everyMs: 10_000, forMs: 4_000 };

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
  .option(
    '--inspect',
    'serve the inspector page (its URL is printed) and keep running until Ctrl-C or --duration',
  )
  .option(
    '--duration <s>',
    `keep running this many seconds, sending ${1000 / SEND_PERIOD_MS} messages a second per link and direction`,
    integer,
  )
  .option(
    '--fault',
    `cut one link at a time through a UDP relay, ${FAULT.forMs / 1000} s every ${FAULT.everyMs / 1000} s ` +
      '(runs until Ctrl-C unless --duration)',
  )
  .action(
    async (opts: {
      peers: number;
      messages: number;
      timeout: number;
      json?: boolean;
      record?: string;
      inspect?: boolean;
      duration?: number;
      fault?: boolean;
    }) => {
      const running = opts.duration !== undefined || opts.inspect || opts.fault;
      let stop: (() => void) | undefined;
      // Ctrl-C ends a running demo gracefully (it delivers what it sent); a second one exits at once.
      if (running) process.once('SIGINT', () => stop?.());
      const summary = await runDemo(
        {
          peers: opts.peers,
          messages: opts.messages,
          timeoutMs: opts.timeout,
          progress: !opts.inspect,
          ...(opts.record ? { record: opts.record } : {}),
          ...(opts.inspect ? { inspect: true } : {}),
          ...(running
            ? { durationMs: opts.duration === undefined ? Number.POSITIVE_INFINITY : opts.duration * 1000 }
            : {}),
          ...(opts.fault ? { fault: FAULT } : {}),
          onStart: (demo) => {
            stop = demo.stop;
          },
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

program
  .command('replay')
  .description('serve the inspector page over a recording made with demo --record, with a scrubber over time')
  .argument('<file>', 'the recording (JSON lines)')
  .option('--port <n>', 'port to serve on (default: a free one)', integer)
  .action(async (file: string, opts: { port?: number }) => {
    const replay = await startReplay(file, opts.port === undefined ? {} : { port: opts.port });
    const { frames, durationMs, invalidLines, truncated } = replay.recording;
    console.log(
      `replaying ${frames.length} state changes over ${(durationMs / 1000).toFixed(1)} s` +
        (invalidLines > 0 ? `, ${invalidLines} invalid lines skipped` : '') +
        (truncated ? ', truncated (too many changes)' : ''),
    );
    console.log(`inspector: ${replay.url}`);
    process.once('SIGINT', () => void replay.close());
  });

serveFlags(
  program
    .command('serve')
    .description(
      'run the signaling server until SIGINT or SIGTERM; with --redis, as one node of a cluster; ' +
        'with --join-secret-file, only joins carrying a join token (see `peerstate token`)',
    )
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--port <port>', 'TCP port (0: a free one)', integer, 8080)
    .option('--redis <url>', 'Redis URL shared by every node of the cluster, e.g. redis://127.0.0.1:6379')
    .option('--node-ttl <ms>', "with --redis: the lifetime of this node's liveness key", integer, 2_000),
).action(async (opts: ServeFlags & { host: string; port: number; redis?: string; nodeTtl: number }) => {
  const server = await startSignalingServer({
    ...serverOptionsOf(opts),
    host: opts.host,
    port: opts.port,
    ...(opts.redis ? { cluster: { redis: opts.redis, nodeTtlMs: opts.nodeTtl } } : {}),
  });
  // The first line names the URL (scripts and tests read it).
  console.log(`listening on ${server.url}${opts.redis ? ` (cluster over ${opts.redis})` : ''}`);
  const stop = () => {
    server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
});

joinSecretFlag(
  program
    .command('token')
    .description('print a join token for `serve --join-secret-file` (a JWT naming the room and peer id)'),
  true,
)
  .requiredOption('--room <room>', 'the room the token admits to')
  .requiredOption('--peer-id <id>', 'the peer id the token proves')
  .option('--expires <s>', 'lifetime in seconds', integer, 600)
  .action(async (opts: { joinSecretFile: string; room: string; peerId: string; expires: number }) => {
    const secret = readJoinSecret(opts.joinSecretFile);
    console.log(
      await createJoinToken(secret, { room: opts.room, peerId: opts.peerId, expiresInSeconds: opts.expires }),
    );
  });

program.parseAsync().catch((error: unknown) => {
  // commander has already printed its own usage errors; --help and --version end here with 0.
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : USAGE_ERROR;
    return;
  }
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = error instanceof RangeError ? USAGE_ERROR : 1;
});
