/**
 * `npm run bench -- cluster`: signal relay through the signaling cluster (docs/cluster.md), on a
 * real redis-server and real node processes (`peerstate serve --redis`) on 127.0.0.1, with 1, 2 and
 * 3 nodes, plus one node without Redis as the baseline.
 *
 * - Latency: one sender, one receiver (plain WebSocket clients speaking the protocol), one signal at
 *   a time; from the send to its arrival, in ms (both clients in this process, one clock). Same node
 *   (both clients on node 0) and cross node (the receiver on node 1).
 * - Throughput: `pairs` sender/receiver pairs send `burst` signals each at once (under the server's
 *   per-socket rate limit); signals per second from the first send to the last arrival. Same node:
 *   every pair on one node; cross node: each pair's receiver on the next node.
 */
import { WebSocket } from 'ws';
import { spawnNode } from '../test/support/cluster-node.js';
import { startRedis } from '../test/support/redis-server.js';
import { within } from './deadline.js';
import { quantile, round } from './stats.js';

/** Parameters of the cluster bench. */
export interface ClusterBenchOptions {
  /** Signals timed one at a time per latency case. */
  signals: number;
  /** Sender/receiver pairs of a throughput case. */
  pairs: number;
  /** Signals each sender sends at once in a throughput case (≤ 1000: the server's burst). */
  burst: number;
  /** Bound of every single wait, in ms. */
  timeoutMs: number;
}

/** One measured case. Times in ms. */
export interface ClusterCase {
  /** Node processes of the cluster (0: one node without Redis, the baseline). */
  nodes: number;
  route: 'same node' | 'cross node';
  p50Ms: number;
  p99Ms: number;
  signalsPerSecond: number;
}

/** A protocol client that resolves each arriving signal's number. */
interface Client {
  socket: WebSocket;
  /** Called with the number carried by each signal that arrives. */
  onSignal: (n: number) => void;
}

async function joined(url: string, room: string, peerId: string): Promise<Client> {
  const socket = new WebSocket(url);
  const client: Client = { socket, onSignal: () => {} };
  const welcome = new Promise<void>((resolve, reject) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === 'welcome') resolve();
      else if (frame.type === 'signal') client.onSignal(Number(frame.signal.description.sdp));
      else if (frame.type === 'error') reject(new Error(`${frame.code}: ${frame.message}`));
    });
    socket.on('error', reject);
  });
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ v: 1, type: 'join', room, peerId }));
  await welcome;
  return client;
}

const signalFrame = (to: string, n: number) =>
  JSON.stringify({
    v: 1,
    type: 'signal',
    to,
    signal: { type: 'description', description: { type: 'offer', sdp: String(n) } },
  });

/** A sender and a receiver in a fresh room, on the given nodes. */
async function pair(senderUrl: string, receiverUrl: string, room: string) {
  const receiver = await joined(receiverUrl, room, 'receiver');
  const sender = await joined(senderUrl, room, 'sender');
  const close = () => {
    for (const client of [sender, receiver]) client.socket.terminate();
  };
  return { sender, receiver, close };
}

async function latency(senderUrl: string, receiverUrl: string, options: ClusterBenchOptions, room: string) {
  const { sender, receiver, close } = await pair(senderUrl, receiverUrl, room);
  const samples: number[] = [];
  try {
    for (let n = 0; n < options.signals; n++) {
      const arrived = new Promise<void>((resolve) => {
        receiver.onSignal = (m) => m === n && resolve();
      });
      const start = performance.now();
      sender.socket.send(signalFrame('receiver', n));
      await within(arrived, options.timeoutMs, `signal ${n} in ${room}`);
      samples.push(performance.now() - start);
      // Under the per-socket rate limit (500 frames/s on average).
      if (n % 400 === 399) await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    close();
  }
  return samples;
}

async function throughput(urls: string[], cross: boolean, options: ClusterBenchOptions, room: string) {
  const pairs = await Promise.all(
    Array.from({ length: options.pairs }, (_, i) => {
      const from = urls[i % urls.length] ?? '';
      const to = cross ? (urls[(i + 1) % urls.length] ?? '') : from;
      return pair(from, to, `${room}-${i}`);
    }),
  );
  try {
    const done = pairs.map(
      ({ receiver }) =>
        new Promise<void>((resolve) => {
          let count = 0;
          receiver.onSignal = () => {
            count += 1;
            if (count === options.burst) resolve();
          };
        }),
    );
    const start = performance.now();
    for (const { sender } of pairs) {
      for (let n = 0; n < options.burst; n++) sender.socket.send(signalFrame('receiver', n));
    }
    await within(Promise.all(done), options.timeoutMs, `throughput in ${room}`);
    return (options.pairs * options.burst * 1000) / (performance.now() - start);
  } finally {
    for (const { close } of pairs) close();
  }
}

/** Runs every case; `progress` gets a line per case. */
export async function runClusterBench(
  options: ClusterBenchOptions,
  progress: (line: string) => void,
): Promise<ClusterCase[]> {
  const redis = await startRedis();
  const cases: ClusterCase[] = [];
  const measure = async (nodes: number, route: ClusterCase['route'], urls: string[]) => {
    const room = `bench-${nodes}-${route === 'same node' ? 'same' : 'cross'}`;
    const receiverUrl = (route === 'same node' ? urls[0] : urls[1]) ?? '';
    const samples = await latency(urls[0] ?? '', receiverUrl, options, room);
    const signalsPerSecond = await throughput(urls, route === 'cross node', options, room);
    const result = {
      nodes,
      route,
      p50Ms: round(quantile(samples, 0.5), 3),
      p99Ms: round(quantile(samples, 0.99), 3),
      signalsPerSecond: Math.round(signalsPerSecond),
    };
    progress(JSON.stringify(result));
    cases.push(result);
  };
  try {
    const baseline = await spawnNode(undefined);
    try {
      await measure(0, 'same node', [baseline.url]);
    } finally {
      await baseline.stop();
    }
    for (const count of [1, 2, 3]) {
      const nodes = await Promise.all(Array.from({ length: count }, () => spawnNode(redis.url, 3_000)));
      try {
        const urls = nodes.map((node) => node.url);
        await measure(count, 'same node', urls);
        if (count > 1) await measure(count, 'cross node', urls);
      } finally {
        await Promise.all(nodes.map((node) => node.stop()));
      }
    }
  } finally {
    await redis.stop();
  }
  return cases;
}

/** The human-readable table of a run, and the added latency of a cross-node hop per cluster size. */
export function clusterSummaryLines(cases: readonly ClusterCase[]): string[] {
  const lines = cases.map(
    (c) =>
      `${c.nodes === 0 ? 'no Redis, 1 node' : `${c.nodes} node(s)`} ${c.route}: p50 ${c.p50Ms} ms, p99 ${c.p99Ms} ms, ${c.signalsPerSecond} signals/s`,
  );
  for (const cross of cases.filter((c) => c.route === 'cross node')) {
    const same = cases.find((c) => c.nodes === cross.nodes && c.route === 'same node');
    if (same)
      lines.push(
        `${cross.nodes} nodes: a cross-node hop adds ${round(cross.p50Ms - same.p50Ms, 3)} ms at p50`,
      );
  }
  return lines;
}
