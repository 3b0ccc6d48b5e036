/**
 * End to end on real @roamhq/wrtc peers through the real embedded signaling server on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGNALING_CHILD_ID } from '../../machines/system.js';
import type { PeerState, PeerSystem } from '../../src/index.js';
import { createNodePeerSystem } from '../../src/node/index.js';
import type { SignalingServer } from '../../src/server/index.js';
import { startSignalingServer } from '../../src/server/index.js';
import { until } from '../support/time.js';
import { countingWrtc, reach, sendEachWay } from './helpers.js';

let server: SignalingServer;
let systems: PeerSystem[];

beforeEach(async () => {
  server = await startSignalingServer();
  systems = [];
});

afterEach(async () => {
  await Promise.all(systems.map((s) => s.stop()));
  await server.close();
});

function system(localId: string, rtc = countingWrtc().rtc): PeerSystem {
  const s = createNodePeerSystem({ localId, url: server.url, room: 'e2e', rtc });
  systems.push(s);
  return s;
}

function echo(s: PeerSystem): void {
  s.incoming$.subscribe((h) => h.messages$.subscribe((m) => h.send(m)));
}

describe('two wrtc peers through the embedded server (real stack)', () => {
  it('exchange 1,000 messages in order, each once, both directions', async () => {
    const alice = system('alice');
    const bob = system('bob');
    const toBob = alice.connect('bob');
    const toAlice = bob.connect('alice');
    // Sent before the link exists: the outbox holds them until `connected`.
    const { atBob, atAlice } = sendEachWay(toBob, toAlice, 1_000);
    expect(await until(() => atBob.length >= 1_000 && atAlice.length >= 1_000, 20_000)).toBe(true);
    expect(atBob).toEqual(Array.from({ length: 1_000 }, (_, i) => `a${i}`));
    expect(atAlice).toEqual(Array.from({ length: 1_000 }, (_, i) => `b${i}`));
    expect(toBob.state).toBe('connected');
    expect(toAlice.state).toBe('connected');
  });

  it('carries binary payloads unchanged', async () => {
    const alice = system('alice');
    const bob = system('bob');
    echo(bob);
    const toBob = alice.connect('bob');
    const payload = new Uint8Array(4096).map((_, i) => (i * 7) % 256);
    toBob.send(payload);
    const [back] = await new Promise<(string | Uint8Array)[]>((resolve) => {
      toBob.messages$.subscribe((m) => resolve([m]));
    });
    expect(back).toBeInstanceOf(Uint8Array);
    expect(Array.from(back as Uint8Array)).toEqual(Array.from(payload));
  });

  it('RC-9 connect(peerId) twice at once gives one actor and one RTCPeerConnection (real stack)', async () => {
    const { rtc, counts } = countingWrtc();
    const alice = system('alice', rtc);
    const bob = system('bob');
    echo(bob);
    const first = alice.connect('bob');
    const second = alice.connect('bob');
    expect(second).toBe(first);
    expect(second.actor).toBe(first.actor);
    first.send('ping');
    await reach(first, 'connected');
    await new Promise<void>((resolve) => first.messages$.subscribe(() => resolve()));
    const peers = Object.keys(alice.actor.getSnapshot().children).filter((id) => id !== SIGNALING_CHILD_ID);
    expect(peers).toHaveLength(1);
    expect(counts.created).toBe(1);
  });

  it('RC-7 close from three places at once (user, remote bye, system stop) cleans up once (real stack)', async () => {
    const { rtc, counts } = countingWrtc();
    const alice = system('alice', rtc);
    const bob = system('bob');
    const toBob = alice.connect('bob');
    const toAlice = bob.connect('alice');
    await Promise.all([reach(toBob, 'connected'), reach(toAlice, 'connected')]);
    const states: PeerState[] = [];
    let completed = 0;
    toBob.state$.subscribe({ next: (s) => states.push(s), complete: () => completed++ });
    toBob.close();
    toAlice.close();
    const stopped = alice.stop();
    toBob.close();
    await stopped;
    expect(states.filter((s) => s === 'closed')).toEqual(['closed']);
    expect(states.at(-1)).toBe('closed');
    expect(completed).toBe(1);
    expect(counts.created).toBe(1);
    expect(counts.closed).toBe(1);
    expect(() => toBob.send('late')).toThrowError(/closed/);
  });

  it('ICE-8 real glare: both peers restart ICE at once, both end connected and messages still flow (real stack)', async () => {
    const alice = system('alice');
    const bob = system('bob');
    const toBob = alice.connect('bob');
    const toAlice = bob.connect('alice');
    await Promise.all([reach(toBob, 'connected'), reach(toAlice, 'connected')]);
    const seen: PeerState[] = [];
    toBob.state$.subscribe((s) => seen.push(s));
    const atBob: (string | Uint8Array)[] = [];
    toAlice.messages$.subscribe((m) => atBob.push(m));
    toBob.restartIce();
    toAlice.restartIce();
    for (let i = 0; i < 50; i++) toBob.send(`during-${i}`);
    expect(toBob.state).toBe('connecting');
    expect(toAlice.state).toBe('connecting');
    await Promise.all([reach(toBob, 'connected'), reach(toAlice, 'connected')]);
    expect(seen).toContain('connecting');
    expect(await until(() => atBob.length >= 50, 10_000)).toBe(true);
    expect(atBob).toEqual(Array.from({ length: 50 }, (_, i) => `during-${i}`));
  });
});
