/**
 * A deterministic harness for race tests: peer systems on the scripted fake RTCPeerConnection and the
 * in-memory signaling hub from peerstate/testing. Nothing moves until the test says so: frames are
 * delivered by `hub.deliver*`, pc promises settled by `pc.settle(...)`, pc events fired by the test.
 */
import type { PeerSystem, PeerSystemOptions } from '../../src/index.js';
import { createPeerSystem } from '../../src/index.js';
import type { FakeRTCPeerConnection } from '../../src/testing/index.js';
import { createFakeRtc, createFakeSignaling } from '../../src/testing/index.js';

/** Lets promise callbacks (XState promise actors, the binding's chain) run; no timers involved. */
export async function flush(rounds = 30): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
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
      await flush();
      return system;
    },
    pcOf(localId) {
      const mine = pcs.filter((pc) => owners.get(pc) === localId);
      const pc = mine.at(-1);
      if (!pc) throw new Error(`${localId} has no pc`);
      return pc;
    },
    async deliverAll() {
      while (hub.deliver()) await flush();
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
  await flush();
}

/** Candidate strings of the signals queued in the hub towards `peerId`. */
export function queuedCandidatesTo(hub: Harness['hub'], peerId: string): string[] {
  return hub.queue
    .map((q) => q.describe)
    .filter((d) => d.startsWith(`hub → ${peerId} `) && d.includes('"type":"candidate"'));
}
