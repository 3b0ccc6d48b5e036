/**
 * A deterministic harness for race tests: peer systems on the scripted fake RTCPeerConnection and the
 * in-memory signaling hub from peerstate/testing. Nothing moves until the test says so: frames are
 * delivered by `hub.deliver*`, pc promises settled by `pc.settle(...)`, pc events fired by the test.
 */
import type { PeerHandle, PeerSystem, PeerSystemOptions } from '../../src/index.js';
import { createPeerSystem } from '../../src/index.js';
import type { FakeRTCPeerConnection } from '../../src/testing/index.js';
import { createFakeRtc, createFakeSignaling } from '../../src/testing/index.js';
import { toArrayBuffer } from '../support/bytes.js';
import { flushMicrotasks } from '../support/microtasks.js';

/** Moves frames sent on one fake channel to the other, both ways, until none is left; returns the cursors. */
export async function exchange(a: FakeRTCPeerConnection, b: FakeRTCPeerConnection, cursors = { a: 0, b: 0 }) {
  const [ca, cb] = [a.channels[0], b.channels[0]];
  if (!ca || !cb) throw new Error('no channel');
  while (cursors.a < ca.sent.length || cursors.b < cb.sent.length) {
    for (; cursors.a < ca.sent.length; cursors.a++) cb.receive(toArrayBuffer(ca.sent[cursors.a]));
    for (; cursors.b < cb.sent.length; cursors.b++) ca.receive(toArrayBuffer(cb.sent[cursors.b]));
    await flushMicrotasks();
  }
  return cursors;
}

/** Brings both pcs' transports up and opens their channels, then exchanges frames until quiet. */
export async function link(a: FakeRTCPeerConnection, b: FakeRTCPeerConnection) {
  for (const pc of [a, b]) pc.setConnectionState('connected');
  for (const pc of [a, b]) pc.channels[0]?.open();
  await flushMicrotasks();
  return exchange(a, b);
}

/** alice and bob connected on the fakes, with the pcs and the frame cursors between them. */
export interface ConnectedPair {
  alice: PeerSystem;
  bob: PeerSystem;
  toBob: PeerHandle;
  toAlice: PeerHandle;
  pcA: FakeRTCPeerConnection;
  pcB: FakeRTCPeerConnection;
  cursors: { a: number; b: number };
}

export interface Harness {
  hub: ReturnType<typeof createFakeSignaling>;
  systems: Map<string, PeerSystem>;
  /** A system on the fakes, with its signaling session open. */
  system(localId: string, options?: Partial<PeerSystemOptions>): Promise<PeerSystem>;
  /** The pc a system created, by creation order among all pcs of the harness. */
  pcs: FakeRTCPeerConnection[];
  /** The newest pc the system of `localId` created. */
  pcOf(localId: string): FakeRTCPeerConnection;
  /** Delivers every queued signaling frame, letting async work settle between frames. */
  deliverAll(): Promise<void>;
  /** Settles every pending operation of `pcs` (oldest first) and delivers every frame, until quiet. */
  quiesce(...pcs: FakeRTCPeerConnection[]): Promise<void>;
  /**
   * alice (impolite, offers) and bob (polite) connected: negotiated, transport up, hellos exchanged;
   * `options` apply to alice's system.
   */
  connectedPair(options?: Partial<PeerSystemOptions>): Promise<ConnectedPair>;
  /**
   * Drives the newest pc of `offerer` (impolite), then the newest of `answerer`, through negotiation,
   * brings both up and exchanges the channel frames; resolves with the two pcs.
   */
  linkNewest(offerer: string, answerer: string): Promise<[FakeRTCPeerConnection, FakeRTCPeerConnection]>;
  stopAll(): Promise<void>;
}

export function createHarness(): Harness {
  const hub = createFakeSignaling();
  const systems = new Map<string, PeerSystem>();
  const owners = new Map<FakeRTCPeerConnection, string>();
  const fakes = new Map<string, ReturnType<typeof createFakeRtc>>();
  const pcs: FakeRTCPeerConnection[] = [];

  return {
    hub,
    systems,
    pcs,
    async system(localId, options = {}) {
      const fake = createFakeRtc();
      fakes.set(localId, fake);
      const original = fake.connections.push.bind(fake.connections);
      fake.connections.push = (...items) => {
        for (const pc of items) {
          owners.set(pc, localId);
          pcs.push(pc);
        }
        return original(...items);
      };
      const system = createPeerSystem({
        localId,
        url: 'ws://fake',
        room: 'races',
        rtc: fake.rtc,
        WebSocket: hub.WebSocket,
        maxBufferedCandidates: 4,
        ...options,
      });
      systems.set(localId, system);
      hub.openAll();
      hub.deliverAll();
      await flushMicrotasks();
      return system;
    },
    pcOf(localId) {
      const mine = pcs.filter((pc) => owners.get(pc) === localId);
      const pc = mine.at(-1);
      if (!pc) throw new Error(`${localId} has no pc`);
      return pc;
    },
    async deliverAll() {
      while (hub.deliver()) await flushMicrotasks();
    },
    async quiesce(...targets) {
      for (let progressed = true; progressed; ) {
        progressed = false;
        while (hub.deliver()) await flushMicrotasks();
        for (const pc of targets) {
          const op = pc.pending()[0];
          if (op) {
            op.resolve();
            await flushMicrotasks();
            progressed = true;
          }
        }
      }
    },
    async connectedPair(options) {
      const alice = await this.system('alice', options);
      const bob = await this.system('bob');
      const toBob = alice.connect('bob');
      await flushMicrotasks();
      const [pcA, pcB] = await this.linkNewest('alice', 'bob');
      const cursors = { a: pcA.channels[0]?.sent.length ?? 0, b: pcB.channels[0]?.sent.length ?? 0 };
      const toAlice = bob.peer('alice');
      if (!toAlice || toBob.state !== 'connected' || toAlice.state !== 'connected') {
        throw new Error('pair did not connect');
      }
      return { alice, bob, toBob, toAlice, pcA, pcB, cursors };
    },
    async linkNewest(offerer, answerer) {
      const pcA = this.pcOf(offerer);
      await this.quiesce(pcA);
      const pcB = this.pcOf(answerer);
      await this.quiesce(pcA, pcB);
      await link(pcA, pcB);
      return [pcA, pcB];
    },
    async stopAll() {
      await Promise.all([...systems.values()].map((s) => s.stop()));
    },
  };
}

/** Settles `name` on `pc` and lets the consequences run. */
export async function settle(
  pc: FakeRTCPeerConnection,
  name: string,
  outcome?: { reject?: Error },
): Promise<void> {
  pc.settle(name, outcome);
  await flushMicrotasks();
}

/** Candidate strings of the signals queued in the hub towards `peerId`. */
export function queuedCandidatesTo(hub: Harness['hub'], peerId: string): string[] {
  return hub.queue
    .map((q) => q.describe)
    .filter((d) => d.startsWith(`hub → ${peerId} `) && d.includes('"type":"candidate"'));
}
