/**
 * werift 0.24 through peerstate on its own profile's defaults (src/rtc/profile.ts), two systems in
 * this process through the embedded server on 127.0.0.1: under a load of 1,000 messages each way
 * the link must hold (the liveness bound is the profile's heartbeat), and the werift profile keeps
 * the chart off ICE restarts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PeerHandle, PeerState, PeerSystem, RtcImplementation } from '../../src/index.js';
import { createNodePeerSystem, loadWerift } from '../../src/node/index.js';
import type { SignalingServer } from '../../src/server/index.js';
import { startSignalingServer } from '../../src/server/index.js';
import { until } from '../support/time.js';
import { sendEachWay } from './helpers.js';

let server: SignalingServer;
let systems: PeerSystem[];
let werift: RtcImplementation;

beforeEach(async () => {
  server = await startSignalingServer();
  systems = [];
  werift = await loadWerift();
});

afterEach(async () => {
  await Promise.all(systems.map((s) => s.stop()));
  await server.close();
});

function system(localId: string): PeerSystem {
  const s = createNodePeerSystem({ localId, url: server.url, room: 'werift', rtc: werift });
  systems.push(s);
  return s;
}

/** Every public state the handle's peer enters from now on, in order. */
function statesOf(handle: PeerHandle): PeerState[] {
  const states: PeerState[] = [];
  handle.state$.subscribe((state) => states.push(state));
  return states;
}

describe('werift on its profile (real stack)', () => {
  it('1,000 messages each way arrive in order, once, on one link: no drop under load', {
    timeout: 180_000,
  }, async () => {
    const alice = system('alice');
    const bob = system('bob');
    const toBob = alice.connect('bob');
    const toAlice = bob.connect('alice');
    const statesAtAlice = statesOf(toBob);
    const statesAtBob = statesOf(toAlice);
    // Sent at once, before the link exists: the load arrives with the first connection.
    const { atBob, atAlice } = sendEachWay(toBob, toAlice, 1_000);
    expect(await until(() => atBob.length >= 1_000 && atAlice.length >= 1_000, 150_000)).toBe(true);
    expect(atBob).toEqual(Array.from({ length: 1_000 }, (_, i) => `a${i}`));
    expect(atAlice).toEqual(Array.from({ length: 1_000 }, (_, i) => `b${i}`));
    // One connection each, never left: a dropped link would show as a second `connected` or a reconnect.
    expect(statesAtAlice.filter((s) => s === 'connected')).toHaveLength(1);
    expect(statesAtBob.filter((s) => s === 'connected')).toHaveLength(1);
    for (const handle of [toBob, toAlice]) {
      expect(handle.state).toBe('connected');
      expect(handle.actor.getSnapshot().context.connection).toBe(1);
      expect(handle.actor.getSnapshot().context.maxIceRestarts).toBe(0);
    }
  });

  it('restartIce() takes a new pc on both sides (werift restarts ICE without data flowing after): every message arrives once, in order', {
    timeout: 120_000,
  }, async () => {
    const alice = system('alice');
    const bob = system('bob');
    const toBob = alice.connect('bob');
    const toAlice = bob.connect('alice');
    const { atBob, atAlice } = sendEachWay(toBob, toAlice, 100);
    expect(await until(() => atBob.length >= 100 && atAlice.length >= 100, 60_000)).toBe(true);
    toBob.restartIce();
    for (let i = 100; i < 200; i++) {
      toBob.send(`a${i}`);
      toAlice.send(`b${i}`);
    }
    expect(await until(() => atBob.length >= 200 && atAlice.length >= 200, 60_000)).toBe(true);
    expect(atBob).toEqual(Array.from({ length: 200 }, (_, i) => `a${i}`));
    expect(atAlice).toEqual(Array.from({ length: 200 }, (_, i) => `b${i}`));
    for (const handle of [toBob, toAlice]) {
      const { connection, iceRestarts } = handle.actor.getSnapshot().context;
      expect(connection).toBe(2);
      expect(iceRestarts).toBe(0);
    }
  });
});
