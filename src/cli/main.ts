#!/usr/bin/env node
/**
 * The `peerstate` command line. `peerstate demo` runs the demo (see demo.ts); exit code 0 only if
 * every link connected and no message was lost, duplicated or reordered. `peerstate serve` runs the
 * signaling server, alone or as one node of a cluster (docs/cluster.md).
 */
import { Command, InvalidArgumentError } from 'commander';
import { startSignalingServer } from '../server/index.js';
import { demoSucceeded, runDemo } from './demo.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not an integer');
  return n;
}

const program = new Command('peerstate').description(
  'Race-free WebRTC peer connections on XState statecharts',
);

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

program
  .command('serve')
  .description('run the signaling server until SIGINT or SIGTERM; with --redis, as one node of a cluster')
  .option('--host <host>', 'interface to listen on', '127.0.0.1')
  .option('--port <port>', 'TCP port (0: a free one)', integer, 8080)
  .option('--redis <url>', 'Redis URL shared by every node of the cluster, e.g. redis://127.0.0.1:6379')
  .option('--node-ttl <ms>', "with --redis: the lifetime of this node's liveness key", integer, 2_000)
  .action(async (opts: { host: string; port: number; redis?: string; nodeTtl: number }) => {
    const server = await startSignalingServer({
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

program.parseAsync().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 2;
});
