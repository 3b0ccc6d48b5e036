/**
 * The demo: an embedded signaling server and N peers in one process, connected as a full mesh
 * through the charts, exchanging M messages over every link in both directions. With a duration it
 * keeps running, sending at a low rate, so that the inspector has something to show; with faults,
 * every link runs through its own UDP relay and one link at a time is cut now and then.
 */
import { SingleBar } from 'cli-progress';
import type { PeerHandle, PeerState, PeerSystem } from '../index.js';
import { createNodePeerSystem } from '../node/index.js';
import { createInspectionRecorder } from '../node/inspection-recorder.js';
import { startInspector } from '../node/inspector/inspector.js';
import { createUdpRelay, type UdpRelay } from '../node/udp-relay.js';
import { SERVER_DEFAULTS, startSignalingServer } from '../server/index.js';

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
  /** Start the inspector beside the demo (its URL is logged and given to `onStart`). */
  inspect?: boolean;
  /**
   * Keep running this long after the first messages, in ms, sending one message per link and
   * direction every `SEND_PERIOD_MS`; `Infinity` runs until `stop()`. Without it the demo ends
   * once the first messages are delivered.
   */
  durationMs?: number;
  /** Route every link through its own UDP relay (for `cut`/`heal`). Implied by `fault`. */
  relay?: boolean;
  /** Cut one link at a time, at random: `everyMs` apart, for `forMs` each. */
  fault?: { everyMs: number; forMs: number };
  /** Called once every system runs (before any link connects). */
  onStart?: (demo: RunningDemo) => void;
}

/** The demo while it runs. */
export interface RunningDemo {
  /** The inspector's URL, with `inspect`. */
  inspectorUrl: string | undefined;
  /** The peer systems, `peer-1` first. */
  systems: readonly PeerSystem[];
  /**
   * Cuts the link between two systems (every datagram between them dropped) until `heal`.
   * @throws Error without `relay` or `fault`.
   */
  cut(a: string, b: string): void;
  /** Restores a cut link. @throws Error without `relay` or `fault`. */
  heal(a: string, b: string): void;
  /** Ends a demo that runs for a duration now (it then delivers what it sent and stops). */
  stop(): void;
}

/** With a duration: how often each link and direction sends one more message, in ms. */
export const SEND_PERIOD_MS = 500;

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
  /** Messages sent (numbered 1, 2, ...). */
  sent: number;
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
  const ids = Array.from({ length: options.peers }, (_, i) => `peer-${i + 1}`);
  const pairOf = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const relays = new Map<string, UdpRelay>();
  if (options.relay || options.fault) {
    for (const [i, a] of ids.entries())
      for (const b of ids.slice(i + 1)) relays.set(pairOf(a, b), await createUdpRelay());
  }
  const relayOf = (a: string, b: string): UdpRelay => {
    const relay = relays.get(pairOf(a, b));
    if (!relay) throw new Error(`no relay between ${a} and ${b} (run with relay or fault)`);
    return relay;
  };
  const server = await startSignalingServer({
    // Every peer of the demo connects from 127.0.0.1: the per-address caps must hold them all.
    maxConnectionsPerAddress: Math.max(SERVER_DEFAULTS.maxConnectionsPerAddress, 2 * ids.length),
    maxJoinsPerMinutePerAddress: Math.max(SERVER_DEFAULTS.maxJoinsPerMinutePerAddress, 4 * ids.length),
    maxRoomPeers: Math.max(SERVER_DEFAULTS.maxRoomPeers, ids.length),
    ...(relays.size > 0
      ? { transformSignal: (signal, from, to) => relayOf(from, to).rewriteSignal(signal) }
      : {}),
  });
  const recorder = options.record ? createInspectionRecorder(options.record) : undefined;
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
    system.errors$.subscribe((e) => {
      errors.push(`${system.localId}: ${e.code} ${e.message}`);
      recorder?.recordError(system.localId, e);
    });
  const inspector = options.inspect ? await startInspector({ systems }) : undefined;
  if (inspector) log(`inspector: ${inspector.url}`);
  let stopRunning: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stopRunning = resolve;
  });
  options.onStart?.({
    inspectorUrl: inspector?.url,
    systems,
    cut: (a, b) => relayOf(a, b).block(),
    heal: (a, b) => relayOf(a, b).heal(),
    stop: () => stopRunning(),
  });
  await Promise.all(systems.map((system) => system.signalingOpen()));

  const links = (options.peers * (options.peers - 1)) / 2;
  let expected = links * 2 * options.messages;
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
  // While running for a duration the demo is not done, whatever has been delivered so far.
  let running = options.durationMs !== undefined;
  const checkDone = () => {
    if (!running && delivered >= expected && connectedLinks === links) finish();
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
        sent: options.messages,
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

  if (options.durationMs !== undefined) {
    await keepRunning(options, directions, relays, stopped, () => {
      expected++;
      bar?.setTotal(expected);
    });
    running = false;
    checkDone();
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
  await inspector?.close();
  await server.close();
  await Promise.all([...relays.values()].map((relay) => relay.close()));
  if (recorder) {
    await recorder.close();
    log(`recorded ${recorder.lines} inspection events to ${options.record}`);
  }

  for (const d of directions) {
    const path = d.transitions.map((t) => `${t.state} ${Math.round(t.atMs)}`).join(' → ');
    log(`${d.from} → ${d.to}: ${path} ms; received ${d.received}/${d.sent}`);
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

/**
 * Runs for `options.durationMs` (or until `stopped`): every `SEND_PERIOD_MS` each direction sends its
 * next number (`onSent` per message; skipped while its outbox is full), and with `fault` one
 * uncut link at a time is cut for `fault.forMs`. Resolves with every link healed and sending over.
 */
async function keepRunning(
  options: DemoOptions,
  directions: readonly Direction[],
  relays: ReadonlyMap<string, UdpRelay>,
  stopped: Promise<void>,
  onSent: () => void,
): Promise<void> {
  const sender = setInterval(() => {
    for (const d of directions) {
      try {
        d.handle.send(String(d.sent + 1));
      } catch {
        continue; // outbox full (a cut link) or closed: this number goes out next time
      }
      d.sent++;
      onSent();
    }
  }, SEND_PERIOD_MS);
  const timers: ReturnType<typeof setTimeout>[] = [];
  const fault = options.fault;
  const faults = fault
    ? setInterval(() => {
        const uncut = [...relays.values()].filter((relay) => !relay.blocked);
        const relay = uncut[Math.floor(Math.random() * uncut.length)];
        if (!relay) return;
        relay.block();
        timers.push(setTimeout(() => relay.heal(), fault.forMs));
      }, fault.everyMs)
    : undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const duration = options.durationMs ?? 0;
  await Promise.race([
    stopped,
    Number.isFinite(duration)
      ? new Promise<void>((resolve) => (timer = setTimeout(resolve, duration)))
      : stopped,
  ]);
  clearTimeout(timer);
  clearInterval(sender);
  clearInterval(faults);
  for (const t of timers) clearTimeout(t);
  for (const relay of relays.values()) relay.heal();
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
