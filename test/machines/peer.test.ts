import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PeerEvent, PeerInput } from '../../machines/peer.js';
import type { Description } from '../../src/protocol/signals.js';
import { flushMicrotasks } from '../support/microtasks.js';
import type { PeerHarness } from './helpers.js';
import { answer, candidate, nameOf, offer, startPeer } from './helpers.js';

let harnesses: PeerHarness[] = [];

function start(input: Partial<PeerInput> = {}): PeerHarness {
  const h = startPeer(input);
  harnesses.push(h);
  return h;
}

beforeEach(() => {
  vi.useFakeTimers();
  // Events sent to a stopped actor make XState's development build warn; RC-8 does that on purpose.
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(() => {
  for (const h of harnesses) {
    expect(h.errors).toEqual([]);
    h.stop();
  }
  harnesses = [];
  vi.useRealTimers();
  vi.restoreAllMocks();
});

// Signals from the remote. `connection` numbers the remote's pc (its first is 1); `instance` names
// the remote actor (a remote that restarts is a new instance).
const desc = (description: Description, generation = 1, connection = 1, instance = 'r1'): PeerEvent => ({
  type: 'SIGNAL.DESCRIPTION',
  generation,
  instance,
  connection,
  description,
});
const cand = (
  name: string | null,
  generation = 1,
  connection = 1,
  ufrag?: string,
  instance = 'r1',
): PeerEvent => ({
  type: 'SIGNAL.CANDIDATE',
  generation,
  instance,
  connection,
  candidate: name === null ? null : candidate(name, ufrag),
});
const hello = (generation = 1, connection = 1, instance = 'r1'): PeerEvent => ({
  type: 'SIGNAL.HELLO',
  generation,
  instance,
  connection,
});
const bye = (generation = 1, connection = 1, instance = 'r1'): PeerEvent => ({
  type: 'SIGNAL.BYE',
  generation,
  instance,
  connection,
});

/** Settles the newest pending remote description (acceptOffer or setRemoteDescription). */
function resolveRemote(h: PeerHarness, ufrag: string | null = null): void {
  h.rec.remoteDescriptions.at(-1)?.deferred.resolve({ ufrag });
}

/** CONNECT + REMOTE.PRESENT: the peer has a pc and negotiates. */
function toConnecting(h: PeerHarness, generation = 1): void {
  h.peer.send({ type: 'CONNECT' });
  h.peer.send({ type: 'REMOTE.PRESENT', generation });
}

/** Impolite side (a < b) from connecting to negotiation `stable`. */
async function negotiateAsOfferer(
  h: PeerHarness,
  generation = 1,
  ufrag: string | null = null,
  connection = 1,
): Promise<void> {
  h.rec.offers.at(-1)?.resolve(offer);
  await flushMicrotasks();
  h.peer.send(desc(answer, generation, connection));
  resolveRemote(h, ufrag);
  await flushMicrotasks();
}

/** Polite side (b > a) from connecting to negotiation `stable`. */
async function negotiateAsAnswerer(
  h: PeerHarness,
  generation = 1,
  ufrag: string | null = null,
): Promise<void> {
  h.peer.send(desc(offer, generation));
  resolveRemote(h, ufrag);
  await flushMicrotasks();
  h.rec.answers.at(-1)?.resolve(answer);
  await flushMicrotasks();
}

async function toHandshaking(h: PeerHarness): Promise<void> {
  toConnecting(h);
  await negotiateAsOfferer(h);
  h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
}

async function toConnected(h: PeerHarness): Promise<void> {
  await toHandshaking(h);
  h.pc({ type: 'CHANNEL.OPEN' });
  h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
}

function failedInConnecting(h: PeerHarness): void {
  toConnecting(h);
  h.pc({ type: 'PC.CONNECTION_STATE', state: 'failed' });
}

const signalTypes = (h: PeerHarness) => h.signals.map((s) => s.signal.type);
const candidateLog = (h: PeerHarness) =>
  h.rec.log.filter((l) => l.startsWith('drain:') || l.startsWith('add:'));

describe('peer chart: the way to connected', () => {
  it('starts disconnected with its resources and no pc', () => {
    const h = start();
    expect(h.state()).toBe('disconnected');
    expect(h.rec.resourceStarts).toEqual([0]);
    expect(h.rec.pcStarts).toEqual([]);
    expect(h.peer.getSnapshot().context).toMatchObject({
      generation: 0,
      connection: 0,
      bufferedCandidates: [],
      error: null,
    });
  });

  it('impolite side (offerer): disconnected → discovering → connecting → handshaking → connected', async () => {
    const h = start({ localId: 'a', remoteId: 'b' });
    h.peer.send({ type: 'CONNECT' });
    expect(h.peer.getSnapshot().matches({ idle: { discovering: 'waiting' } })).toBe(true);
    expect(h.rec.pcStarts).toEqual([]);

    h.peer.send({ type: 'REMOTE.PRESENT', generation: 4 });
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'makingOffer' } } })).toBe(true);
    expect(h.rec.log).toContain('pc:start:0:1');
    expect(h.rec.offerInputs).toEqual([{ key: 0, connection: 1, iceRestart: false }]);
    expect(h.signals).toEqual([]);

    h.rec.offers[0]?.resolve(offer);
    await flushMicrotasks();
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'haveLocalOffer' } } })).toBe(
      true,
    );
    expect(h.signals).toEqual([
      {
        type: 'SIGNALING.SEND',
        generation: 4,
        to: 'b',
        signal: { type: 'description', description: offer, instance: 'local-1', connection: 1 },
      },
    ]);

    h.peer.send(desc(answer, 4));
    expect(
      h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'settingRemoteAnswer' } } }),
    ).toBe(true);
    expect(h.rec.remoteDescriptions.map((c) => [c.via, c.description])).toEqual([
      ['setRemoteDescription', answer],
    ]);
    resolveRemote(h, 'u1');
    await flushMicrotasks();
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'stable' } } })).toBe(true);
    expect(h.peer.getSnapshot().context.remoteUfrag).toBe('u1');
    expect(h.state()).toBe('connecting');

    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    expect(h.peer.getSnapshot().matches({ live: { handshaking: 'opening' } })).toBe(true);
    expect(h.rec.counts.sendChannelHello).toBe(0);

    h.pc({ type: 'CHANNEL.OPEN' });
    expect(h.peer.getSnapshot().matches({ live: { handshaking: 'resuming' } })).toBe(true);
    expect(h.rec.counts.sendChannelHello).toBe(1);
    expect(h.rec.counts.flushOutbox).toBe(0);

    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    expect(h.state()).toBe('connected');
    expect(h.rec.counts).toMatchObject({ resumeOutbox: 1, flushOutbox: 1 });
    expect(h.rec.heartbeatStarts).toEqual([0]);
    // The offerer never says hello over signaling, and no answer is made.
    expect(signalTypes(h)).toEqual(['description']);
    expect(h.rec.answers).toEqual([]);
  });

  it('polite side (answerer): sends hello, answers the offer, reaches connected', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    h.peer.send({ type: 'CONNECT' });
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 2 });
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'awaitingOffer' } } })).toBe(
      true,
    );
    expect(h.rec.offers).toEqual([]);
    expect(h.signals).toEqual([
      {
        type: 'SIGNALING.SEND',
        generation: 2,
        to: 'a',
        signal: { type: 'hello', instance: 'local-1', connection: 1 },
      },
    ]);

    // An answer is not what the polite side waits for.
    h.peer.send(desc(answer, 2));
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'awaitingOffer' } } })).toBe(
      true,
    );
    expect(h.rec.remoteDescriptions).toEqual([]);

    h.peer.send(desc(offer, 2));
    expect(
      h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'settingRemoteOffer' } } }),
    ).toBe(true);
    expect(h.rec.remoteDescriptions.map((c) => [c.via, c.description])).toEqual([['acceptOffer', offer]]);
    resolveRemote(h);
    await flushMicrotasks();
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'answering' } } })).toBe(true);
    expect(h.rec.answers).toHaveLength(1);

    h.rec.answers[0]?.resolve(answer);
    await flushMicrotasks();
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'stable' } } })).toBe(true);
    expect(h.signals.at(-1)).toEqual({
      type: 'SIGNALING.SEND',
      generation: 2,
      to: 'a',
      signal: { type: 'description', description: answer, instance: 'local-1', connection: 1 },
    });

    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    h.pc({ type: 'CHANNEL.OPEN' });
    expect(h.rec.counts.sendChannelHello).toBe(1);
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    expect(h.state()).toBe('connected');
    expect(h.rec.counts.flushOutbox).toBe(1);
    expect(signalTypes(h)).toEqual(['hello', 'description']);
  });

  it('REMOTE.PRESENT before CONNECT is remembered: CONNECT goes straight to connecting', () => {
    const h = start();
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 3 });
    expect(h.state()).toBe('disconnected');
    h.peer.send({ type: 'CONNECT' });
    expect(h.state()).toBe('connecting');
    expect(h.peer.getSnapshot().context.generation).toBe(3);
  });

  it('REMOTE.ABSENT before REMOTE.PRESENT keeps the peer discovering', () => {
    const h = start();
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 1 });
    h.peer.send({ type: 'REMOTE.ABSENT' });
    h.peer.send({ type: 'CONNECT' });
    expect(h.peer.getSnapshot().matches({ idle: { discovering: 'waiting' } })).toBe(true);
    expect(h.rec.pcStarts).toEqual([]);
  });

  it('connecting is left only when negotiation is stable AND the transport is connected (transport first)', async () => {
    const h = start();
    toConnecting(h);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connecting' });
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    expect(h.peer.getSnapshot().matches({ live: { connecting: { transport: 'connected' } } })).toBe(true);
    expect(h.state()).toBe('connecting');
    h.rec.offers[0]?.resolve(offer);
    await flushMicrotasks();
    expect(h.state()).toBe('connecting');
    h.peer.send(desc(answer));
    expect(h.state()).toBe('connecting');
    resolveRemote(h);
    await flushMicrotasks();
    expect(h.peer.getSnapshot().matches({ live: { handshaking: 'opening' } })).toBe(true);
  });

  it('connecting is left only when negotiation is stable AND the transport is connected (negotiation first)', async () => {
    const h = start();
    toConnecting(h);
    await negotiateAsOfferer(h);
    expect(
      h.peer
        .getSnapshot()
        .matches({ live: { connecting: { negotiation: 'stable', transport: 'checking' } } }),
    ).toBe(true);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'new' });
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connecting' });
    expect(h.state()).toBe('connecting');
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    expect(h.peer.getSnapshot().matches({ live: { handshaking: 'opening' } })).toBe(true);
  });

  it('a data channel already open when connecting ends goes straight to handshaking.resuming', async () => {
    const h = start();
    toConnecting(h);
    h.pc({ type: 'CHANNEL.OPEN' });
    expect(h.peer.getSnapshot().matches({ live: { connecting: { dataChannel: 'open' } } })).toBe(true);
    expect(h.rec.counts.sendChannelHello).toBe(0);
    await negotiateAsOfferer(h);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    expect(h.peer.getSnapshot().matches({ live: { handshaking: 'resuming' } })).toBe(true);
    expect(h.rec.counts.sendChannelHello).toBe(1);
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    expect(h.state()).toBe('connected');
  });

  it('CHANNEL.HELLO records the remote resume point; connected needs our channel open and the hello', async () => {
    const h = start();
    await toHandshaking(h);
    h.pc({ type: 'CHANNEL.OPEN' });
    expect(h.peer.getSnapshot().matches({ live: { handshaking: 'resuming' } })).toBe(true);
    expect(h.peer.getSnapshot().context.remoteResumePoint).toBeNull();
    expect(h.rec.counts.flushOutbox).toBe(0);
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 41 });
    expect(h.state()).toBe('connected');
    expect(h.peer.getSnapshot().context.remoteResumePoint).toBe(41);
    expect(h.rec.counts.flushOutbox).toBe(1);
  });

  it('CHANNEL.HELLO while our channel is still opening does not skip handshaking; CHANNEL.OPEN then connects', async () => {
    const h = start();
    await toHandshaking(h);
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 3 });
    expect(h.peer.getSnapshot().matches({ live: { handshaking: 'opening' } })).toBe(true);
    expect(h.rec.counts.sendChannelHello).toBe(0);
    expect(h.rec.counts.flushOutbox).toBe(0);
    h.pc({ type: 'CHANNEL.OPEN' });
    expect(h.state()).toBe('connected');
    // Our own hello still went out before connected; the outbox was resumed, then flushed, once.
    expect(
      h.rec.log.filter((l) => l === 'sendChannelHello' || l === 'resumeOutbox' || l === 'flushOutbox'),
    ).toEqual(['sendChannelHello', 'resumeOutbox', 'flushOutbox']);
  });

  it('a remote hello that arrives while this side is still connecting is not lost (hello race)', async () => {
    const h = start();
    toConnecting(h);
    h.pc({ type: 'CHANNEL.OPEN' });
    // The remote reached handshaking first and sent its hello.
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 7 });
    expect(h.state()).toBe('connecting');
    await negotiateAsOfferer(h);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    expect(h.state()).toBe('connected');
    expect(h.peer.getSnapshot().context.remoteResumePoint).toBe(7);
    expect(h.rec.counts).toMatchObject({ sendChannelHello: 1, flushOutbox: 1 });
  });

  it('the resume point belongs to one handshake: leaving connected forgets it', async () => {
    const h = start();
    await toConnected(h);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'failed' });
    expect(h.state()).toBe('failed');
    expect(h.peer.getSnapshot().context.remoteResumePoint).toBeNull();
    // The next attempt waits for a new hello.
    h.peer.send(hello(2, 2));
    await negotiateAsOfferer(h, 2, null, 2);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    h.pc({ type: 'CHANNEL.OPEN' });
    expect(h.peer.getSnapshot().matches({ live: { handshaking: 'resuming' } })).toBe(true);
  });

  it('connected flushes the outbox on entry, after every SEND and on CHANNEL.BUFFER_LOW', async () => {
    const h = start();
    h.peer.send({ type: 'SEND', data: 'early' });
    expect(h.rec.counts).toMatchObject({ enqueueMessage: 1, flushOutbox: 0 });
    await toConnected(h);
    expect(h.rec.counts).toMatchObject({ enqueueMessage: 1, flushOutbox: 1 });
    h.peer.send({ type: 'SEND', data: 'late' });
    expect(h.rec.counts).toMatchObject({ enqueueMessage: 2, flushOutbox: 2 });
    expect(h.rec.log.slice(-2)).toEqual(['enqueueMessage', 'flushOutbox']);
    h.pc({ type: 'CHANNEL.BUFFER_LOW' });
    expect(h.rec.counts.flushOutbox).toBe(3);
  });

  it('local candidates are sent in connecting, handshaking and connected, stamped with generation and connection', async () => {
    const h = start();
    toConnecting(h, 7);
    h.pc({ type: 'PC.ICE_CANDIDATE', candidate: candidate('l1') });
    await negotiateAsOfferer(h, 7);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    h.pc({ type: 'PC.ICE_CANDIDATE', candidate: candidate('l2') });
    h.pc({ type: 'CHANNEL.OPEN' });
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    h.pc({ type: 'PC.ICE_CANDIDATE', candidate: null });
    const sent = h.signals.filter((s) => s.signal.type === 'candidate');
    expect(sent.map((s) => (s.signal.type === 'candidate' ? nameOf(s.signal.candidate) : ''))).toEqual([
      'l1',
      'l2',
      'null',
    ]);
    expect(sent.every((s) => s.generation === 7 && s.to === 'b' && s.signal.connection === 1)).toBe(true);
  });
});

describe('peer chart: remote candidates', () => {
  it('ICE-1 a candidate that arrives in discovering (no pc yet) is buffered', () => {
    const h = start();
    h.peer.send({ type: 'CONNECT' });
    h.peer.send(cand('c1'));
    expect(h.state()).toBe('discovering');
    expect(h.peer.getSnapshot().context.bufferedCandidates).toEqual([candidate('c1')]);
    expect(h.rec.applied).toEqual([]);
    expect(h.rec.drained).toEqual([]);
  });

  it('ICE-1 CB-5 a candidate that overtakes its offer (peer still disconnected) is kept and drained after the offer', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    h.peer.send(cand('c1'));
    expect(h.state()).toBe('disconnected');
    expect(h.peer.getSnapshot().context.bufferedCandidates.map(nameOf)).toEqual(['c1']);
    h.peer.send(desc(offer));
    h.peer.send(cand('c2'));
    resolveRemote(h);
    await flushMicrotasks();
    expect(h.rec.drained.map((batch) => batch.map(nameOf))).toEqual([['c1', 'c2']]);
  });

  it('ICE-2 a candidate after the pc exists but before the remote description is set is buffered, not applied', () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    toConnecting(h);
    h.peer.send(cand('c1'));
    h.peer.send(desc(offer));
    // acceptOffer(offer) is still pending.
    h.peer.send(cand('c2'));
    expect(h.peer.getSnapshot().matches({ live: { connecting: { remoteCandidates: 'buffering' } } })).toBe(
      true,
    );
    expect(h.peer.getSnapshot().context.bufferedCandidates.map(nameOf)).toEqual(['c1', 'c2']);
    expect(h.rec.applied).toEqual([]);
    expect(h.rec.drained).toEqual([]);
  });

  it('ICE-3 the offerer drains nothing before the answer is applied', async () => {
    const h = start({ localId: 'a', remoteId: 'b' });
    toConnecting(h);
    h.rec.offers[0]?.resolve(offer);
    await flushMicrotasks();
    h.peer.send(cand('c1'));
    h.peer.send(cand('c2'));
    expect(h.rec.drained).toEqual([]);
    h.peer.send(desc(answer));
    h.peer.send(cand('c3'));
    await flushMicrotasks();
    // setRemoteDescription(answer) has not resolved.
    expect(h.rec.drained).toEqual([]);
    expect(h.rec.applied).toEqual([]);
    expect(h.peer.getSnapshot().context.bufferedCandidates.map(nameOf)).toEqual(['c1', 'c2', 'c3']);
    resolveRemote(h);
    await flushMicrotasks();
    expect(h.rec.drained.map((batch) => batch.map(nameOf))).toEqual([['c1', 'c2', 'c3']]);
  });

  it('ICE-4 the offer being set drains once, in arrival order, before any later candidate', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    h.peer.send({ type: 'CONNECT' });
    h.peer.send(cand('c1'));
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 1 });
    h.peer.send(cand('c2'));
    h.peer.send(desc(offer));
    h.peer.send(cand('c3'));
    resolveRemote(h);
    // Arrives after the promise resolved but before its result reached the actor: still buffered.
    h.peer.send(cand('c4'));
    await flushMicrotasks();
    h.peer.send(cand('c5'));
    h.rec.answers[0]?.resolve(answer);
    await flushMicrotasks();
    h.peer.send(cand('c6'));

    expect(h.rec.drained.map((batch) => batch.map(nameOf))).toEqual([['c1', 'c2', 'c3', 'c4']]);
    expect(h.rec.applied.map(nameOf)).toEqual(['c5', 'c6']);
    expect(candidateLog(h)).toEqual(['drain:c1,c2,c3,c4', 'add:c5', 'add:c6']);
    expect(h.peer.getSnapshot().context.bufferedCandidates).toEqual([]);
    expect(h.peer.getSnapshot().matches({ live: { connecting: { remoteCandidates: 'applying' } } })).toBe(
      true,
    );
  });

  it('ICE-4 the answer being set drains once, before candidates applied later in handshaking and connected', async () => {
    const h = start({ localId: 'a', remoteId: 'b' });
    toConnecting(h);
    h.peer.send(cand('c1'));
    h.peer.send(cand('c2'));
    await negotiateAsOfferer(h);
    h.peer.send(cand('c3'));
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    h.peer.send(cand('c4'));
    h.pc({ type: 'CHANNEL.OPEN' });
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    h.peer.send(cand('c5'));
    expect(candidateLog(h)).toEqual(['drain:c1,c2', 'add:c3', 'add:c4', 'add:c5']);
  });

  // Chart bug (machines/peer.ts, connecting): the drain (and adoptRemoteUfrag) run on the raised
  // REMOTE_DESCRIPTION.SET, but XState takes eventless (`always`) transitions before raised events.
  // If the transport is already `connected` when setRemoteDescription(answer) resolves, negotiation
  // enters `stable`, connecting's `always` leaves for `handshaking`, and the raised event then finds
  // no handler: drainRemoteCandidates never runs, the buffered candidates are never applied, and
  // remoteUfrag keeps its old value.
  it('ICE-4 the buffer drains even when the transport connected before setRemoteDescription(answer) resolved', async () => {
    const h = start({ localId: 'a', remoteId: 'b' });
    toConnecting(h);
    h.rec.offers[0]?.resolve(offer);
    await flushMicrotasks();
    h.peer.send(cand('c1'));
    h.peer.send(desc(answer));
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    resolveRemote(h, 'u1');
    await flushMicrotasks();
    h.peer.send(cand('c2'));
    expect(candidateLog(h)).toEqual(['drain:c1', 'add:c2']);
  });

  // Same root cause, on the common path: an ICE restart from `connected` enters
  // connecting.negotiation.restartingIce while the pc is still connected and its channel open (the
  // chart's isPeerConnectionConnected / isChannelOpen guards say so), so the restart answer's
  // REMOTE_DESCRIPTION.SET is lost as above. remoteUfrag stays at the old generation, and every
  // candidate of the new ICE generation is then reported as stale and dropped (ICE-6 inverted).
  it('ICE-9 ICE-6 after an ICE restart from connected, candidates of the new ICE generation are applied', async () => {
    const h = start({ localId: 'a', remoteId: 'b', maxIceRestarts: 1 });
    const stale: string[] = [];
    h.peer.on('staleCandidate', (e) => stale.push(nameOf(e.candidate)));
    toConnecting(h);
    await negotiateAsOfferer(h, 1, 'u1');
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    h.pc({ type: 'CHANNEL.OPEN' });
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    expect(h.state()).toBe('connected');
    h.rec.pcConnected = true;
    h.rec.channelOpen = true;
    h.peer.send({ type: 'HEARTBEAT.LOST' });
    expect(h.rec.offerInputs.at(-1)?.iceRestart).toBe(true);
    h.peer.send(cand('r1', 1, 1, 'u2'));
    await negotiateAsOfferer(h, 1, 'u2');
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    h.peer.send(cand('r2', 1, 1, 'u2'));
    expect(h.peer.getSnapshot().context.remoteUfrag).toBe('u2');
    expect(stale).toEqual([]);
    expect(candidateLog(h)).toEqual(['drain:', 'drain:r1', 'add:r2']);
  });

  it('ICE-5 the buffer is bounded at maxBufferedCandidates; overflow keeps the earliest and emits candidateOverflow', async () => {
    const h = start({ localId: 'b', remoteId: 'a', maxBufferedCandidates: 3 });
    const overflow: { remoteId: string; dropped: unknown }[] = [];
    h.peer.on('candidateOverflow', (e) => overflow.push({ remoteId: e.remoteId, dropped: e.dropped }));
    h.peer.send({ type: 'CONNECT' });
    h.peer.send(cand('c1'));
    h.peer.send(cand('c2'));
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 1 });
    for (const name of ['c3', 'c4', 'c5']) h.peer.send(cand(name));
    expect(h.peer.getSnapshot().context.bufferedCandidates.map(nameOf)).toEqual(['c1', 'c2', 'c3']);
    expect(overflow).toEqual([
      { remoteId: 'a', dropped: candidate('c4') },
      { remoteId: 'a', dropped: candidate('c5') },
    ]);
    await negotiateAsAnswerer(h);
    expect(h.rec.drained.map((batch) => batch.map(nameOf))).toEqual([['c1', 'c2', 'c3']]);
    // Once the remote description is set there is no buffer to overflow.
    h.peer.send(cand('c6'));
    expect(overflow).toHaveLength(2);
    expect(h.rec.applied.map(nameOf)).toEqual(['c6']);
  });

  it('ICE-5 the bound also holds in disconnected and discovering', () => {
    const h = start({ maxBufferedCandidates: 2 });
    const dropped: string[] = [];
    h.peer.on('candidateOverflow', (e) => dropped.push(nameOf(e.dropped)));
    h.peer.send(cand('c1'));
    h.peer.send({ type: 'CONNECT' });
    for (const name of ['c2', 'c3']) h.peer.send(cand(name));
    expect(h.peer.getSnapshot().context.bufferedCandidates.map(nameOf)).toEqual(['c1', 'c2']);
    expect(dropped).toEqual(['c3']);
  });

  it('ICE-6 once the remote description is set, a candidate of another ufrag is reported stale, not applied', async () => {
    const h = start({ localId: 'a', remoteId: 'b' });
    const stale: string[] = [];
    h.peer.on('staleCandidate', (e) => stale.push(nameOf(e.candidate)));
    toConnecting(h);
    await negotiateAsOfferer(h, 1, 'u1');
    h.peer.send(cand('old', 1, 1, 'u0'));
    h.peer.send(cand('cur', 1, 1, 'u1'));
    h.peer.send(cand('plain'));
    expect(stale).toEqual(['old']);
    expect(h.rec.applied.map(nameOf)).toEqual(['cur', 'plain']);
  });

  it('ICE-7 an end-of-candidates (null) is buffered and drained like any other, in order, without error', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    toConnecting(h);
    h.peer.send(cand('c1'));
    h.peer.send(cand(null));
    expect(h.peer.getSnapshot().context.bufferedCandidates).toEqual([candidate('c1'), null]);
    await negotiateAsAnswerer(h);
    expect(h.rec.drained).toEqual([[candidate('c1'), null]]);
    h.peer.send(cand(null));
    expect(h.rec.applied).toEqual([null]);
    expect(h.errors).toEqual([]);
  });

  it('CONNECT from failed clears the buffer of the failed attempt', () => {
    const h = start();
    toConnecting(h);
    h.peer.send(cand('old'));
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'failed' });
    expect(h.state()).toBe('failed');
    h.peer.send({ type: 'CONNECT' });
    expect(h.peer.getSnapshot().context.bufferedCandidates).toEqual([]);
  });
});

describe('peer chart: perfect negotiation and connection numbers', () => {
  it('ICE-8 glare: the impolite side ignores a colliding offer and reports it', async () => {
    const h = start({ localId: 'a', remoteId: 'b' });
    const ignored: string[] = [];
    h.peer.on('ignoredOffer', (e) => ignored.push(e.remoteId));
    toConnecting(h);
    h.peer.send(desc(offer));
    h.rec.offers[0]?.resolve(offer);
    await flushMicrotasks();
    h.peer.send(desc(offer));
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'haveLocalOffer' } } })).toBe(
      true,
    );
    expect(ignored).toEqual(['b', 'b']);
    expect(h.rec.remoteDescriptions).toEqual([]);
    // Its own offer still completes.
    h.peer.send(desc(answer));
    expect(
      h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'settingRemoteAnswer' } } }),
    ).toBe(true);
  });

  it('ICE-8 glare: the polite side with a local (restart) offer rolls back and answers', async () => {
    const h = start({ localId: 'b', remoteId: 'a', maxIceRestarts: 1 });
    toConnecting(h);
    await negotiateAsAnswerer(h);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    h.pc({ type: 'CHANNEL.OPEN' });
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    h.peer.send({ type: 'RESTART_ICE' });
    h.rec.offers[0]?.resolve(offer);
    await flushMicrotasks();
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'haveLocalOffer' } } })).toBe(
      true,
    );
    h.peer.send(desc(offer));
    expect(
      h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'settingRemoteOffer' } } }),
    ).toBe(true);
    expect(h.rec.remoteDescriptions.at(-1)?.via).toBe('acceptOffer');
  });

  it('signals of an older remote connection are stale: their offer is not taken, their candidate not applied', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    const stale: string[] = [];
    h.peer.on('staleCandidate', (e) => stale.push(nameOf(e.candidate)));
    toConnecting(h);
    h.peer.send(desc(offer, 1, 2));
    resolveRemote(h);
    await flushMicrotasks();
    h.peer.send(cand('old', 1, 1));
    expect(stale).toEqual(['old']);
    expect(h.rec.applied).toEqual([]);
  });

  it('an offer from a replaced remote pc (higher connection) replaces our pc too', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    toConnecting(h);
    await negotiateAsAnswerer(h);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    h.pc({ type: 'CHANNEL.OPEN' });
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    expect(h.state()).toBe('connected');
    h.peer.send(desc(offer, 1, 2));
    expect(
      h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'settingRemoteOffer' } } }),
    ).toBe(true);
    expect(h.rec.log.filter((l) => l.startsWith('pc:'))).toEqual([
      'pc:start:0:1',
      'pc:cleanup:0:1',
      'pc:start:0:2',
    ]);
    expect(h.peer.getSnapshot().context).toMatchObject({ connection: 2, remoteConnection: 2, paired: true });
  });

  // Chart bug (machines/peer.ts, connectionOf / recordAbsence): remoteConnection outlives the remote.
  // A remote that left (REMOTE.ABSENT: page reload, app restart) comes back with a new peer actor whose
  // connections are numbered from 1 again; ours still holds remoteConnection 1 (unpaired after our new
  // pc), so connectionOf says 'stale' (1 > 1 is false) and the returning remote's offer is ignored. The
  // attempt stalls until the connect timeout, and only a remote connection number above the old one
  // gets through. REMOTE.ABSENT (or a bye) should forget remoteConnection.
  it('after the remote left and came back as a new actor (connection 1 again), its offer is answered', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    toConnecting(h);
    await negotiateAsAnswerer(h);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    h.pc({ type: 'CHANNEL.OPEN' });
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    // The remote reloads: it leaves the session, our pc fails; we wait for it (RV-2) and start over
    // as soon as it is back.
    h.peer.send({ type: 'REMOTE.ABSENT' });
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'failed' });
    expect(h.peer.getSnapshot().matches({ idle: { discovering: 'waiting' } })).toBe(true);
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 1 });
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'awaitingOffer' } } })).toBe(
      true,
    );
    h.peer.send(desc(offer, 1, 1, 'r2'));
    expect(
      h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'settingRemoteOffer' } } }),
    ).toBe(true);
  });
});

describe('peer chart: generation stamping', () => {
  it('every signal of an attempt carries the generation adopted at REMOTE.PRESENT', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    h.peer.send({ type: 'CONNECT' });
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 5 });
    expect(h.peer.getSnapshot().context.generation).toBe(5);
    h.pc({ type: 'PC.ICE_CANDIDATE', candidate: candidate('l1') });
    // A remote signal stamped with another generation does not re-stamp the attempt.
    await negotiateAsAnswerer(h, 6);
    expect(signalTypes(h)).toEqual(['hello', 'candidate', 'description']);
    expect(h.signals.map((s) => s.generation)).toEqual([5, 5, 5]);
  });

  it('CB-6 the session changes while an offer is being answered: that answer is never sent; the attempt restarts under the new generation', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    toConnecting(h, 1);
    h.peer.send(desc(offer, 1));
    resolveRemote(h);
    await flushMicrotasks();
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'answering' } } })).toBe(true);
    const pending = h.rec.answers[0];
    // The signaling session is replaced while createAnswer runs.
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 2 });
    pending?.resolve(answer);
    await flushMicrotasks();
    expect(h.peer.getSnapshot().context.generation).toBe(2);
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'awaitingOffer' } } })).toBe(
      true,
    );
    expect(h.signals.filter((s) => s.signal.type === 'description')).toEqual([]);
    expect(h.signals.map((s) => [s.signal.type, s.generation])).toEqual([
      ['hello', 1],
      ['hello', 2],
    ]);
  });

  it('REMOTE.PRESENT of the same session mid-attempt changes nothing', async () => {
    const h = start({ localId: 'b', remoteId: 'a' });
    toConnecting(h, 1);
    h.peer.send(desc(offer, 1));
    resolveRemote(h);
    await flushMicrotasks();
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 1 });
    h.rec.answers[0]?.resolve(answer);
    await flushMicrotasks();
    expect(h.signals.map((s) => [s.signal.type, s.generation])).toEqual([
      ['hello', 1],
      ['description', 1],
    ]);
  });

  it('an attempt started by SIGNAL.HELLO adopts the generation of the hello', async () => {
    const h = start({ localId: 'a', remoteId: 'b' });
    h.peer.send(hello(9));
    h.rec.offers[0]?.resolve(offer);
    await flushMicrotasks();
    expect(h.signals.map((s) => [s.signal.type, s.generation])).toEqual([['description', 9]]);
  });
});

type Reach = (h: PeerHarness) => void | Promise<void>;

/** [name, input, reach, sends bye on CLOSE] */
const closable: [string, Partial<PeerInput>, Reach, boolean][] = [
  ['disconnected', {}, () => {}, false],
  ['discovering', {}, (h) => h.peer.send({ type: 'CONNECT' }), false],
  ['discovering (backing off)', { maxReconnects: 1 }, failedInConnecting, false],
  ['connecting', {}, (h) => toConnecting(h), true],
  ['handshaking', {}, toHandshaking, true],
  ['connected', {}, toConnected, true],
  ['failed', {}, failedInConnecting, false],
];

describe('peer chart: close', () => {
  it.each(closable)(
    'CLOSE from %s reaches final closed with one cleanup path',
    async (name, input, reach, sendsBye) => {
      const h = start(input);
      await reach(h);
      expect(name.startsWith(h.state())).toBe(true);
      const signalsBefore = h.signals.length;
      h.peer.send({ type: 'CLOSE' });
      expect(h.state()).toBe('closed');
      expect(h.peer.getSnapshot().status).toBe('done');
      // Every pc and heartbeat that was started is cleaned up (stopPeerConnection), the outbox released once.
      expect(h.rec.pcCleanups).toEqual(h.rec.pcStarts);
      expect(h.rec.heartbeatCleanups).toEqual(h.rec.heartbeatStarts);
      expect(h.rec.counts.releaseOutbox).toBe(1);
      expect(h.rec.resourceCleanups).toEqual([0]);
      const after = h.signals.slice(signalsBefore).map((s) => s.signal.type);
      expect(after).toEqual(sendsBye ? ['bye'] : []);
      if (sendsBye) expect(h.signals.at(-1)).toMatchObject({ generation: 1, to: 'b' });
      // No timer of the closed peer is left.
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  it('CLOSE from connecting with a negotiation step pending: a late result changes nothing', async () => {
    const h = start();
    toConnecting(h);
    h.peer.send({ type: 'CLOSE' });
    h.rec.offers[0]?.resolve(offer);
    await flushMicrotasks();
    expect(signalTypes(h)).toEqual(['bye']);
    expect(h.state()).toBe('closed');
  });

  it('RC-7 CLOSE sent three times (overflow, transport error, user): one cleanup, one bye, one final state', async () => {
    const h = start();
    await toConnected(h);
    h.peer.send({ type: 'CLOSE' });
    h.peer.send({ type: 'CLOSE' });
    h.peer.send({ type: 'CLOSE' });
    expect(h.state()).toBe('closed');
    expect(h.rec.pcCleanups).toEqual([0]);
    expect(h.rec.resourceCleanups).toEqual([0]);
    expect(h.rec.counts.releaseOutbox).toBe(1);
    expect(signalTypes(h).filter((t) => t === 'bye')).toHaveLength(1);
  });

  it('RC-8 events sent to a closed peer are ignored without an error; nothing is revived', async () => {
    const h = start();
    await toConnected(h);
    const sendBack = h.rec.pcSendBack.get(0);
    h.peer.send({ type: 'CLOSE' });
    const snapshot = h.peer.getSnapshot();
    const logLength = h.rec.log.length;
    const signalCount = h.signals.length;
    expect(() => {
      h.peer.send({ type: 'CONNECT' });
      h.peer.send({ type: 'REMOTE.PRESENT', generation: 2 });
      h.peer.send(hello(2));
      h.peer.send(desc(offer, 2));
      h.peer.send(cand('c1', 2));
      h.peer.send({ type: 'SEND', data: 'x' });
      h.peer.send({ type: 'RETRY' });
      sendBack?.({ type: 'PC.ICE_CANDIDATE', candidate: candidate('l1') });
      sendBack?.({ type: 'CHANNEL.CLOSE' });
    }).not.toThrow();
    vi.advanceTimersByTime(60_000);
    expect(h.peer.getSnapshot()).toBe(snapshot);
    expect(h.state()).toBe('closed');
    expect(h.rec.log.length).toBe(logLength);
    expect(h.signals.length).toBe(signalCount);
    expect(h.rec.pcStarts).toEqual([0]);
  });
});

describe('peer chart: failure, recovery and starting over', () => {
  it('connect timeout in connecting → failed with error timeout (no reconnects left); failure emitted; pc stopped', () => {
    const h = start();
    const failures: { code: string; remoteId: string }[] = [];
    h.peer.on('failure', (e) => failures.push({ code: e.code, remoteId: e.remoteId }));
    toConnecting(h);
    vi.advanceTimersByTime(14_999);
    expect(h.state()).toBe('connecting');
    expect(failures).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(h.state()).toBe('failed');
    expect(h.peer.getSnapshot().context.error?.code).toBe('timeout');
    expect(failures).toEqual([{ code: 'timeout', remoteId: 'b' }]);
    expect(h.rec.pcCleanups).toEqual([0]);
  });

  it('connect timeout in handshaking → failed with error timeout (the timer restarts on entering handshaking)', async () => {
    const h = start();
    const failures: string[] = [];
    h.peer.on('failure', (e) => failures.push(e.code));
    toConnecting(h);
    vi.advanceTimersByTime(10_000);
    await negotiateAsOfferer(h);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    expect(h.state()).toBe('handshaking');
    vi.advanceTimersByTime(14_999);
    expect(h.state()).toBe('handshaking');
    vi.advanceTimersByTime(1);
    expect(h.state()).toBe('failed');
    expect(failures).toEqual(['timeout']);
  });

  it('reaching connected cancels the connect timeout', async () => {
    const h = start();
    await toConnected(h);
    vi.advanceTimersByTime(60_000);
    expect(h.state()).toBe('connected');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('PC.CONNECTION_STATE failed in connecting → failed (ice-failed), failure emitted', () => {
    const h = start();
    const failures: string[] = [];
    h.peer.on('failure', (e) => failures.push(e.code));
    toConnecting(h);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'failed' });
    expect(h.state()).toBe('failed');
    expect(h.peer.getSnapshot().context.error).toEqual({
      code: 'ice-failed',
      message: 'connectionState is failed',
    });
    expect(failures).toEqual(['ice-failed']);
    expect(h.rec.pcCleanups).toEqual([0]);
    // The connect timer of the failed attempt is gone.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('CHANNEL.CLOSE in connected → failed (channel-closed); the heartbeat stops', async () => {
    const h = start();
    await toConnected(h);
    h.pc({ type: 'CHANNEL.CLOSE' });
    expect(h.state()).toBe('failed');
    expect(h.peer.getSnapshot().context.error?.code).toBe('channel-closed');
    expect(h.rec.heartbeatCleanups).toEqual([0]);
  });

  it('a rejected createOffer → failed (negotiation-failed) with the error message', async () => {
    const h = start();
    toConnecting(h);
    h.rec.offers[0]?.reject(new Error('boom'));
    await flushMicrotasks();
    expect(h.state()).toBe('failed');
    expect(h.peer.getSnapshot().context.error).toEqual({ code: 'negotiation-failed', message: 'boom' });
  });

  it('PC.ERROR in handshaking → failed with its code', async () => {
    const h = start();
    await toHandshaking(h);
    h.pc({ type: 'PC.ERROR', code: 'dtls', message: 'handshake failed' });
    expect(h.state()).toBe('failed');
    expect(h.peer.getSnapshot().context.error).toEqual({ code: 'dtls', message: 'handshake failed' });
  });

  it('with reconnects left, a failed attempt backs off, then starts a new pc (next connection number)', async () => {
    const h = start({ maxReconnects: 2 });
    const failures: string[] = [];
    h.peer.on('failure', (e) => failures.push(e.code));
    failedInConnecting(h);
    expect(h.peer.getSnapshot().matches({ idle: { discovering: 'backingOff' } })).toBe(true);
    expect(h.peer.getSnapshot().context.reconnects).toBe(1);
    expect(h.rec.pcCleanups).toEqual([0]);
    vi.advanceTimersByTime(999);
    expect(h.rec.pcStarts).toEqual([0]);
    vi.advanceTimersByTime(1);
    expect(h.state()).toBe('connecting');
    expect(h.rec.log.filter((l) => l.startsWith('pc:start'))).toEqual(['pc:start:0:1', 'pc:start:0:2']);
    expect(h.rec.offerInputs.at(-1)).toEqual({ key: 0, connection: 2, iceRestart: false });
    h.rec.offers.at(-1)?.resolve(offer);
    await flushMicrotasks();
    expect(h.signals.at(-1)?.signal).toEqual({
      type: 'description',
      description: offer,
      instance: 'local-1',
      connection: 2,
    });
    expect(failures).toEqual([]);
  });

  it('RC-10 RETRY cuts the backoff short; the old backoff timer then starts nothing', () => {
    const h = start({ maxReconnects: 1 });
    failedInConnecting(h);
    h.peer.send({ type: 'RETRY' });
    expect(h.state()).toBe('connecting');
    expect(h.rec.pcStarts).toEqual([0, 0]);
    vi.advanceTimersByTime(1_000);
    expect(h.rec.pcStarts).toEqual([0, 0]);
    expect(h.state()).toBe('connecting');
  });

  it('when reconnects run out the peer fails; reaching connected resets the count', async () => {
    const h = start({ maxReconnects: 1 });
    failedInConnecting(h);
    vi.advanceTimersByTime(1_000);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'failed' });
    expect(h.state()).toBe('failed');
    h.peer.send({ type: 'CONNECT' });
    expect(h.peer.getSnapshot().context.reconnects).toBe(0);
  });

  it('CONNECT from failed starts over at once (the remote is present) with a new pc; connected clears the error', async () => {
    const h = start();
    failedInConnecting(h);
    h.peer.send({ type: 'CONNECT' });
    expect(h.state()).toBe('connecting');
    expect(h.rec.pcStarts).toEqual([0, 0]);
    expect(h.rec.pcCleanups).toEqual([0]);
    expect(h.rec.offers).toHaveLength(2);
    // The remote failed too and answers from its own new pc.
    await negotiateAsOfferer(h, 1, null, 2);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    h.pc({ type: 'CHANNEL.OPEN' });
    h.pc({ type: 'CHANNEL.HELLO', lastDelivered: 0 });
    expect(h.state()).toBe('connected');
    expect(h.peer.getSnapshot().context.error).toBeNull();
    expect(h.signals.map((s) => s.signal.connection)).toEqual([2]);
  });

  it('the stopped pc of a failed attempt cannot reach the new attempt', () => {
    const h = start();
    failedInConnecting(h);
    const oldSendBack = h.rec.pcSendBack.get(0);
    h.peer.send(hello(2));
    expect(h.state()).toBe('connecting');
    oldSendBack?.({ type: 'PC.CONNECTION_STATE', state: 'failed' });
    expect(h.state()).toBe('connecting');
  });
});

describe('peer chart: ICE recovery in connected (ICE-9)', () => {
  async function connectedWithRestarts(maxIceRestarts: number): Promise<PeerHarness> {
    const h = start({ maxIceRestarts });
    await toConnected(h);
    return h;
  }

  it('ICE-9 ICE disconnected → grace period → ICE restart on the same pc', async () => {
    const h = await connectedWithRestarts(2);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'disconnected' });
    expect(h.peer.getSnapshot().matches({ live: { connected: 'unstable' } })).toBe(true);
    vi.advanceTimersByTime(1_999);
    expect(h.state()).toBe('connected');
    vi.advanceTimersByTime(1);
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'restartingIce' } } })).toBe(
      true,
    );
    expect(h.rec.offerInputs.at(-1)).toEqual({ key: 0, connection: 1, iceRestart: true });
    expect(h.peer.getSnapshot().context.iceRestarts).toBe(1);
    expect(h.rec.pcStarts).toEqual([0]);
  });

  it('ICE-9 ICE back to connected within the grace period: no restart', async () => {
    const h = await connectedWithRestarts(2);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'disconnected' });
    vi.advanceTimersByTime(1_000);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'connected' });
    vi.advanceTimersByTime(10_000);
    expect(h.peer.getSnapshot().matches({ live: { connected: 'stable' } })).toBe(true);
    expect(h.rec.offerInputs.filter((i) => i.iceRestart)).toEqual([]);
  });

  it('ICE-9 ICE failed in connected restarts at once', async () => {
    const h = await connectedWithRestarts(1);
    h.pc({ type: 'PC.CONNECTION_STATE', state: 'failed' });
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'restartingIce' } } })).toBe(
      true,
    );
    expect(h.rec.heartbeatCleanups).toEqual([0]);
  });

  it('ICE-9 restarts that do not recover are repeated, then the attempt fails (ice-restarts-exhausted)', async () => {
    const h = await connectedWithRestarts(2);
    h.peer.send({ type: 'HEARTBEAT.LOST' });
    expect(h.peer.getSnapshot().context.iceRestarts).toBe(1);
    vi.advanceTimersByTime(3_000);
    expect(h.peer.getSnapshot().context.iceRestarts).toBe(2);
    expect(h.rec.offerInputs.filter((i) => i.iceRestart)).toHaveLength(2);
    vi.advanceTimersByTime(3_000);
    expect(h.state()).toBe('failed');
    expect(h.peer.getSnapshot().context.error?.code).toBe('ice-restarts-exhausted');
  });

  it('ICE-9 with no restarts allowed, a lost heartbeat fails the attempt', async () => {
    const h = await connectedWithRestarts(0);
    h.peer.send({ type: 'HEARTBEAT.LOST' });
    expect(h.state()).toBe('failed');
    expect(h.peer.getSnapshot().context.error?.code).toBe('ice-restarts-exhausted');
  });
});

describe('peer chart: remote-initiated attempts and bye', () => {
  const idle: [string, Reach][] = [
    ['disconnected', () => {}],
    ['discovering', (h) => h.peer.send({ type: 'CONNECT' })],
    ['failed', failedInConnecting],
  ];

  it.each(idle)('SIGNAL.HELLO in %s starts an attempt under the hello generation', async (name, reach) => {
    const h = start({ localId: 'a', remoteId: 'b' });
    await reach(h);
    expect(h.state()).toBe(name);
    const pcs = h.rec.pcStarts.length;
    h.peer.send(hello(3));
    expect(h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'makingOffer' } } })).toBe(true);
    expect(h.rec.pcStarts.length).toBe(pcs + 1);
    expect(h.peer.getSnapshot().context.generation).toBe(3);
  });

  it.each(idle)('an offer in %s starts an attempt that answers it', async (name, reach) => {
    const h = start({ localId: 'a', remoteId: 'b' });
    await reach(h);
    expect(h.state()).toBe(name);
    const offersBefore = h.rec.offers.length;
    h.peer.send(desc(offer, 6, 3));
    expect(
      h.peer.getSnapshot().matches({ live: { connecting: { negotiation: 'settingRemoteOffer' } } }),
    ).toBe(true);
    expect(h.rec.remoteDescriptions.map((c) => [c.via, c.description])).toEqual([['acceptOffer', offer]]);
    resolveRemote(h);
    await flushMicrotasks();
    h.rec.answers[0]?.resolve(answer);
    await flushMicrotasks();
    expect(h.rec.offers).toHaveLength(offersBefore);
    const sent = h.signals.slice(-1);
    expect(sent.map((s) => [s.signal.type, s.generation])).toEqual([['description', 6]]);
    expect(sent[0]?.signal).toMatchObject({ type: 'description', description: answer });
    expect(h.peer.getSnapshot().context).toMatchObject({ remoteConnection: 3, paired: true });
  });

  it('an answer in disconnected is ignored', () => {
    const h = start();
    h.peer.send(desc(answer));
    expect(h.state()).toBe('disconnected');
    expect(h.rec.pcStarts).toEqual([]);
  });

  it.each(closable.filter(([, , , inAttempt]) => inAttempt))(
    'SIGNAL.BYE in %s → disconnected; the pc stops; no bye is sent back',
    async (name, input, reach) => {
      const h = start(input);
      await reach(h);
      expect(h.state()).toBe(name);
      const signalCount = h.signals.length;
      h.peer.send(bye());
      expect(h.state()).toBe('disconnected');
      expect(h.signals.length).toBe(signalCount);
      expect(h.rec.pcCleanups).toEqual([0]);
      expect(vi.getTimerCount()).toBe(0);
    },
  );

  it('SIGNAL.BYE then a new attempt: the old pc is stopped and its events are not processed', async () => {
    const h = start();
    await toConnected(h);
    const oldSendBack = h.rec.pcSendBack.get(0);
    h.peer.send(bye());
    toConnecting(h, 2);
    expect(h.rec.pcStarts).toEqual([0, 0]);
    oldSendBack?.({ type: 'PC.CONNECTION_STATE', state: 'failed' });
    expect(h.state()).toBe('connecting');
    h.peer.send({ type: 'CLOSE' });
    expect(h.rec.pcCleanups).toEqual([0, 0]);
  });
});

describe('peer chart: recovery that waits for nothing it does not need (RV)', () => {
  it('RV-1 signaling reopens while connected: the peer adopts the new session, so its ICE restart offer goes out on it', async () => {
    const h = start({ maxIceRestarts: 1 });
    await toConnected(h);
    expect(h.peer.getSnapshot().context.generation).toBe(1);
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 7 });
    expect(h.state()).toBe('connected');
    expect(h.peer.getSnapshot().context.generation).toBe(7);
    h.peer.send({ type: 'RESTART_ICE' });
    h.rec.offers.at(-1)?.resolve(offer);
    await flushMicrotasks();
    const last = h.signals.at(-1);
    expect(last?.signal.type).toBe('description');
    expect(last?.generation).toBe(7);
  });

  it('RV-2 a remote that left the room is not ICE-restarted at: the peer waits for it, then starts over at once', async () => {
    const h = start({ maxIceRestarts: 8, maxReconnects: 5 });
    await toConnected(h);
    h.peer.send({ type: 'REMOTE.ABSENT' });
    expect(h.state()).toBe('connected');
    h.pc({ type: 'HEARTBEAT.LOST' });
    expect(h.peer.getSnapshot().matches({ idle: { discovering: 'waiting' } })).toBe(true);
    expect(h.rec.offerInputs.filter((o) => o.iceRestart)).toEqual([]);
    expect(h.peer.getSnapshot().context.error?.code).toBe('remote-absent');
    expect(h.rec.pcCleanups).toEqual([0]);
    // No timer runs while it waits: the remote's return alone starts the next attempt, with a new pc.
    vi.advanceTimersByTime(60_000);
    expect(h.peer.getSnapshot().matches({ idle: { discovering: 'waiting' } })).toBe(true);
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 2 });
    expect(h.state()).toBe('connecting');
    expect(h.rec.pcStarts).toEqual([0, 0]);
    expect(h.peer.getSnapshot().context.generation).toBe(2);
  });

  it('RV-3 a bye while discovering is a hang-up: the peer goes to disconnected and does not come back by itself', () => {
    const h = start();
    h.peer.send({ type: 'CONNECT' });
    expect(h.state()).toBe('discovering');
    h.peer.send(bye());
    expect(h.state()).toBe('disconnected');
    h.peer.send({ type: 'REMOTE.PRESENT', generation: 1 });
    expect(h.state()).toBe('disconnected');
    expect(h.rec.pcStarts).toEqual([]);
  });
});
