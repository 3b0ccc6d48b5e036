/**
 * `npm run interop`: the interoperability matrix of the RTC stacks. For every ordered pair (a, b) of
 * the chosen stacks, a connects to b through the embedded signaling server on 127.0.0.1, then:
 * - connected: a's first message reached b, and how long after `connect()` (ms, wall clock);
 * - 1,000 each way: 1,000 messages a → b and 1,000 b → a arrived, each once, in order;
 * - ICE restart: a restarts ICE while 200 messages flow each way; all arrive once, in order, and a is
 *   `connected` again;
 * - remote restart: b's process (or page) is killed without a goodbye; a queues 100 messages; a new b
 *   with the same id, which only listens, gets exactly those, in order (and how long after it was ready).
 * Node stacks run in processes of their own (tools/stacks/process-endpoint.ts), browsers in tabs; a
 * killed Chromium tab is crashed, a killed Firefox tab is closed (WebDriver BiDi cannot crash one).
 * Usage: `npm run interop -- [--stacks wrtc,chromium] [--json]`. Exits non-zero unless every cell passed.
 */
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { startSignalingServer } from '../src/server/index.js';
import type { PageServer } from './page-server.js';
import {
  type ChromiumSession,
  launchChromium,
  openPageEndpoint,
  serveHarnessPage,
} from './stacks/chromium.js';
import { type Endpoint, type EndpointOptions, waitForReport } from './stacks/endpoint.js';
import { type FirefoxSession, launchFirefox, openFirefoxEndpoint } from './stacks/firefox.js';
import { NODE_STACKS } from './stacks/node-stacks.js';
import { startProcessEndpoint } from './stacks/process-endpoint.js';
import { type Batch, expectedOf, type Received } from './stacks/recorder.js';

/** Stacks the matrix knows: the Node ones and the browsers. */
export const INTEROP_STACKS = [...NODE_STACKS, 'chromium', 'firefox'] as const;

/** One row of the matrix. `null` where a step could not run because an earlier one failed. */
export interface PairResult {
  /** The stack that connects (and survives). */
  a: string;
  /** The stack connected to (and restarted). */
  b: string;
  connected: boolean;
  /** From a's `connect()` to b's first message, in ms. */
  firstMessageMs: number | null;
  inOrder1000: boolean | null;
  iceRestart: boolean | null;
  remoteRestart: boolean | null;
  /** From the new b being ready (its system created) to its first queued message, in ms. */
  remoteRestartMs: number | null;
  /** The first thing that went wrong, with both sides' last errors. */
  failure: string | null;
}

/** An endpoint that can be killed without a goodbye. */
type Killable = Endpoint & { kill(): Promise<void> };

/** Starts endpoints on any stack of {@link INTEROP_STACKS}; one page server and one of each browser for all. */
class Stacks {
  private harness: Promise<PageServer> | undefined;
  private chromium: Promise<ChromiumSession> | undefined;
  private firefox: Promise<FirefoxSession> | undefined;

  async start(stack: string, options: EndpointOptions): Promise<Killable> {
    if (stack !== 'chromium' && stack !== 'firefox') return startProcessEndpoint(stack, options);
    this.harness ??= serveHarnessPage();
    const harness = await this.harness;
    if (stack === 'firefox') {
      this.firefox ??= launchFirefox();
      return openFirefoxEndpoint((await this.firefox).browser, harness.url, options);
    }
    this.chromium ??= launchChromium();
    const endpoint = await openPageEndpoint((await this.chromium).context, harness.url, options);
    return { ...endpoint, kill: () => endpoint.crash() };
  }

  async close(): Promise<void> {
    await (await this.chromium)?.close();
    await (await this.firefox)?.close();
    await (await this.harness)?.close();
  }
}

const texts = (prefix: string, from: number, count: number): Batch => ({ prefix, from, count });

const same = (received: Received[] | undefined, expected: Received[]) =>
  received !== undefined && JSON.stringify(received) === JSON.stringify(expected);

/** Resolves with `promise`'s value, or with `fallback` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Runs every step of the matrix for a → b. */
export async function runPair(stacks: Stacks, a: string, b: string): Promise<PairResult> {
  const result: PairResult = {
    a,
    b,
    connected: false,
    firstMessageMs: null,
    inOrder1000: null,
    iceRestart: null,
    remoteRestart: null,
    remoteRestartMs: null,
    failure: null,
  };
  const server = await startSignalingServer();
  const options = (localId: string): EndpointOptions => ({ localId, url: server.url, room: 'interop' });
  const running: Killable[] = [];
  const fail = async (step: string, ...ends: Endpoint[]) => {
    const errors = await Promise.all(
      ends.map((e) => within(e.errors(), 2_000, ['(no answer)']).catch(() => [])),
    );
    const reports = await Promise.all(
      ends.map((e, i) => within(e.report(ends[1 - i]?.localId ?? ''), 2_000, null).catch(() => null)),
    );
    const seen = ends.map(
      (e, i) => `${e.localId} ${reports[i]?.state ?? '?'}, ${reports[i]?.received.length ?? '?'} received`,
    );
    step += ` (${seen.join('; ')})`;
    result.failure = `${step}; ${ends.map((e, i) => `${e.stack} ${e.localId}: ${errors[i]?.slice(-2).join(' | ') || 'no errors'}`).join('; ')}`;
    return result;
  };
  try {
    const alice = await stacks.start(a, options('alice'));
    running.push(alice);
    const bob = await stacks.start(b, options('bob'));
    running.push(bob);

    const connectAt = Date.now();
    await alice.connect('bob');
    await alice.send('bob', texts('first', 0, 1));
    const first = await waitForReport(bob, 'alice', (r) => r.received.length >= 1, 20_000);
    result.connected = (first?.received.length ?? 0) >= 1;
    if (!result.connected || first?.firstMessageAt == null) return fail('not connected', alice, bob);
    result.firstMessageMs = first.firstMessageAt - connectAt;

    await alice.send('bob', texts('a', 0, 1_000));
    await bob.send('alice', texts('b', 0, 1_000));
    const atBob = await waitForReport(bob, 'alice', (r) => r.received.length >= 1_001, 30_000);
    const atAlice = await waitForReport(alice, 'bob', (r) => r.received.length >= 1_000, 30_000);
    result.inOrder1000 =
      same(atBob?.received.slice(1), expectedOf(texts('a', 0, 1_000))) &&
      same(atAlice?.received, expectedOf(texts('b', 0, 1_000)));
    if (!result.inOrder1000) return fail('1,000 each way', alice, bob);

    await Promise.all([alice.send('bob', texts('r', 0, 100)), bob.send('alice', texts('s', 0, 100))]);
    await alice.restartIce('bob');
    await Promise.all([alice.send('bob', texts('r', 100, 100)), bob.send('alice', texts('s', 100, 100))]);
    const restartedBob = await waitForReport(bob, 'alice', (r) => r.received.length >= 1_201, 30_000);
    const restartedAlice = await waitForReport(alice, 'bob', (r) => r.received.length >= 1_200, 30_000);
    const again = await waitForReport(alice, 'bob', (r) => r.state === 'connected', 20_000);
    result.iceRestart =
      same(restartedBob?.received.slice(1_001), expectedOf(texts('r', 0, 200))) &&
      same(restartedAlice?.received.slice(1_000), expectedOf(texts('s', 0, 200))) &&
      again?.state === 'connected';
    if (!result.iceRestart) return fail('ICE restart', alice, bob);

    await within(alice.flushed('bob'), 10_000, undefined);
    await bob.kill();
    await waitForReport(alice, 'bob', (r) => r.state !== 'connected', 20_000);
    await alice.send('bob', texts('q', 0, 100));
    const reborn = await stacks.start(b, options('bob'));
    running.push(reborn);
    const readyAt = Date.now();
    const atReborn = await waitForReport(reborn, 'alice', (r) => r.received.length >= 100, 30_000);
    result.remoteRestart = same(atReborn?.received, expectedOf(texts('q', 0, 100)));
    if (atReborn?.firstMessageAt != null) result.remoteRestartMs = atReborn.firstMessageAt - readyAt;
    if (!result.remoteRestart) await fail('remote restart', alice, reborn);
    return result;
  } catch (error) {
    result.failure ??= String(error);
    return result;
  } finally {
    await Promise.all(
      running.map((e) =>
        within(
          e.stop().catch(() => {}),
          5_000,
          undefined,
        ),
      ),
    );
    await Promise.all(running.map((e) => e.kill().catch(() => {})));
    await server.close();
  }
}

/** The matrix as a Markdown table. */
export function formatMatrix(results: readonly PairResult[]): string {
  const mark = (value: boolean | null) => (value === null ? '–' : value ? 'yes' : '**no**');
  const ms = (value: number | null) => (value === null ? '' : ` (${value} ms)`);
  const lines = [
    '| a → b | connected (a connect → first message at b) | 1,000 each way in order | recovered after ICE restart | recovered after b restarts (new b ready → first queued message) |',
    '| --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.a} → ${r.b} | ${mark(r.connected)}${ms(r.firstMessageMs)} | ${mark(r.inOrder1000)} | ${mark(r.iceRestart)} | ${mark(r.remoteRestart)}${ms(r.remoteRestartMs)} |`,
    ),
  ];
  const failures = results.filter((r) => r.failure).map((r) => `- ${r.a} → ${r.b}: ${r.failure}`);
  return [...lines, ...(failures.length ? ['', ...failures] : [])].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { stacks: chosen, json } = new Command('interop')
    .description('the interoperability matrix of the RTC stacks')
    .option('--stacks <list>', `comma-separated, of ${INTEROP_STACKS.join(', ')}`, INTEROP_STACKS.join(','))
    .option('--json', 'end with one JSON line of the results')
    .parse()
    .opts<{ stacks: string; json?: boolean }>();
  const names = chosen.split(',').map((s) => s.trim());
  const unknown = names.filter((s) => !(INTEROP_STACKS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    console.error(`unknown stacks: ${unknown.join(', ')} (known: ${INTEROP_STACKS.join(', ')})`);
    process.exit(2);
  }
  const stacks = new Stacks();
  const results: PairResult[] = [];
  try {
    for (const a of names)
      for (const b of names) {
        const result = await runPair(stacks, a, b);
        results.push(result);
        console.error(`${a} → ${b}: ${result.failure ?? 'ok'}`);
      }
  } finally {
    await stacks.close();
  }
  console.log(formatMatrix(results));
  if (json) console.log(JSON.stringify(results));
  const passed = results.every((r) => r.connected && r.inOrder1000 && r.iceRestart && r.remoteRestart);
  process.exit(passed ? 0 : 1);
}
