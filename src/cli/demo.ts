/**
 * The demo: an embedded signaling server and N peers in one process, connected as a full mesh
 * through the charts, exchanging M messages over every link in both directions.
 */
import { SingleBar } from 'cli-progress';
import type { PeerHandle, PeerState } from '../index.js';
import { createNodePeerSystem } from '../node/index.js';
import { createInspectionRecorder } from '../node/inspection-recorder.js';
import { startSignalingServer } from '../server/index.js';

/** Demo parameters. */
export interface DemoOptions {
  /** Peers in the mesh (≥ 2). */
  peers: number;
  /** Messages per link and direction. */
  messages: number;
  /** Give up after this long, in ms. */
  timeoutMs: number;
  /** Show a progress bar on stderr. */
  progress: boolean;
  /** Write XState inspection events of every system to this file as JSON lines. */
  record?: string;
}

/** What the demo measured. Times in ms. */
export interface DemoSummary {
  peers: number;
  links: number;
  connectedLinks: number;
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  outOfOrder: number;
  connectMsMedian: number;
  connectMsP95: number;
  durationMs: number;
}

/** One direction of one link: what `from`'s handle to `to` saw. */
interface Direction {
  from: string;
  to: string;
  handle: PeerHandle;
  transitions: { state: PeerState; atMs: number }[];
  connectedAtMs: number | undefined;
  lastSeq: number;
  received: number;
  duplicated: number;
  outOfOrder: number;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** Runs the demo; `log` gets the human-readable lines. Resolves with the summary; never rejects on a failed link. */
export async function runDemo(options: DemoOptions, log: (line: string) => void): Promise<DemoSummary> {
  if (!Number.isInteger(options.peers) || options.peers < 2)
    throw new RangeError('--peers must be an integer ≥ 2');
  if (!Number.isInteger(options.messages) || options.messages < 0) {
    throw new RangeError('--messages must be an integer ≥ 0');
  }
  const server = await startSignalingServer();
  const recorder = options.record ? createInspectionRecorder(options.record) : undefined;
  const ids = Array.from({ length: options.peers }, (_, i) => `peer-${i + 1}`);
  const systems = ids.map((localId) =>
    createNodePeerSystem({
      localId,
      url: server.url,
      room: 'demo',
      outbox: { maxMessages: Math.max(10_000, options.messages) },
      ...(recorder ? { inspect: recorder.inspectorFor(localId) } : {}),
    }),
  );
  const errors: string[] = [];
  for (const system of systems)
    system.errors$.subscribe((e) => errors.push(`${system.localId}: ${e.code} ${e.message}`));
  await Promise.all(systems.map((system) => system.signalingOpen()));

  const links = (options.peers * (options.peers - 1)) / 2;
  const expected = links * 2 * options.messages;
  const bar = options.progress
    ? new SingleBar({
        format: 'links {links} | messages {bar} {value}/{total} | {duration_formatted}',
        stream: process.stderr,
        noTTYOutput: true,
        notTTYSchedule: 1000,
        hideCursor: true,
      })
    : undefined;
  bar?.start(expected, 0, { links: `0/${links}` });

  const started = performance.now();
  const directions: Direction[] = [];
  let delivered = 0;
  let connectedLinks = 0;
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const byPair = new Map<string, Direction>();
  const checkDone = () => {
    if (delivered >= expected && connectedLinks === links) finish();
  };

  for (const [i, system] of systems.entries()) {
    for (const to of ids) {
      if (to === ids[i]) continue;
      const handle = system.connect(to);
      const direction: Direction = {
        from: system.localId,
        to,
        handle,
        transitions: [],
        connectedAtMs: undefined,
        lastSeq: 0,
        received: 0,
        duplicated: 0,
        outOfOrder: 0,
      };
      directions.push(direction);
      byPair.set(`${system.localId}>${to}`, direction);
      handle.state$.subscribe((state) => {
        const atMs = performance.now() - started;
        direction.transitions.push({ state, atMs });
        if (state !== 'connected' || direction.connectedAtMs !== undefined) return;
        direction.connectedAtMs = atMs;
        if (byPair.get(`${to}>${system.localId}`)?.connectedAtMs !== undefined) {
          connectedLinks++;
          bar?.update(delivered, { links: `${connectedLinks}/${links}` });
          checkDone();
        }
      });
      // Messages are sent now, before the link exists: the outbox holds them until `connected`.
      handle.messages$.subscribe((data) => {
        const seq = Number(data);
        if (seq <= direction.lastSeq) direction.duplicated++;
        else {
          if (seq !== direction.lastSeq + 1) direction.outOfOrder++;
          direction.lastSeq = seq;
          direction.received++;
          delivered++;
          bar?.increment();
          checkDone();
        }
      });
      for (let seq = 1; seq <= options.messages; seq++) handle.send(String(seq));
    }
  }

  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    done,
    new Promise<void>((resolve) => (timer = setTimeout(resolve, options.timeoutMs))),
  ]);
  clearTimeout(timer);
  const durationMs = performance.now() - started;
  bar?.stop();
  // A graceful end: wait (bounded) until every sender holds no unacknowledged message.
  const flushed = Promise.allSettled(directions.map((d) => d.handle.flushed()));
  await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
  await Promise.all(systems.map((system) => system.stop()));
  await server.close();
  if (recorder) {
    await recorder.close();
    log(`recorded ${recorder.lines} inspection events to ${options.record}`);
  }

  for (const d of directions) {
    const path = d.transitions.map((t) => `${t.state} ${Math.round(t.atMs)}`).join(' → ');
    log(`${d.from} → ${d.to}: ${path} ms; received ${d.received}/${options.messages}`);
  }
  for (const error of errors.slice(0, 20)) log(`error ${error}`);

  const linkTimes: number[] = [];
  for (const d of directions) {
    const back = byPair.get(`${d.to}>${d.from}`);
    if (d.from < d.to && d.connectedAtMs !== undefined && back?.connectedAtMs !== undefined) {
      linkTimes.push(Math.max(d.connectedAtMs, back.connectedAtMs));
    }
  }
  linkTimes.sort((a, b) => a - b);
  const duplicated = directions.reduce((n, d) => n + d.duplicated, 0);
  const outOfOrder = directions.reduce((n, d) => n + d.outOfOrder, 0);
  return {
    peers: options.peers,
    links,
    connectedLinks,
    sent: expected,
    received: delivered,
    lost: expected - delivered,
    duplicated,
    outOfOrder,
    connectMsMedian: round(quantile(linkTimes, 0.5)),
    connectMsP95: round(quantile(linkTimes, 0.95)),
    durationMs: round(durationMs),
  };
}

/** True when every link connected and nothing was lost, duplicated or reordered. */
export function demoSucceeded(summary: DemoSummary): boolean {
  return (
    summary.connectedLinks === summary.links &&
    summary.lost === 0 &&
    summary.duplicated === 0 &&
    summary.outOfOrder === 0
  );
}
