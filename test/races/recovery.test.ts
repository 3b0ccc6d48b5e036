/**
 * Race catalog: negotiation (glare), ICE generations and recovery (docs/races.md: ICE-6, ICE-8, ICE-9,
 * CB-6, RV-1, RV-4, RV-5, RV-8), on the scripted fakes with fake timers: the test settles every pc promise, delivers every
 * frame and moves the clock.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PeerRecovery, PeerstateError } from '../../src/index.js';
import type { FakeRTCPeerConnection } from '../../src/testing/index.js';
import { flushMicrotasks } from '../support/microtasks.js';
import { useFakeTime } from '../support/time.js';
import type { Harness } from './harness.js';
import { createHarness, exchange } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.stopAll();
  vi.useRealTimers();
});

const offersFrom = (pc: FakeRTCPeerConnection) =>
  pc.operations
    .filter((op) => op.name === 'createOffer')
    .map((op) => op.args[0] as RTCOfferOptions | undefined);

describe('glare', () => {
  it('ICE-8 both peers offer at once: the polite one rolls back and answers, the impolite one ignores; both end connected', async () => {
    h = createHarness();
    const { toBob, toAlice, pcA, pcB, cursors } = await h.connectedPair();
    const ignored: string[] = [];
    toBob.actor.on('ignoredOffer', (e) => ignored.push(e.remoteId));
    toBob.restartIce();
    toAlice.restartIce();
    await flushMicrotasks();
    // Both make their restart offers before either sees the other's.
    for (const pc of [pcA, pcB]) {
      pc.settle('createOffer');
      await flushMicrotasks();
      pc.settle('setLocalDescription');
      await flushMicrotasks();
    }
    expect(pcA.signalingState).toBe('have-local-offer');
    expect(pcB.signalingState).toBe('have-local-offer');
    await h.quiesce(pcA, pcB);
    // bob (polite) rolled back before applying alice's offer; alice (impolite) ignored bob's.
    expect(
      pcB.operations.some(
        (op) =>
          op.name === 'setLocalDescription' && (op.args[0] as RTCSessionDescriptionInit)?.type === 'rollback',
      ),
    ).toBe(true);
    expect(ignored).toEqual(['bob']);
    expect(pcA.remoteDescription?.type).toBe('answer');
    expect(pcB.remoteDescription?.type).toBe('offer');
    await exchange(pcA, pcB, cursors);
    expect(toBob.state).toBe('connected');
    expect(toAlice.state).toBe('connected');
  });
});

describe('ICE generations', () => {
  it('ICE-6 candidates of the old ICE generation that arrive after a restart are dropped, not applied', async () => {
    h = createHarness();
    const { toBob, pcA, pcB, cursors } = await h.connectedPair();
    const oldCandidate = pcA.hostCandidate(9);
    const errors: PeerstateError[] = [];
    h.systems.get('bob')?.errors$.subscribe((e) => errors.push(e));
    toBob.restartIce();
    await flushMicrotasks();
    await h.quiesce(pcA, pcB);
    await exchange(pcA, pcB, cursors);
    expect(toBob.state).toBe('connected');
    expect(offersFrom(pcA).at(-1)).toEqual({ iceRestart: true });
    const applied = pcB.appliedCandidates.length;
    // A late candidate of generation 1 reaches bob, whose remote description is now generation 2.
    pcA.gatherCandidate(oldCandidate);
    pcA.gatherCandidate(pcA.hostCandidate(10));
    await h.quiesce(pcA, pcB);
    expect(pcB.appliedCandidates.slice(applied).map((c) => c?.usernameFragment)).toEqual([
      pcA.usernameFragment,
    ]);
    expect(oldCandidate.usernameFragment).not.toBe(pcA.usernameFragment);
  });
});

describe('recovery (ICE-9)', () => {
  it('ICE-9 disconnected: after the grace period an ICE restart is negotiated and the peer comes back to connected', async () => {
    h = createHarness();
    const { toBob, pcA, pcB, cursors } = await h.connectedPair();
    vi.useFakeTimers();
    pcA.setConnectionState('disconnected');
    await flushMicrotasks();
    expect(toBob.actor.getSnapshot().matches({ live: { connected: 'unstable' } })).toBe(true);
    await vi.advanceTimersByTimeAsync(1_999);
    expect(offersFrom(pcA)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(toBob.state).toBe('connecting');
    expect(offersFrom(pcA).at(-1)).toEqual({ iceRestart: true });
    await h.quiesce(pcA, pcB);
    pcA.setConnectionState('connected');
    await flushMicrotasks();
    await exchange(pcA, pcB, cursors);
    expect(toBob.state).toBe('connected');
  });

  it('ICE-9 disconnected that heals within the grace period needs no restart', async () => {
    h = createHarness();
    const { toBob, pcA } = await h.connectedPair();
    vi.useFakeTimers();
    pcA.setConnectionState('disconnected');
    await vi.advanceTimersByTimeAsync(1_000);
    pcA.setConnectionState('connected');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(offersFrom(pcA)).toHaveLength(1);
    expect(toBob.actor.getSnapshot().matches({ live: { connected: 'stable' } })).toBe(true);
  });

  it('ICE-9 failed restarts at once; a restart that does not recover becomes a full reconnect: a new pc on both sides', async () => {
    h = createHarness();
    const { toBob, toAlice, pcA, pcB } = await h.connectedPair();
    vi.useFakeTimers();
    pcA.setConnectionState('failed');
    await flushMicrotasks();
    expect(toBob.state).toBe('connecting');
    expect(offersFrom(pcA).filter((o) => o?.iceRestart)).toHaveLength(1);
    await h.quiesce(pcA, pcB);
    // bob answered the restart; his pc still says connected, so he waits for alice's resume hello,
    // which never comes: after resumeTimeout he gives the pc up (RV-4), and alice follows his new pc.
    expect(toAlice.actor.getSnapshot().matches({ live: { handshaking: 'resuming' } })).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(toAlice.actor.getSnapshot().matches({ idle: { discovering: 'backingOff' } })).toBe(true);
    expect(pcB.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(250);
    await h.quiesce(h.pcOf('alice'), h.pcOf('bob'));
    const [pcA2, pcB2] = [h.pcOf('alice'), h.pcOf('bob')];
    expect(pcA2).not.toBe(pcA);
    expect(pcB2).not.toBe(pcB);
    expect(pcA.closed).toBe(true);
    await h.quiesce(pcA2, pcB2);
    for (const pc of [pcA2, pcB2]) pc.setConnectionState('connected');
    for (const pc of [pcA2, pcB2]) pc.channels[0]?.open();
    await flushMicrotasks();
    await exchange(pcA2, pcB2, { a: 0, b: 0 });
    expect(toBob.state).toBe('connected');
    expect(toAlice.state).toBe('connected');
    expect(pcA2.remoteDescription?.sdp).toBe(pcB2.localDescription?.sdp);
  });

  it('ICE-9 restarts that do not recover are repeated every iceRestartInterval, up to maxIceRestarts, then a full reconnect', async () => {
    h = createHarness();
    const { toBob, pcA } = await h.connectedPair({ maxIceRestarts: 3 });
    vi.useFakeTimers();
    // bob never answers (his signaling is held back): each restart offer goes unanswered.
    pcA.setConnectionState('failed');
    await flushMicrotasks();
    for (let i = 0; i < 3; i++) {
      pcA.settle('createOffer');
      await flushMicrotasks();
      pcA.settle('setLocalDescription');
      await flushMicrotasks();
      await vi.advanceTimersByTimeAsync(3_000);
    }
    expect(offersFrom(pcA).filter((o) => o?.iceRestart)).toHaveLength(3);
    expect(toBob.actor.getSnapshot().matches({ idle: { discovering: 'backingOff' } })).toBe(true);
    expect(toBob.actor.getSnapshot().context.error?.code).toBe('ice-restarts-exhausted');
    expect(pcA.closed).toBe(true);
  });

  it('RV-1 the signaling server restarts while both are connected: restartIce afterwards completes on the new session, nothing dropped', async () => {
    h = createHarness();
    const { toBob, toAlice, pcA, pcB, cursors } = await h.connectedPair();
    vi.useFakeTimers();
    const dropped: string[] = [];
    for (const system of h.systems.values())
      system.errors$.subscribe((e) => {
        if (e.code === 'signaling-dropped') dropped.push(e.message);
      });
    // The server goes away and comes back: every socket drops, the sessions reconnect after backoff.
    for (const socket of [...h.hub.sockets]) socket.closeFromServer();
    await vi.advanceTimersByTimeAsync(10_000);
    h.hub.openAll();
    await h.deliverAll();
    expect(toBob.state).toBe('connected');
    expect(toAlice.state).toBe('connected');
    toBob.restartIce();
    await flushMicrotasks();
    await h.quiesce(pcA, pcB);
    expect(pcA.remoteDescription?.type).toBe('answer');
    await exchange(pcA, pcB, cursors);
    expect(toBob.state).toBe('connected');
    expect(toAlice.state).toBe('connected');
    expect(offersFrom(pcA).filter((o) => o?.iceRestart)).toHaveLength(1);
    expect(dropped).toEqual([]);
  });

  it('RV-5 with the defaults a long outage never ends in failed while the remote is present: reconnects go on at the backoff cap', async () => {
    h = createHarness();
    useFakeTime();
    const alice = await h.system('alice', { connectTimeoutMs: 1_000 });
    await h.system('bob');
    const toBob = alice.connect('bob');
    const states = new Set<string>();
    toBob.state$.subscribe((s) => states.add(s));
    await flushMicrotasks();
    // bob is present but nothing he would answer is delivered: every attempt times out.
    await vi.advanceTimersByTimeAsync(120_000);
    expect(states.has('failed')).toBe(false);
    expect(toBob.actor.getSnapshot().context.reconnects).toBeGreaterThan(10);
    // Each attempt's pc was closed before the next: at most the current one is open.
    expect(h.pcs.filter((pc) => !pc.closed).length).toBeLessThanOrEqual(1);
    expect(h.pcs.length).toBeGreaterThan(10);
  });

  it('RV-8 a long outage is visible: recovery$ counts the reconnects while the remote is present, and says when it left', async () => {
    h = createHarness();
    useFakeTime();
    const alice = await h.system('alice', { connectTimeoutMs: 1_000 });
    const bob = await h.system('bob');
    const toBob = alice.connect('bob');
    const seen: PeerRecovery[] = [];
    toBob.recovery$.subscribe((r) => seen.push(r));
    await flushMicrotasks();
    // bob is present but nothing he would answer is delivered: every attempt times out.
    await vi.advanceTimersByTimeAsync(30_000);
    const counts = seen.map((r) => r.reconnects);
    expect(counts[0]).toBe(0);
    expect(counts.at(-1)).toBeGreaterThanOrEqual(3);
    // One figure per change, never a repeat; the count only grows while the outage lasts.
    expect(counts.every((n, i) => i === 0 || n >= (counts[i - 1] ?? 0))).toBe(true);
    expect(seen.every((r, i) => i === 0 || JSON.stringify(r) !== JSON.stringify(seen[i - 1]))).toBe(true);
    expect(seen.at(-1)?.remotePresent).toBe(true);
    // bob leaves the room: the peer says so and waits for him instead of reconnecting.
    await bob.stop();
    await h.deliverAll();
    const reconnectsWhenLeft = seen.at(-1)?.reconnects ?? 0;
    expect(seen.at(-1)?.remotePresent).toBe(false);
    // An attempt under way when he left still ends (connectTimeout, then the backoff: at most 1 s +
    // 8 s) and counts once; after that nothing more is tried while he is away.
    await vi.advanceTimersByTimeAsync(10_000);
    const settled = seen.at(-1)?.reconnects ?? 0;
    expect(settled - reconnectsWhenLeft).toBeLessThanOrEqual(1);
    expect(toBob.state).toBe('discovering');
    await vi.advanceTimersByTimeAsync(30_000);
    expect(seen.at(-1)?.reconnects).toBe(settled);
    expect(toBob.state).toBe('discovering');
  });

  it('ICE-9 a reconnect policy that gives up (null) sends the peer to failed instead of backing off', async () => {
    h = createHarness();
    const asked: number[] = [];
    const giveUp = {
      nextDelayMs: (attempt: number) => {
        asked.push(attempt);
        return null;
      },
    };
    const { toBob, pcA } = await h.connectedPair({ reconnectPolicy: giveUp, maxIceRestarts: 0 });
    const failures: string[] = [];
    toBob.errors$.subscribe((e) => failures.push(e.code));
    pcA.setConnectionState('failed');
    await flushMicrotasks();
    expect(toBob.state).toBe('failed');
    expect(asked).toEqual([1]);
    expect(failures).toContain('connection-failed');
  });

  it('ICE-9 a restart whose resume hello does not come (stalled SCTP) becomes a full reconnect after resumeTimeout', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, toAlice, pcA, pcB } = await h.connectedPair();
    const received: (string | Uint8Array)[] = [];
    toAlice.messages$.subscribe((m) => received.push(m));
    toBob.restartIce();
    toBob.send('during');
    await flushMicrotasks();
    await h.quiesce(pcA, pcB);
    // Negotiation is done and the pc still says connected, but no hello gets through: the path is down.
    expect(toBob.actor.getSnapshot().matches({ live: { handshaking: 'resuming' } })).toBe(true);
    await vi.advanceTimersByTimeAsync(999);
    expect(toBob.state).toBe('handshaking');
    await vi.advanceTimersByTimeAsync(1);
    expect(toBob.actor.getSnapshot().matches({ idle: { discovering: 'backingOff' } })).toBe(true);
    expect(pcA.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(250);
    const pcA2 = h.pcOf('alice');
    await h.quiesce(pcA2);
    await h.quiesce(pcA2, h.pcOf('bob'));
    const pcB3 = h.pcOf('bob');
    expect(pcA2).not.toBe(pcA);
    expect(pcB3).not.toBe(pcB);
    for (const pc of [pcA2, pcB3]) pc.setConnectionState('connected');
    for (const pc of [pcA2, pcB3]) pc.channels[0]?.open();
    await flushMicrotasks();
    await exchange(pcA2, pcB3);
    expect(toBob.state).toBe('connected');
    expect(received).toEqual(['during']);
  });

  it('RV-4 only one side detects a cut: the side that answered its ICE restart gives the pc up as fast, and both reconnect at once', async () => {
    h = createHarness();
    useFakeTime();
    // alice tolerates 50 s of silence: only bob's heartbeat notices the cut. bob's actor for alice is
    // an incoming one (alice connected first).
    const { toBob, toAlice, pcA, pcB } = await h.connectedPair({ heartbeatMisses: 100 });
    const received: (string | Uint8Array)[] = [];
    toAlice.messages$.subscribe((m) => received.push(m));
    // Nothing crosses the data channel from here on (no exchange): the path is down both ways.
    await vi.advanceTimersByTimeAsync(2_000);
    expect(toAlice.state).toBe('connecting');
    expect(toBob.state).toBe('connected');
    toBob.send('after the cut');
    await h.quiesce(pcA, pcB);
    expect(toAlice.actor.getSnapshot().matches({ live: { handshaking: 'resuming' } })).toBe(true);
    expect(toBob.actor.getSnapshot().matches({ live: { handshaking: 'resuming' } })).toBe(true);
    // No hello gets through: both give the old pc up after resumeTimeout, not after connectTimeout.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(toAlice.state).not.toBe('handshaking');
    expect(toBob.state).not.toBe('handshaking');
    // Neither waits for anything but the backoff (at most 250 ms): the remote is present.
    await vi.advanceTimersByTimeAsync(250);
    await h.quiesce(h.pcOf('alice'), h.pcOf('bob'));
    const [pcA2, pcB2] = [h.pcOf('alice'), h.pcOf('bob')];
    expect(pcA2).not.toBe(pcA);
    expect(pcB2).not.toBe(pcB);
    // The path heals.
    for (const pc of [pcA2, pcB2]) pc.setConnectionState('connected');
    for (const pc of [pcA2, pcB2]) pc.channels[0]?.open();
    await flushMicrotasks();
    await exchange(pcA2, pcB2);
    expect(toBob.state).toBe('connected');
    expect(toAlice.state).toBe('connected');
    expect(received).toEqual(['after the cut']);
  });

  it('ICE-9 when full reconnects run out too, the peer fails and says why', async () => {
    h = createHarness();
    useFakeTime();
    const alice = await h.system('alice', { maxIceRestarts: 0, maxReconnects: 1, connectTimeoutMs: 1_000 });
    await h.system('bob');
    const toBob = alice.connect('bob');
    const failures: string[] = [];
    toBob.actor.on('failure', (e) => failures.push(e.code));
    await flushMicrotasks();
    // Nobody answers: the first attempt times out, one reconnect is tried and times out too.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(toBob.actor.getSnapshot().matches({ idle: { discovering: 'backingOff' } })).toBe(true);
    await vi.advanceTimersByTimeAsync(250);
    expect(toBob.state).toBe('connecting');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(toBob.state).toBe('failed');
    expect(failures).toEqual(['timeout']);
    expect(h.pcs.filter((pc) => !pc.closed)).toEqual([]);
  });

  it('RC-10 retry now during backoff starts the new attempt at once; no timer of the old wait touches it', async () => {
    h = createHarness();
    useFakeTime();
    const alice = await h.system('alice', {
      maxIceRestarts: 0,
      connectTimeoutMs: 1_000,
      peerReconnectBackoff: { initialMs: 5_000, maxMs: 5_000 },
    });
    await h.system('bob');
    const toBob = alice.connect('bob');
    await flushMicrotasks();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(toBob.actor.getSnapshot().matches({ idle: { discovering: 'backingOff' } })).toBe(true);
    const pcsBefore = h.pcs.length;
    toBob.retryNow();
    await flushMicrotasks();
    expect(toBob.state).toBe('connecting');
    expect(h.pcs).toHaveLength(pcsBefore + 1);
    // The old backoff (up to 5 s) passes: it must not start another attempt.
    await vi.advanceTimersByTimeAsync(999);
    expect(h.pcs).toHaveLength(pcsBefore + 1);
    expect(toBob.state).toBe('connecting');
  });

  it('ICE-9 a silent remote (heartbeat lost) starts an ICE restart within about 2 s, though the channel still reads open', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, pcA } = await h.connectedPair();
    // alice's pings go out, nothing comes back; her pc still says connected and the channel open.
    await vi.advanceTimersByTimeAsync(1_500);
    expect(toBob.state).toBe('connected');
    await vi.advanceTimersByTimeAsync(500);
    expect(toBob.state).toBe('connecting');
    expect(offersFrom(pcA).at(-1)).toEqual({ iceRestart: true });
    expect(pcA.channels[0]?.readyState).toBe('open');
  });
});

describe('signaling sessions', () => {
  it('CB-6 the session ends while an offer is being answered: the answer is sent neither on the old session nor on the new one', async () => {
    h = createHarness();
    useFakeTime();
    const alice = await h.system('alice');
    const bob = await h.system('bob');
    alice.connect('bob');
    await flushMicrotasks();
    const pcA = h.pcOf('alice');
    await h.quiesce(pcA);
    const pcB = h.pcOf('bob');
    pcB.settle('setRemoteDescription');
    await flushMicrotasks();
    // bob is answering (createAnswer pending) when his signaling socket drops.
    const bobSocket = h.hub.sockets[1];
    expect(
      bob
        .peer('alice')
        ?.actor.getSnapshot()
        .matches({ live: { connecting: { negotiation: 'answering' } } }),
    ).toBe(true);
    bobSocket?.closeFromServer();
    await flushMicrotasks();
    pcB.settle('createAnswer');
    await flushMicrotasks();
    pcB.settle('setLocalDescription');
    await flushMicrotasks();
    const answers = () =>
      h.hub.sockets.flatMap((s) => s.sentFrames).filter((f) => f.includes('"type":"answer"'));
    expect(answers()).toEqual([]);
    // A new session opens (after the backoff): the answer of the old attempt is still never sent.
    await vi.advanceTimersByTimeAsync(1_000);
    h.hub.openAll();
    await h.deliverAll();
    const newSocket = h.hub.sockets.at(-1);
    expect(newSocket).not.toBe(bobSocket);
    expect(
      newSocket?.sentFrames.filter(
        (f) => f.includes('"type":"answer"') && f.includes(pcB.localDescription?.sdp ?? '#'),
      ),
    ).toEqual([]);
    // The chart starts a new negotiation round under the new session: bob (polite) says hello and waits.
    expect(
      bob
        .peer('alice')
        ?.actor.getSnapshot()
        .matches({ live: { connecting: { negotiation: 'awaitingOffer' } } }),
    ).toBe(true);
    expect(newSocket?.sentFrames.some((f) => f.includes('"type":"hello"'))).toBe(true);
  });
});
