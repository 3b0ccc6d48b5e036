/**
 * The `recovery` benchmark: how fast two @roamhq/wrtc peers recover from faults injected with the UDP
 * relay of src/node/udp-relay.ts, through one embedded signaling server on 127.0.0.1 whose
 * `transformSignal` hook routes every pair's candidates through that pair's relay.
 *
 * Each run measures three scenarios, each on a fresh relay, room and pair of peer systems:
 * - a 3 s partition (every UDP path blocked), then heal: the time from heal to the first message
 *   received that was sent after the heal (a sender sends a numbered message every 20 ms throughout);
 * - the same with a 20 s partition;
 * - a remote killed without goodbye: its UDP paths go silent, its signals are dropped from then on
 *   (so no `bye` gets through) and its system stops; the time from the kill to the survivor's peer
 *   leaving `connected` (the heartbeat's verdict, or ICE's, whichever comes first).
 * Times are performance.now() differences in ms.
 */
import { randomUUID } from 'node:crypto';
import type { PeerHandle, PeerState, PeerSystem, PeerstateError } from '../src/node/index.js';
import { createNodePeerSystem } from '../src/node/index.js';
import { createUdpRelay, type UdpRelay } from '../src/node/udp-relay.js';
import type { Signal } from '../src/protocol/signals.js';
import { type SignalingServer, startSignalingServer } from '../src/server/index.js';
import { within } from './deadline.js';
import { median, round } from './stats.js';

/** Parameters of the recovery benchmark. */
export interface RecoveryBenchOptions {
  /** Runs of each scenario (≥ 1). */
  runs: number;
  /** Bound of every single wait (connect, data after heal, detection, stop), in ms. */
  timeoutMs: number;
  /** Length of the short partition, in ms. Default 3000. */
  shortPartitionMs?: number;
  /** Length of the long partition, in ms. Default 20000. */
  longPartitionMs?: number;
  /** Period of the numbered sender, in ms. Default 20. */
  sendIntervalMs?: number;
}

/** One partition run. Times in ms. */
export interface PartitionSample {
  /** How long every UDP path was blocked. */
  partitionMs: number;
  /** heal → first message received that was sent after the heal. */
  healToDataMs: number;
  /** heal → first message of any kind received after the heal (may have been sent during the cut). */
  healToAnyMs: number;
  /** heal → the sender's peer `connected` again (0 if it never left `connected`). */
  healToConnectedMs: number;
  /** Top-level states of the sender's peer from the block on, with their time since the block. */
  senderStates: string;
  /** Top-level states of the receiver's peer from the block on. */
  receiverStates: string;
  /** RTCPeerConnections the sender's peer went through (1 = recovered by ICE restart, no full reconnect). */
  senderConnections: number;
  /** Messages sent before the last one checked that never arrived. */
  lost: number;
  /** Messages that arrived twice or out of order. */
  misordered: number;
  /** Codes of the errors either system reported, with counts (`a: code ×n`). */
  errors: string;
}

/** One dead-peer run. Times in ms. */
export interface DeadPeerSample {
  /** kill → the survivor's peer leaves `connected`. */
  detectMs: number;
  /** The state the survivor's peer went to. */
  nextState: PeerState;
}

/** One run of every scenario. */
export interface RecoveryRun {
  run: number;
  short: PartitionSample;
  long: PartitionSample;
  dead: DeadPeerSample;
}

/** What the benchmark measured: every run and the medians. */
export interface RecoveryBenchResult {
  runs: RecoveryRun[];
  healToDataMs3s: number;
  healToDataMs20s: number;
  deadPeerDetectMs: number;
}

/** Where the benchmark reports while it runs. */
export interface RecoveryBenchReporter {
  /** One run of all three scenarios finished. */
  run(run: RecoveryRun): void;
  /** A progress note. */
  progress(line: string): void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Every top-level state of one peer with the time it was entered (performance.now(), ms), from
 * `connect` on (it subscribes to `state$` right after it).
 */
class StateLog {
  private readonly seen: { state: PeerState; at: number }[] = [];
  private readonly waiters: { accept: (state: PeerState) => boolean; resolve: (at: number) => void }[] = [];
  private readonly sub;

  constructor(handle: PeerHandle) {
    this.sub = handle.state$.subscribe((state) => {
      const at = performance.now();
      this.seen.push({ state, at });
      for (const waiter of [...this.waiters]) {
        if (!waiter.accept(state)) continue;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(at);
      }
    });
  }

  /** The states entered at or after `since`, as `state@ms-since`. */
  since(since: number): string {
    return this.seen
      .filter((s) => s.at >= since)
      .map((s) => `${s.state}@${Math.round(s.at - since)}`)
      .join(' ');
  }

  /** Resolves with the time the peer next enters a state that `accept` takes. */
  next(accept: (state: PeerState) => boolean): Promise<number> {
    return new Promise((resolve) => this.waiters.push({ accept, resolve }));
  }

  stop(): void {
    this.sub.unsubscribe();
  }
}

/**
 * The shared parts of one scenario: a relay that the server routes this pair's signals through,
 * two peer systems in a fresh room that connected to each other (A → B and B → A, each logged from
 * `connect` on), and their cleanup.
 */
class Pair {
  /** Every error of either system, as `id: code: message`. */
  readonly errors: string[] = [];
  readonly systems: PeerSystem[] = [];
  aToB!: PeerHandle;
  bToA!: PeerHandle;
  aLog!: StateLog;
  bLog!: StateLog;

  private constructor(
    readonly relay: UdpRelay,
    readonly aId: string,
    readonly bId: string,
  ) {}

  /**
   * Opens a relay, registers it for the pair's ids in `routes`, opens both systems (B first), connects
   * them to each other and waits for both ends to be `connected`.
   */
  static async open(
    url: string,
    routes: Map<string, UdpRelay>,
    name: string,
    timeoutMs: number,
  ): Promise<Pair> {
    const relay = await createUdpRelay();
    const pair = new Pair(relay, `a-${name}`, `b-${name}`);
    routes.set(pair.aId, relay);
    routes.set(pair.bId, relay);
    const room = `recovery-${name}`;
    const open = (localId: string) => {
      const system = createNodePeerSystem({ localId, url, room });
      pair.systems.push(system);
      system.errors$.subscribe((e: PeerstateError) =>
        pair.errors.push(`${localId}: ${e.code}: ${e.message}`),
      );
      return within(system.signalingOpen(), timeoutMs, `${localId}: signaling open`).then(() => system);
    };
    try {
      const b = await open(pair.bId);
      const a = await open(pair.aId);
      pair.aToB = a.connect(pair.bId);
      pair.aLog = new StateLog(pair.aToB);
      pair.bToA = b.connect(pair.aId);
      pair.bLog = new StateLog(pair.bToA);
      const connected = (log: StateLog, handle: PeerHandle) =>
        handle.state === 'connected' ? Promise.resolve(0) : log.next((s) => s === 'connected');
      await within(
        Promise.all([connected(pair.aLog, pair.aToB), connected(pair.bLog, pair.bToA)]),
        timeoutMs,
        `${name}: connect`,
        () => pair.detail(),
      );
    } catch (error) {
      await pair.close(timeoutMs);
      throw error;
    }
    return pair;
  }

  /** States and the last errors, for a timeout message. */
  detail(): string {
    return [`A ${this.aToB?.state}`, `B ${this.bToA?.state}`, ...this.errors.slice(-5)].join('; ');
  }

  /** Error codes seen so far with their counts, e.g. `a-x: undelivered ×1`. */
  errorCodes(): string {
    const counts = new Map<string, number>();
    for (const e of this.errors) {
      const [who, code] = e.split(': ');
      const key = `${who?.slice(0, 1)}: ${code}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, n]) => `${key} ×${n}`).join(', ');
  }

  /** Stops both systems and closes the relay. */
  async close(timeoutMs: number): Promise<void> {
    this.aLog?.stop();
    this.bLog?.stop();
    try {
      await within(Promise.all(this.systems.map((s) => s.stop())), timeoutMs, 'stop');
    } finally {
      await this.relay.close();
    }
  }
}

/**
 * One partition run: A sends a numbered message every `sendIntervalMs` to B; once data flows, every
 * UDP path is blocked for `partitionMs`, then healed, and the sender keeps going until B received a
 * message sent after the heal. Then the sender stops and the pair gets up to 3 s to deliver the rest.
 */
async function partitionRun(
  url: string,
  routes: Map<string, UdpRelay>,
  name: string,
  partitionMs: number,
  options: Required<RecoveryBenchOptions>,
): Promise<PartitionSample> {
  const pair = await Pair.open(url, routes, name, options.timeoutMs);
  const { relay, aToB, bToA, aLog, bLog } = pair;
  const received: number[] = [];
  let healAt = Number.POSITIVE_INFINITY;
  let healSeq = Number.POSITIVE_INFINITY;
  let firstAfterHealAt = 0;
  let dataAt = 0;
  let resolveData: () => void = () => {};
  const data = new Promise<void>((resolve) => {
    resolveData = resolve;
  });
  bToA.messages$.subscribe((m) => {
    const now = performance.now();
    const seq = Number(m);
    received.push(seq);
    if (now >= healAt && firstAfterHealAt === 0) firstAfterHealAt = now;
    if (seq >= healSeq && dataAt === 0) {
      dataAt = now;
      resolveData();
    }
  });
  let seq = 0;
  const sender = setInterval(() => {
    try {
      aToB.send(String(seq));
      seq++;
    } catch {
      // A full outbox refuses the message (OutboxFullError): it was not accepted, so not counted.
    }
  }, options.sendIntervalMs);
  const connection = () => aToB.actor.getSnapshot().context.connection;
  try {
    // Data flows before the cut.
    await within(
      (async () => {
        while (received.length < 10) await sleep(5);
      })(),
      options.timeoutMs,
      `${name}: data before the partition`,
      () => pair.detail(),
    );
    const connectionBefore = connection();
    const blockAt = performance.now();
    relay.block();
    await sleep(partitionMs);
    relay.heal();
    healAt = performance.now();
    healSeq = seq;
    const connectedAgain =
      aToB.state === 'connected' ? Promise.resolve(healAt) : aLog.next((s) => s === 'connected');
    await within(data, options.timeoutMs, `${name}: data after heal`, () => pair.detail());
    const connectedAt = await within(connectedAgain, options.timeoutMs, `${name}: connected after heal`);
    clearInterval(sender);
    const sent = seq;
    // What can still arrive: up to 3 s for the tail.
    const deadline = performance.now() + 3_000;
    while (new Set(received).size < sent && performance.now() < deadline) await sleep(10);
    const distinct = new Set(received);
    let misordered = 0;
    for (let i = 1; i < received.length; i++)
      if ((received[i] as number) <= (received[i - 1] as number)) misordered++;
    return {
      partitionMs,
      healToDataMs: dataAt - healAt,
      healToAnyMs: firstAfterHealAt - healAt,
      healToConnectedMs: Math.max(0, connectedAt - healAt),
      senderStates: aLog.since(blockAt),
      receiverStates: bLog.since(blockAt),
      senderConnections: connection() - connectionBefore + 1,
      lost: sent - distinct.size,
      misordered,
      errors: pair.errorCodes(),
    };
  } finally {
    clearInterval(sender);
    await pair.close(options.timeoutMs);
  }
}

/**
 * One dead-peer run: once the pair is connected and has exchanged heartbeats for a second, B dies
 * without goodbye: every UDP path is blocked, every signal from B is dropped by the server from now
 * on, and B's system stops (its `bye` is dropped, its pc's last packets are blocked, its WebSocket
 * closes as a killed process's would). Measures the kill → A's peer leaving `connected`.
 */
async function deadPeerRun(
  url: string,
  routes: Map<string, UdpRelay>,
  killed: Set<string>,
  name: string,
  options: Required<RecoveryBenchOptions>,
): Promise<DeadPeerSample> {
  const pair = await Pair.open(url, routes, name, options.timeoutMs);
  try {
    await sleep(1_000);
    if (pair.aToB.state !== 'connected') throw new Error(`${name}: A left connected before the kill`);
    let nextState: PeerState = 'connected';
    const left = pair.aLog.next((s) => {
      nextState = s;
      return s !== 'connected';
    });
    const killAt = performance.now();
    pair.relay.block();
    killed.add(pair.bId);
    // B opened first: systems[0] is B.
    void pair.systems[0]?.stop();
    const leftAt = await within(left, options.timeoutMs, `${name}: survivor leaves connected`, () =>
      pair.detail(),
    );
    return { detectMs: leftAt - killAt, nextState };
  } finally {
    await pair.close(options.timeoutMs);
  }
}

/**
 * Starts the signaling server, runs every scenario `runs` times (3 s partition, 20 s partition, dead
 * peer, in that order per run), closes the server, and resolves with the samples and their medians.
 * Rejects on the first failed run, after cleanup.
 */
export async function runRecoveryBench(
  options: RecoveryBenchOptions,
  reporter: RecoveryBenchReporter,
): Promise<RecoveryBenchResult> {
  if (!Number.isInteger(options.runs) || options.runs < 1)
    throw new RangeError('runs must be an integer ≥ 1');
  const full: Required<RecoveryBenchOptions> = {
    shortPartitionMs: 3_000,
    longPartitionMs: 20_000,
    sendIntervalMs: 20,
    ...options,
  };
  /** The relay of each peer id: its signals are rewritten to go through it. */
  const routes = new Map<string, UdpRelay>();
  /** Peer ids that are dead: their signals are dropped. */
  const killed = new Set<string>();
  const transformSignal = (signal: Signal, from: string): Signal | null => {
    if (killed.has(from)) return null;
    const relay = routes.get(from);
    // A candidate the relay cannot carry (IPv6, TCP) is dropped; no path may bypass the relay.
    return relay ? relay.rewriteSignal(signal) : signal;
  };
  const server: SignalingServer = await startSignalingServer({ host: '127.0.0.1', port: 0, transformSignal });
  reporter.progress(`signaling server at ${server.url}`);
  const tag = randomUUID().slice(0, 8);
  try {
    const runs: RecoveryRun[] = [];
    for (let run = 1; run <= options.runs; run++) {
      reporter.progress(`run ${run}/${options.runs}: ${full.shortPartitionMs} ms partition`);
      const short = await partitionRun(
        server.url,
        routes,
        `${tag}-${run}-short`,
        full.shortPartitionMs,
        full,
      );
      reporter.progress(`run ${run}/${options.runs}: ${full.longPartitionMs} ms partition`);
      const long = await partitionRun(server.url, routes, `${tag}-${run}-long`, full.longPartitionMs, full);
      reporter.progress(`run ${run}/${options.runs}: dead peer`);
      const dead = await deadPeerRun(server.url, routes, killed, `${tag}-${run}-dead`, full);
      const result = { run, short, long, dead };
      runs.push(result);
      reporter.run(result);
    }
    return {
      runs,
      healToDataMs3s: median(runs.map((r) => r.short.healToDataMs)),
      healToDataMs20s: median(runs.map((r) => r.long.healToDataMs)),
      deadPeerDetectMs: median(runs.map((r) => r.dead.detectMs)),
    };
  } finally {
    await server.close();
  }
}

/** The `--json` line: medians in ms (1 decimal). */
export function recoveryJson(result: RecoveryBenchResult): string {
  return JSON.stringify({
    healToDataMs3s: round(result.healToDataMs3s, 1),
    healToDataMs20s: round(result.healToDataMs20s, 1),
    deadPeerDetectMs: round(result.deadPeerDetectMs, 1),
  });
}

const ms = (value: number) => `${value.toFixed(0).padStart(5)} ms`;

function partitionLine(label: string, s: PartitionSample): string {
  return (
    `  ${label}  heal→data ${ms(s.healToDataMs)}  heal→any ${ms(s.healToAnyMs)}  heal→connected ${ms(s.healToConnectedMs)}` +
    `  pcs ${s.senderConnections}  lost ${s.lost}  misordered ${s.misordered}\n` +
    `        errors   ${s.errors || 'none'}\n` +
    `        sender   ${s.senderStates}\n        receiver ${s.receiverStates}`
  );
}

/** Lines for one run: both partitions (with the state timelines since the block) and the dead peer. */
export function recoveryRunLines(run: RecoveryRun): string[] {
  return [
    `run ${run.run}`,
    partitionLine(`${(run.short.partitionMs / 1000).toFixed(0).padStart(2)} s cut`, run.short),
    partitionLine(`${(run.long.partitionMs / 1000).toFixed(0).padStart(2)} s cut`, run.long),
    `  dead peer  detected ${ms(run.dead.detectMs)} (→ ${run.dead.nextState})`,
  ];
}

/** Human-readable summary lines: medians against the targets of issue 3. */
export function recoverySummaryLines(result: RecoveryBenchResult): string[] {
  const verdict = (value: number, target: number) =>
    value <= target ? 'ok' : `over the ${target} ms target`;
  return [
    `heal → data after a 3 s cut   median ${ms(result.healToDataMs3s)}  (${verdict(result.healToDataMs3s, 1_000)})`,
    `heal → data after a 20 s cut  median ${ms(result.healToDataMs20s)}  (${verdict(result.healToDataMs20s, 1_000)})`,
    `dead peer detected            median ${ms(result.deadPeerDetectMs)}  (${verdict(result.deadPeerDetectMs, 2_000)})`,
  ];
}
