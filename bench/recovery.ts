/**
 * The `recovery` benchmark: how fast two @roamhq/wrtc peers recover from faults injected with the UDP
 * relay of src/node/udp-relay.ts, through one embedded signaling server on 127.0.0.1 whose
 * `transformSignal` hook routes every pair's candidates through that pair's relay.
 *
 * Every run of a case uses a fresh relay, room and pair of peer systems: A sends a numbered message to
 * B every 20 ms throughout. The cases (`--cases` picks some):
 * - `cut3s` and `cut20s`: every UDP path is blocked silently (both directions dropped, no ICMP) for 3 s
 *   or 20 s, then healed; measured: heal → the first message B receives that A sent after the heal.
 *   Each is run twice per run:
 *   - two-sided detection: both systems keep the default heartbeat, so both notice the silence;
 *   - one-sided detection: the relay still drops both directions, but A's system gets a heartbeat
 *     that tolerates more silence than the cut plus the longest wait (`heartbeatMisses`), so only B's
 *     heartbeat fires. A keeps its pings going and hears of the outage only through signaling (B's
 *     ICE restart offer) or its own ICE state. Blocking one direction instead would not keep A's
 *     heartbeat quiet: once B leaves `connected` it stops pinging, so A falls silent too.
 * - `remoteRestart`: B crashes and a new system with B's id starts. A crash is modelled as the
 *   dead peer's kill below (nothing of B's goodbye reaches A: no `bye`, no DTLS or SCTP close), and
 *   once B's old system has stopped (its sockets closed) the relay heals, B's signals pass again and
 *   the new B starts and connects to A, as a restarted app would. Measured: the new system's start →
 *   the first message from A delivered to it, while A keeps sending. A run that delivers nothing
 *   within the timeout counts as timed out, not as a failure of the bench.
 * - `signalingRestart`: on a signaling server of its own, restartIce → A's peer `connected` again is
 *   timed; the server is closed and started again on the same port (a new session generation for
 *   both systems, the data channel untouched) and restartIce is timed again; then a 3 s cut on the new
 *   session, heal → data as in `cut3s`.
 * - `deadPeer`: B dies without goodbye (UDP paths blocked, its signals dropped by the server from then
 *   on, its system stopped); measured: the kill → A's peer leaving `connected` (the heartbeat's
 *   verdict, or ICE's, whichever comes first).
 * A run that fails (a connect or another wait that runs out) is counted in its case's `failures` and
 * the bench goes on. Times are performance.now() differences in ms.
 */
import { randomUUID } from 'node:crypto';
import { filter, firstValueFrom, map } from 'rxjs';
import type {
  NodePeerSystemOptions,
  PeerHandle,
  PeerState,
  PeerSystem,
  PeerstateError,
} from '../src/node/index.js';
import { createNodePeerSystem } from '../src/node/index.js';
import { createUdpRelay, type UdpRelay } from '../src/node/udp-relay.js';
import type { Signal } from '../src/protocol/signals.js';
import { type SignalingServer, startSignalingServer } from '../src/server/index.js';
import { DeadlineError, within } from './deadline.js';
import { NumberedStream } from './numbered-stream.js';
import { type Spread, spread } from './stats.js';

/** The cases of the recovery benchmark, in the order each run goes through them. */
export const RECOVERY_CASES = ['cut3s', 'cut20s', 'remoteRestart', 'signalingRestart', 'deadPeer'] as const;

/** One case of the recovery benchmark (`--cases`). */
export type RecoveryCase = (typeof RECOVERY_CASES)[number];

/** Which sides' heartbeats can notice a cut. */
export type Detection = 'twoSided' | 'oneSided';

/** Parameters of the recovery benchmark. */
export interface RecoveryBenchOptions {
  /** Runs of each case (≥ 1). */
  runs: number;
  /** Bound of every single wait (connect, data after heal, data after a restart, detection, stop), in ms. */
  timeoutMs: number;
  /** The cases to run. Default all of {@link RECOVERY_CASES}. */
  cases?: readonly RecoveryCase[];
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
  /** Whose heartbeat could notice the cut. */
  detection: Detection;
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

/** One remote-restart run. Times in ms. */
export interface RestartSample {
  /** The new system's start → the first message from A delivered to it; null if none in time. */
  startToDataMs: number | null;
  /** How long B's old system took to stop (the kill → the new system's start). */
  stopMs: number;
  /** Top-level states of A's peer from the kill on, with their time since the kill. */
  senderStates: string;
  /** Codes of the errors either system reported, with counts. */
  errors: string;
}

/** One signaling-restart run. Times in ms. */
export interface SignalingRestartSample {
  /** restartIce → connected again, before the server restarts. */
  restartIceBeforeMs: number;
  /** The same on the new session, after the server restarted on the same port. */
  restartIceAfterMs: number;
  /** The server closed → both systems' signaling open again (includes the restart itself). */
  reopenMs: number;
  /** A short cut on the new session: heal → the first message sent after the heal received. */
  cutHealToDataMs: number;
  /** Codes of the errors either system reported, with counts. */
  errors: string;
}

/** One dead-peer run. Times in ms. */
export interface DeadPeerSample {
  /** kill → the survivor's peer leaves `connected`. */
  detectMs: number;
  /** The state the survivor's peer went to. */
  nextState: PeerState;
}

/** Heal → data of one partition length, by detection. */
export interface CutStats {
  twoSided: CaseStats;
  oneSided: CaseStats;
}

/** The spread of one case's samples (ms), with how many runs there were and how many failed. */
export interface CaseStats extends Spread {
  runs: number;
  failures: number;
}

/** The remote-restart case: `runs` = `delivered` + `timedOut` + `failures`. */
export interface RestartStats extends CaseStats {
  /** Runs where the new system got a message from A within the timeout. */
  delivered: number;
  /** Runs where it got none. */
  timedOut: number;
}

/** The signaling-restart case: restartIce before and after, and a short cut after, each a spread. */
export interface SignalingRestartStats {
  restartIceBefore: CaseStats;
  restartIceAfter: CaseStats;
  cutAfter: CaseStats;
}

/** What the benchmark measured; a case that was not run is absent. */
export interface RecoveryBenchResult {
  cut3s?: CutStats;
  cut20s?: CutStats;
  remoteRestart?: RestartStats;
  signalingRestart?: SignalingRestartStats;
  deadPeer?: CaseStats;
}

/** Where the benchmark reports while it runs. */
export interface RecoveryBenchReporter {
  /** One run of one case finished (or failed): its result lines. */
  sample(lines: string[]): void;
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
    readonly url: string,
    readonly room: string,
    readonly aId: string,
    readonly bId: string,
  ) {}

  /**
   * Opens a relay, registers it for the pair's ids in `routes`, opens both systems (B first, each with
   * its `options`), connects them to each other and waits for both ends to be `connected`.
   */
  static async open(
    url: string,
    routes: Map<string, UdpRelay>,
    name: string,
    timeoutMs: number,
    options: { a?: Partial<NodePeerSystemOptions>; b?: Partial<NodePeerSystemOptions> } = {},
  ): Promise<Pair> {
    const relay = await createUdpRelay();
    const pair = new Pair(relay, url, `recovery-${name}`, `a-${name}`, `b-${name}`);
    routes.set(pair.aId, relay);
    routes.set(pair.bId, relay);
    try {
      const b = await pair.start(pair.bId, timeoutMs, options.b);
      const a = await pair.start(pair.aId, timeoutMs, options.a);
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

  /**
   * Starts a system for `localId` in the pair's room (closed with the pair, its errors collected) and
   * resolves with it once its signaling is open.
   */
  start(
    localId: string,
    timeoutMs: number,
    options: Partial<NodePeerSystemOptions> = {},
  ): Promise<PeerSystem> {
    const system = createNodePeerSystem({ ...options, localId, url: this.url, room: this.room });
    this.systems.push(system);
    system.errors$.subscribe((e: PeerstateError) => this.errors.push(`${localId}: ${e.code}: ${e.message}`));
    return within(system.signalingOpen(), timeoutMs, `${localId}: signaling open`).then(() => system);
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

/** Default heartbeat period (PeerSystemOptions' default), in ms: the quiet side keeps pinging at it. */
const HEARTBEAT_INTERVAL_MS = 500;

/**
 * Options of the side that must not notice a cut of `partitionMs` by heartbeat: it pings as usual,
 * but its heartbeat tolerates more silence than the cut plus the longest wait after it.
 */
function quietHeartbeat(partitionMs: number, timeoutMs: number): Partial<NodePeerSystemOptions> {
  return {
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    heartbeatMisses: Math.ceil((partitionMs + 2 * timeoutMs) / HEARTBEAT_INTERVAL_MS),
  };
}

/**
 * One partition run: A sends a numbered message every `sendIntervalMs` to B; once data flows, every
 * UDP path is blocked for `partitionMs`, then healed, and the sender keeps going until B received a
 * message sent after the heal. Then the sender stops and the pair gets up to 3 s to deliver the rest.
 * With one-sided detection only B's heartbeat can fire (A's is quiet, see {@link quietHeartbeat}).
 */
async function partitionRun(
  url: string,
  routes: Map<string, UdpRelay>,
  name: string,
  partitionMs: number,
  detection: Detection,
  options: Required<RecoveryBenchOptions>,
): Promise<PartitionSample> {
  const pair = await Pair.open(url, routes, name, options.timeoutMs, {
    ...(detection === 'oneSided' ? { a: quietHeartbeat(partitionMs, options.timeoutMs) } : {}),
  });
  const stream = new NumberedStream(pair.aToB, pair.bToA, options.sendIntervalMs);
  try {
    await within(stream.reach(10), options.timeoutMs, `${name}: data before the partition`, () =>
      pair.detail(),
    );
    return await cut(pair, stream, name, partitionMs, detection, options);
  } finally {
    stream.close();
    await pair.close(options.timeoutMs);
  }
}

/**
 * One cut on a pair whose stream flows: every UDP path blocked for `partitionMs`, then healed; waits
 * until B received a message sent after the heal and A is `connected`, then stops the sender and gives
 * the tail up to 3 s to arrive.
 */
async function cut(
  pair: Pair,
  stream: NumberedStream,
  name: string,
  partitionMs: number,
  detection: Detection,
  options: Required<RecoveryBenchOptions>,
): Promise<PartitionSample> {
  const { relay, aToB, aLog, bLog } = pair;
  const connection = () => aToB.actor.getSnapshot().context.connection;
  const connectionBefore = connection();
  const blockAt = performance.now();
  relay.block();
  await sleep(partitionMs);
  relay.heal();
  const healAt = performance.now();
  const data = stream.reach(stream.sent);
  const connectedAgain =
    aToB.state === 'connected' ? Promise.resolve(healAt) : aLog.next((s) => s === 'connected');
  const dataAt = await within(data, options.timeoutMs, `${name}: data after heal`, () => pair.detail());
  const connectedAt = await within(connectedAgain, options.timeoutMs, `${name}: connected after heal`);
  stream.stopSending();
  const deadline = performance.now() + 3_000;
  while (stream.tally().lost > 0 && performance.now() < deadline) await sleep(10);
  const firstAfterHealAt = stream.arrivals.find((a) => a.at >= healAt)?.at ?? dataAt;
  return {
    partitionMs,
    detection,
    healToDataMs: dataAt - healAt,
    healToAnyMs: firstAfterHealAt - healAt,
    healToConnectedMs: Math.max(0, connectedAt - healAt),
    senderStates: aLog.since(blockAt),
    receiverStates: bLog.since(blockAt),
    senderConnections: connection() - connectionBefore + 1,
    ...stream.tally(),
    errors: pair.errorCodes(),
  };
}

/** restartIce on A's peer → A's peer `connected` again (it leaves `connected` and comes back), in ms. */
async function restartIceToConnected(pair: Pair, name: string, timeoutMs: number): Promise<number> {
  const at = performance.now();
  const back = pair.aLog.next((s) => s === 'connected');
  pair.aToB.restartIce();
  return (await within(back, timeoutMs, `${name}: connected after restartIce`, () => pair.detail())) - at;
}

/**
 * One signaling-restart run on a server of its own: restartIce is timed on the connected pair, then
 * the server is closed and started again on the same port (a new session for both systems), and
 * restartIce is timed again; then a short cut on the new session. Data flows throughout.
 */
async function signalingRestartRun(
  transformSignal: (signal: Signal, from: string) => Signal | null,
  routes: Map<string, UdpRelay>,
  name: string,
  options: Required<RecoveryBenchOptions>,
): Promise<SignalingRestartSample> {
  let server = await startSignalingServer({ host: '127.0.0.1', port: 0, transformSignal });
  const { port } = server;
  let pair: Pair | undefined;
  let stream: NumberedStream | undefined;
  try {
    pair = await Pair.open(server.url, routes, name, options.timeoutMs);
    stream = new NumberedStream(pair.aToB, pair.bToA, options.sendIntervalMs);
    await within(stream.reach(10), options.timeoutMs, `${name}: data before`, () => pair?.detail() ?? '');
    const restartIceBeforeMs = await restartIceToConnected(pair, name, options.timeoutMs);
    const lost = Promise.all(
      pair.systems.map((s) => firstValueFrom(s.signaling$.pipe(filter((state) => state !== 'open')))),
    );
    const closedAt = performance.now();
    await server.close();
    await within(lost, options.timeoutMs, `${name}: signaling lost`);
    server = await startSignalingServer({ host: '127.0.0.1', port, transformSignal });
    await within(
      Promise.all(pair.systems.map((s) => s.signalingOpen())),
      options.timeoutMs,
      `${name}: signaling reopened`,
    );
    const reopenMs = performance.now() - closedAt;
    const restartIceAfterMs = await restartIceToConnected(pair, name, options.timeoutMs);
    const after = await cut(pair, stream, name, options.shortPartitionMs, 'twoSided', options);
    return {
      restartIceBeforeMs,
      restartIceAfterMs,
      reopenMs,
      cutHealToDataMs: after.healToDataMs,
      errors: pair.errorCodes(),
    };
  } finally {
    stream?.close();
    await pair?.close(options.timeoutMs);
    await server.close();
  }
}

/**
 * Kills B as a crashed process dies: every UDP path is blocked (its pc's DTLS and SCTP goodbyes are
 * lost), every signal from B is dropped by the server from now on (its `bye` too), and B's system
 * stops (its WebSocket closes as a killed process's would). Resolves when B's system has stopped.
 */
function kill(pair: Pair, killed: Set<string>): Promise<void> {
  pair.relay.block();
  killed.add(pair.bId);
  // B opened first: systems[0] is B.
  return pair.systems[0]?.stop() ?? Promise.resolve();
}

/**
 * One dead-peer run: once the pair is connected and has exchanged heartbeats for a second, B dies
 * without goodbye (see {@link kill}). Measures the kill → A's peer leaving `connected`.
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
    void kill(pair, killed);
    const leftAt = await within(left, options.timeoutMs, `${name}: survivor leaves connected`, () =>
      pair.detail(),
    );
    return { detectMs: leftAt - killAt, nextState };
  } finally {
    await pair.close(options.timeoutMs);
  }
}

/**
 * One remote-restart run: A sends a numbered message every `sendIntervalMs` to B; once data flows, B
 * is killed (see {@link kill}). Once B's old system has stopped, the relay heals (no socket of the old
 * pc is left to use it), B's signals pass again, and a new system with B's id starts and connects to
 * A. Measures the new system's start → the first message from A it delivers, bounded by `timeoutMs`.
 */
async function remoteRestartRun(
  url: string,
  routes: Map<string, UdpRelay>,
  killed: Set<string>,
  name: string,
  options: Required<RecoveryBenchOptions>,
): Promise<RestartSample> {
  const pair = await Pair.open(url, routes, name, options.timeoutMs);
  const { aToB, bToA, aId, bId } = pair;
  let received = 0;
  bToA.messages$.subscribe(() => received++);
  const sender = setInterval(() => {
    try {
      aToB.send('x');
    } catch {
      // A full outbox refuses the message; A just keeps trying.
    }
  }, options.sendIntervalMs);
  try {
    await within(
      (async () => {
        while (received < 10) await sleep(5);
      })(),
      options.timeoutMs,
      `${name}: data before the kill`,
      () => pair.detail(),
    );
    const killAt = performance.now();
    await within(kill(pair, killed), options.timeoutMs, `${name}: old B stops`);
    pair.relay.heal();
    killed.delete(bId);
    const startAt = performance.now();
    const restarted = createNodePeerSystem({ localId: bId, url, room: pair.room });
    pair.systems.push(restarted);
    restarted.errors$.subscribe((e: PeerstateError) => pair.errors.push(`${bId}: ${e.code}: ${e.message}`));
    const delivered = firstValueFrom(
      restarted.messages$.pipe(
        filter((m) => m.from === aId),
        map(() => performance.now()),
      ),
    );
    // The restarted app connects to its peer again, as it did on its first start.
    restarted.connect(aId);
    let startToDataMs: number | null = null;
    try {
      startToDataMs = (await within(delivered, options.timeoutMs, `${name}: data after restart`)) - startAt;
    } catch (error) {
      if (!(error instanceof DeadlineError)) throw error;
    }
    return {
      startToDataMs,
      stopMs: startAt - killAt,
      senderStates: pair.aLog.since(killAt),
      errors: pair.errorCodes(),
    };
  } finally {
    clearInterval(sender);
    await pair.close(options.timeoutMs);
  }
}

/** One run of `run`, its failure caught: the error message, or the sample. */
async function attempt<T>(
  run: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Samples (ms) and failures of one case while it runs. */
class Tally {
  readonly samples: number[] = [];
  runs = 0;
  failures = 0;

  stats(): CaseStats {
    return { ...spread(this.samples), runs: this.runs, failures: this.failures };
  }
}

/**
 * Starts the signaling server, runs each selected case `runs` times (one run of every case in
 * {@link RECOVERY_CASES} order, then the next run), closes the server, and resolves with each case's
 * spread. A failed run is reported and counted, not thrown; only the server's start can reject.
 */
export async function runRecoveryBench(
  options: RecoveryBenchOptions,
  reporter: RecoveryBenchReporter,
): Promise<RecoveryBenchResult> {
  if (!Number.isInteger(options.runs) || options.runs < 1)
    throw new RangeError('runs must be an integer ≥ 1');
  const full: Required<RecoveryBenchOptions> = {
    cases: RECOVERY_CASES,
    shortPartitionMs: 3_000,
    longPartitionMs: 20_000,
    sendIntervalMs: 20,
    ...options,
  };
  const selected = new Set(full.cases);
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
  const cuts = {
    cut3s: { partitionMs: full.shortPartitionMs, twoSided: new Tally(), oneSided: new Tally() },
    cut20s: { partitionMs: full.longPartitionMs, twoSided: new Tally(), oneSided: new Tally() },
  };
  const restart = { tally: new Tally(), delivered: 0, timedOut: 0 };
  const dead = new Tally();
  const signaling = { before: new Tally(), after: new Tally(), cut: new Tally() };
  const failed = (label: string, error: string) => reporter.sample([`${label}  failed: ${error}`]);
  try {
    for (let run = 1; run <= full.runs; run++) {
      for (const which of RECOVERY_CASES) {
        if (!selected.has(which)) continue;
        const label = `run ${run}/${full.runs} ${which}`;
        if (which === 'cut3s' || which === 'cut20s') {
          const cut = cuts[which];
          for (const detection of ['twoSided', 'oneSided'] as const) {
            reporter.progress(`${label} ${detection}`);
            const tally = cut[detection];
            tally.runs++;
            const name = `${tag}-${run}-${which}-${detection}`;
            const result = await attempt(() =>
              partitionRun(server.url, routes, name, cut.partitionMs, detection, full),
            );
            if (result.ok) {
              tally.samples.push(result.value.healToDataMs);
              reporter.sample(partitionLines(`${label} ${detection}`, result.value));
            } else {
              tally.failures++;
              failed(`${label} ${detection}`, result.error);
            }
          }
        } else if (which === 'remoteRestart') {
          reporter.progress(label);
          restart.tally.runs++;
          const result = await attempt(() =>
            remoteRestartRun(server.url, routes, killed, `${tag}-${run}-restart`, full),
          );
          if (!result.ok) {
            restart.tally.failures++;
            failed(label, result.error);
            continue;
          }
          const sample = result.value;
          if (sample.startToDataMs === null) restart.timedOut++;
          else {
            restart.delivered++;
            restart.tally.samples.push(sample.startToDataMs);
          }
          reporter.sample(restartLines(label, sample, full.timeoutMs));
        } else if (which === 'signalingRestart') {
          reporter.progress(label);
          for (const tally of Object.values(signaling)) tally.runs++;
          const result = await attempt(() =>
            signalingRestartRun(transformSignal, routes, `${tag}-${run}-signaling`, full),
          );
          if (!result.ok) {
            for (const tally of Object.values(signaling)) tally.failures++;
            failed(label, result.error);
            continue;
          }
          const sample = result.value;
          signaling.before.samples.push(sample.restartIceBeforeMs);
          signaling.after.samples.push(sample.restartIceAfterMs);
          signaling.cut.samples.push(sample.cutHealToDataMs);
          reporter.sample([
            `${label}  restartIce→connected before ${ms(sample.restartIceBeforeMs)}  after ${ms(sample.restartIceAfterMs)}` +
              `  (server down→reopened ${ms(sample.reopenMs)})  3 s cut after: heal→data ${ms(sample.cutHealToDataMs)}`,
            `    errors   ${sample.errors || 'none'}`,
          ]);
        } else {
          reporter.progress(label);
          dead.runs++;
          const result = await attempt(() =>
            deadPeerRun(server.url, routes, killed, `${tag}-${run}-dead`, full),
          );
          if (result.ok) {
            dead.samples.push(result.value.detectMs);
            reporter.sample([
              `${label}  detected ${ms(result.value.detectMs)} (→ ${result.value.nextState})`,
            ]);
          } else {
            dead.failures++;
            failed(label, result.error);
          }
        }
      }
    }
  } finally {
    await server.close();
  }
  const cutStats = (which: 'cut3s' | 'cut20s'): CutStats => ({
    twoSided: cuts[which].twoSided.stats(),
    oneSided: cuts[which].oneSided.stats(),
  });
  return {
    ...(selected.has('cut3s') ? { cut3s: cutStats('cut3s') } : {}),
    ...(selected.has('cut20s') ? { cut20s: cutStats('cut20s') } : {}),
    ...(selected.has('remoteRestart')
      ? {
          remoteRestart: {
            ...restart.tally.stats(),
            delivered: restart.delivered,
            timedOut: restart.timedOut,
          },
        }
      : {}),
    ...(selected.has('signalingRestart')
      ? {
          signalingRestart: {
            restartIceBefore: signaling.before.stats(),
            restartIceAfter: signaling.after.stats(),
            cutAfter: signaling.cut.stats(),
          },
        }
      : {}),
    ...(selected.has('deadPeer') ? { deadPeer: dead.stats() } : {}),
  };
}

/**
 * The `--json` line: per case the spread in ms (1 decimal, `null` without a sample), runs and
 * failures; the dead peer as its median detection time, `deadPeerDetectMs`. Cases not run are absent.
 */
export function recoveryJson(result: RecoveryBenchResult): string {
  return JSON.stringify({
    ...(result.cut3s ? { cut3s: result.cut3s } : {}),
    ...(result.cut20s ? { cut20s: result.cut20s } : {}),
    ...(result.remoteRestart ? { remoteRestart: result.remoteRestart } : {}),
    ...(result.signalingRestart ? { signalingRestart: result.signalingRestart } : {}),
    ...(result.deadPeer ? { deadPeerDetectMs: result.deadPeer.medianMs } : {}),
  });
}

const ms = (value: number | null) => (value === null ? '    — ms' : `${value.toFixed(0).padStart(5)} ms`);

function partitionLines(label: string, s: PartitionSample): string[] {
  return [
    `${label}  heal→data ${ms(s.healToDataMs)}  heal→any ${ms(s.healToAnyMs)}  heal→connected ${ms(s.healToConnectedMs)}` +
      `  pcs ${s.senderConnections}  lost ${s.lost}  misordered ${s.misordered}`,
    `    errors   ${s.errors || 'none'}`,
    `    sender   ${s.senderStates}`,
    `    receiver ${s.receiverStates}`,
  ];
}

function restartLines(label: string, s: RestartSample, timeoutMs: number): string[] {
  const outcome =
    s.startToDataMs === null ? `no data within ${timeoutMs} ms` : `start→data ${ms(s.startToDataMs)}`;
  return [
    `${label}  ${outcome}  (old B stopped in ${ms(s.stopMs)})`,
    `    errors   ${s.errors || 'none'}`,
    `    sender   ${s.senderStates}`,
  ];
}

/** One human-readable line per case that ran: median, p95 and max in ms, runs and failures. */
export function recoverySummaryLines(result: RecoveryBenchResult): string[] {
  const spreadText = (s: CaseStats) =>
    `median ${ms(s.medianMs)}  p95 ${ms(s.p95Ms)}  max ${ms(s.maxMs)}  runs ${s.runs}  failures ${s.failures}`;
  const lines: string[] = [];
  for (const [which, seconds] of [
    ['cut3s', 3],
    ['cut20s', 20],
  ] as const) {
    const cut = result[which];
    if (!cut) continue;
    lines.push(`heal → data, ${seconds} s cut, two-sided detection   ${spreadText(cut.twoSided)}`);
    lines.push(`heal → data, ${seconds} s cut, one-sided detection   ${spreadText(cut.oneSided)}`);
  }
  const restart = result.remoteRestart;
  if (restart) {
    lines.push(
      `remote restart → first delivered message     ${spreadText(restart)}  delivered ${restart.delivered}  timed out ${restart.timedOut}`,
    );
  }
  const signaling = result.signalingRestart;
  if (signaling) {
    lines.push(
      `restartIce → connected, before a signaling restart  ${spreadText(signaling.restartIceBefore)}`,
    );
    lines.push(
      `restartIce → connected, after a signaling restart   ${spreadText(signaling.restartIceAfter)}`,
    );
    lines.push(`heal → data, 3 s cut after a signaling restart    ${spreadText(signaling.cutAfter)}`);
  }
  if (result.deadPeer)
    lines.push(`dead peer detected                           ${spreadText(result.deadPeer)}`);
  return lines;
}
