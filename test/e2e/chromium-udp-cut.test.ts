/**
 * A 3 s UDP cut for Chromium, as test/e2e/recovery.test.ts does for wrtc: every UDP path of the pair
 * goes through the UDP relay of src/node/udp-relay.ts (the server's `transformSignal` rewrites the
 * candidates). Chromium gathers no loopback candidates, so it is launched without mDNS names and the
 * relay carries host candidates on this machine's IPv4 interface addresses too. The cut is silent;
 * the heartbeat notices it and recovery runs.
 */
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { createUdpRelay, type UdpRelay } from '../../src/node/udp-relay.js';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import { PLAIN_HOST_CANDIDATE_FLAGS } from '../../tools/stacks/chromium.js';
import {
  type Endpoint,
  type EndpointOptions,
  nodeEndpoint,
  waitForReport,
} from '../../tools/stacks/endpoint.js';
import { expectedOf } from '../../tools/stacks/recorder.js';
import { sleep } from '../support/time.js';
import { chromiumPerFile } from './chromium-harness.js';

/** This machine's IPv4 interface addresses, where Chromium gathers its host candidates. */
const interfaceAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((i) => i?.family === 'IPv4' && !i.internal)
    .map((i) => i?.address as string);

const chromium = chromiumPerFile(PLAIN_HOST_CANDIDATE_FLAGS);
let relay: UdpRelay;
let server: SignalingServer;
const endpoints: Endpoint[] = [];

afterEach(async () => {
  await Promise.all(endpoints.splice(0).map((e) => e.stop().catch(() => {})));
  await server.close();
  await relay.close();
});

describe.each(['wrtc', 'chromium'] as const)('Chromium ↔ %s through the UDP relay (real stacks)', (other) => {
  it('a 3 s UDP cut: recovery starts during the cut, both end connected, every message once and in order', async () => {
    relay = await createUdpRelay({ hostAddresses: ['127.0.0.1', ...interfaceAddresses()] });
    server = await startSignalingServer({ transformSignal: (signal) => relay.rewriteSignal(signal) });
    const options = (localId: string): EndpointOptions => ({ localId, url: server.url, room: 'cut' });
    const alice = await chromium.open(options('alice'));
    const bob = other === 'chromium' ? await chromium.open(options('bob')) : nodeEndpoint(options('bob'));
    endpoints.push(alice, bob);
    const why = async () =>
      `alice ${JSON.stringify((await alice.report('bob'))?.states)} ${(await alice.errors()).slice(-3)}; bob ${JSON.stringify((await bob.report('alice'))?.states)} ${(await bob.errors()).slice(-3)}; relay ${JSON.stringify(relay.stats())}`;
    await alice.connect('bob');
    await alice.send('bob', { prefix: 'before-', from: 0, count: 5 });
    const before = await waitForReport(bob, 'alice', (r) => r.received.length >= 5, 20_000);
    expect(before?.received, await why()).toEqual(expectedOf({ prefix: 'before-', from: 0, count: 5 }));
    expect(relay.stats().forwarded).toBeGreaterThan(0);
    const statesBefore = (await alice.report('bob'))?.states.length ?? 0;

    relay.block();
    for (let i = 0; i < 30; i++) {
      await alice.send('bob', { prefix: 'during-', from: i, count: 1 });
      await sleep(100);
    }
    expect((await alice.report('bob'))?.states.slice(statesBefore), await why()).toContain('connecting');
    expect((await bob.report('alice'))?.received, await why()).toHaveLength(5);
    relay.heal();
    await alice.send('bob', { prefix: 'after-', from: 0, count: 5 });

    const expected = [
      ...expectedOf({ prefix: 'before-', from: 0, count: 5 }),
      ...expectedOf({ prefix: 'during-', from: 0, count: 30 }),
      ...expectedOf({ prefix: 'after-', from: 0, count: 5 }),
    ];
    const atBob = await waitForReport(bob, 'alice', (r) => r.received.length >= expected.length, 30_000);
    expect(atBob?.received, await why()).toEqual(expected);
    const connected = (r: { state: string }) => r.state === 'connected';
    expect((await waitForReport(alice, 'bob', connected, 20_000))?.state, await why()).toBe('connected');
    expect((await waitForReport(bob, 'alice', connected, 20_000))?.state, await why()).toBe('connected');
    expect(relay.stats().dropped).toBeGreaterThan(0);
  }, 60_000);
});
