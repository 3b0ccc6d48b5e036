/**
 * Random interleavings of everything that can happen to 2-3 peers at once, with fast-check's
 * scheduler choosing the order: signaling frames, pc promise resolutions (and rejections), pc state
 * changes, channel opens and frames, timers, and user calls (connect, close, send, stop). Each run
 * checks the invariants below after every step and at the end; a broken one is a violation.
 *
 * Invariants:
 * 1. no remote candidate is applied to a pc before it has a remote description;
 * 2. no signal is sent on a socket that is not open, and no superseded session sends anything;
 * 3. at most one actor per peer id in a system, and never more open pcs in a system than it has live peer
 *    actors (each actor owns at most one pc);
 * 4. every peer is in a state of the chart when the run ends;
 * 5. nothing is thrown into the event loop (no unhandled rejection, no uncaught exception, no actor error);
 * 6. what a system receives from a peer id comes once and in the order it was sent: each message
 *    names its sender and a number that grows per sender, across closes, reconnects and restarts
 *    of either side (RR, RV-7);
 * 7. a message is emitted only while its peer is `connected` (RV-6).
 *
 * Besides the user calls, a run may restart a system (stop it and start a new one with the same id:
 * a remote restart, RR) or close a peer and connect to it again at once (RV-7).
 */
import fc from 'fast-check';
import type { PeerSnapshot } from '../../machines/peer.js';
import { PEER_STATES } from '../../machines/peer.js';
import { SIGNALING_CHILD_ID } from '../../machines/system.js';
import type { PeerSystem } from '../../src/index.js';
import { createPeerSystem } from '../../src/index.js';
import type { FakeRTCPeerConnection, FakeWebSocket } from '../../src/testing/index.js';
import { createFakeRtc, createFakeSignaling } from '../../src/testing/index.js';
import { toArrayBuffer } from '../support/bytes.js';
import { flushMicrotasks } from '../support/microtasks.js';

/** A user call or a fault, applied at a moment the scheduler picks. */
export type Stimulus =
  | { kind: 'connect'; from: number; to: number }
  | { kind: 'close'; from: number; to: number }
  | { kind: 'send'; from: number; to: number }
  | { kind: 'stop'; who: number }
  | { kind: 'restart'; who: number }
  | { kind: 'closeConnect'; from: number; to: number }
  | { kind: 'pcState'; pc: number; state: 'disconnected' | 'failed' | 'connected' }
  | { kind: 'rejectNext'; pc: number }
  | { kind: 'dropSocket'; who: number }
  | { kind: 'tick'; ms: number };

/** One generated scenario. */
export interface Plan {
  peers: number;
  stimuli: Stimulus[];
}

/** Arbitrary scenarios: 2-3 peers, up to 12 stimuli. */
export function planArbitrary(): fc.Arbitrary<Plan> {
  return fc.integer({ min: 2, max: 3 }).chain((peers) => {
    const peer = fc.integer({ min: 0, max: peers - 1 });
    const pair = fc.tuple(peer, peer).filter(([a, b]) => a !== b);
    // Weighted towards connect and send so that most runs get somewhere before faults hit.
    const stimulus: fc.Arbitrary<Stimulus> = fc.oneof(
      { weight: 4, arbitrary: pair.map(([from, to]) => ({ kind: 'connect' as const, from, to })) },
      { weight: 1, arbitrary: pair.map(([from, to]) => ({ kind: 'close' as const, from, to })) },
      { weight: 2, arbitrary: pair.map(([from, to]) => ({ kind: 'send' as const, from, to })) },
      { weight: 1, arbitrary: peer.map((who) => ({ kind: 'stop' as const, who })) },
      { weight: 1, arbitrary: peer.map((who) => ({ kind: 'restart' as const, who })) },
      { weight: 1, arbitrary: pair.map(([from, to]) => ({ kind: 'closeConnect' as const, from, to })) },
      {
        weight: 1,
        arbitrary: fc.record({
          kind: fc.constant('pcState' as const),
          pc: fc.nat(5),
          state: fc.constantFrom('disconnected' as const, 'failed' as const, 'connected' as const),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('rejectNext' as const), pc: fc.nat(5) }) },
      { weight: 1, arbitrary: peer.map((who) => ({ kind: 'dropSocket' as const, who })) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(500, 2_000, 5_000).map((ms) => ({ kind: 'tick' as const, ms })),
      },
    );
    return fc.record({ peers: fc.constant(peers), stimuli: fc.array(stimulus, { maxLength: 12 }) });
  });
}

/** Clock control the run needs (fake timers from the caller: vitest's `vi` or @sinonjs). */
export interface Clock {
  advance(ms: number): void;
}

const ids = ['a', 'b', 'c'];

/** What a run reached, to show the runs exercise something. */
export interface RunStats {
  steps: number;
  candidatesApplied: number;
  connectedPeers: number;
  /** Messages emitted to the applications (checked by invariants 6 and 7). */
  messagesReceived: number;
}

/** Runs one scenario under the scheduler; resolves with the invariant violations (empty: none). */
export async function runInterleaving(
  s: fc.Scheduler,
  plan: Plan,
  clock: Clock,
  stats?: RunStats,
): Promise<string[]> {
  const violations: string[] = [];
  const hub = createFakeSignaling();
  const pcs: { pc: FakeRTCPeerConnection; owner: string }[] = [];
  const rejectNext = new Set<FakeRTCPeerConnection>();
  const inFlight = new Map<FakeRTCPeerConnection, (string | ArrayBuffer | ArrayBufferView)[]>();
  const latestSocket = new Map<string, FakeWebSocket>();
  const unhandled = (reason: unknown) => violations.push(`thrown into the event loop: ${String(reason)}`);
  process.on('unhandledRejection', unhandled);
  process.on('uncaughtException', unhandled);

  const later = (label: string, run: () => void) => {
    s.schedule(Promise.resolve(label), label).then(
      () => {
        try {
          run();
        } catch (error) {
          violations.push(`${label} threw: ${String(error)}`);
        }
      },
      () => {},
    );
  };
  hub.onQueued = (describe) =>
    later(`frame ${describe.slice(0, 60)}`, () => hub.deliver((d) => d === describe));
  hub.onSocket = (socket) =>
    later('socket open', () => {
      socket.acceptOpen();
    });

  const systems: PeerSystem[] = [];
  // Invariant 6: per sender id, the next message number; per receiving system and sender, the last
  // number received.
  const nextNumber = new Map<string, number>();
  const lastReceived = new Map<PeerSystem, Map<string, number>>();
  // pcs are owned by a system run, not an id: a restarted system's old pcs close as its stop goes on.
  const ownerOf = new Map<PeerSystem, string>();
  let runs = 0;
  const startSystem = (i: number): PeerSystem => {
    const localId = ids[i] as string;
    const owner = `${localId}@${++runs}`;
    const rtc = createFakeRtc({
      hooks: {
        onConnection: (pc) => pcs.push({ pc, owner }),
        onOperation: (pc, op) => {
          if (op.name === 'addIceCandidate' && pc.remoteDescription === null) {
            violations.push(`${localId}: candidate applied before a remote description`);
          }
          later(`${localId} ${op.name}`, () => {
            if (rejectNext.delete(pc)) op.reject(new Error('scripted failure'));
            else op.resolve();
            // Gathering follows setLocalDescription: two host candidates, then end-of-candidates.
            if (op.name === 'setLocalDescription' && pc.localDescription?.type !== 'rollback') {
              for (const n of [1, 2])
                later(`${localId} gather`, () => pc.closed || pc.gatherCandidate(pc.hostCandidate(n)));
              later(`${localId} gather end`, () => pc.closed || pc.gatherCandidate(null));
            }
            // Both descriptions in place: the transport comes up and the channel opens, later.
            if (pc.localDescription && pc.remoteDescription && pc.connectionState === 'new') {
              later(`${localId} transport up`, () => {
                if (pc.closed) return;
                pc.setConnectionState('connected');
                pc.channels[0]?.open();
              });
            }
          });
        },
        // The data channel is reliable and ordered (SCTP): a pc's frames leave in the order sent,
        // each at a moment the scheduler picks.
        onSend: (pc, _channel, sent) => {
          const queue = inFlight.get(pc) ?? [];
          inFlight.set(pc, queue);
          queue.push(sent);
          later(`${localId} frame`, () => {
            const frame = queue.shift();
            if (!frame) return;
            const remote = pcs.find(
              ({ pc: other }) =>
                other !== pc &&
                !other.closed &&
                other.remoteDescription?.sdp === pc.localDescription?.sdp &&
                pc.remoteDescription?.sdp === other.localDescription?.sdp,
            );
            const channel = remote?.pc.channels[0];
            if (channel?.readyState === 'open') channel.receive(toArrayBuffer(frame));
          });
        },
      },
    });
    const WebSocketImpl = hub.WebSocket;
    const system = createPeerSystem({
      localId,
      url: 'ws://fake',
      room: 'property',
      rtc: rtc.rtc,
      WebSocket: class extends (WebSocketImpl as unknown as new (url: string) => FakeWebSocket) {
        constructor(url: string) {
          super(url);
          latestSocket.set(localId, this);
          const send = this.send.bind(this);
          this.send = (data: string) => {
            if (this.readyState !== 1) violations.push(`${localId}: sent on a socket that is not open`);
            else if (latestSocket.get(localId) !== this)
              violations.push(`${localId}: a superseded session sent a frame`);
            else send(data);
          };
        }
      } as unknown as typeof WebSocketImpl,
      connectTimeoutMs: 4_000,
    });
    system.actor.subscribe({ error: (e) => violations.push(`${localId}: actor error ${String(e)}`) });
    const received = new Map<string, number>();
    lastReceived.set(system, received);
    system.messages$.subscribe(({ from, data }) => {
      const [sender, number] = String(data).split('#');
      const n = Number(number);
      if (sender !== from) violations.push(`${localId}: a message of ${sender} emitted as ${from}'s`);
      if (n <= (received.get(from) ?? 0))
        violations.push(
          `${localId}: message ${n} from ${from} after ${received.get(from)} (duplicate or reordered)`,
        );
      received.set(from, n);
      if (stats) stats.messagesReceived++;
      const state = system.peer(from)?.state;
      if (state !== 'connected') violations.push(`${localId}: message from ${from} emitted while ${state}`);
    });
    ownerOf.set(system, owner);
    systems[i] = system;
    return system;
  };
  for (let i = 0; i < plan.peers; i++) startSystem(i);

  const stopped: PeerSystem[] = [];
  const checkCounts = () => {
    for (const [i, system] of systems.entries()) {
      const remotes: string[] = [];
      for (const child of Object.values(system.actor.getSnapshot().children)) {
        if (!child || child.id === SIGNALING_CHILD_ID) continue;
        const snapshot = child.getSnapshot() as { status: string; context: { remoteId: string } };
        if (snapshot.status === 'active') remotes.push(snapshot.context.remoteId);
      }
      if (new Set(remotes).size !== remotes.length) violations.push(`${ids[i]}: two actors for one peer id`);
      const open = pcs.filter(({ pc, owner }) => owner === ownerOf.get(system) && !pc.closed).length;
      if (open > remotes.length)
        violations.push(`${ids[i]}: ${open} open pcs for ${remotes.length} peer actors`);
    }
  };

  for (const stimulus of plan.stimuli) {
    later(`stimulus ${stimulus.kind}`, () => {
      switch (stimulus.kind) {
        case 'connect':
          if (systems[stimulus.from]?.actor.getSnapshot().status === 'active') {
            systems[stimulus.from]?.connect(ids[stimulus.to] as string);
          }
          break;
        case 'close':
          systems[stimulus.from]?.peer(ids[stimulus.to] as string)?.close();
          break;
        case 'closeConnect': {
          const system = systems[stimulus.from];
          system?.peer(ids[stimulus.to] as string)?.close();
          if (system?.actor.getSnapshot().status === 'active') system.connect(ids[stimulus.to] as string);
          break;
        }
        case 'send': {
          // To the peer's handle, connecting first if there is none (connect gives the existing one).
          const system = systems[stimulus.from];
          const handle =
            system?.actor.getSnapshot().status === 'active'
              ? system.connect(ids[stimulus.to] as string)
              : undefined;
          const sender = ids[stimulus.from] as string;
          const n = (nextNumber.get(sender) ?? 0) + 1;
          try {
            handle?.send(`${sender}#${n}`);
            nextNumber.set(sender, n);
          } catch (error) {
            if (!(error instanceof Error && 'code' in error))
              violations.push(`send threw an untyped error: ${String(error)}`);
          }
          break;
        }
        case 'stop':
          void systems[stimulus.who]?.stop();
          break;
        case 'restart': {
          const old = systems[stimulus.who];
          if (old?.actor.getSnapshot().status !== 'active') break;
          // The old system goes away at once, as a killed process would; a new one takes its id.
          void old.stop();
          stopped.push(old);
          startSystem(stimulus.who);
          break;
        }
        case 'pcState': {
          const target = pcs[stimulus.pc];
          if (target && !target.pc.closed) target.pc.setConnectionState(stimulus.state);
          break;
        }
        case 'rejectNext': {
          const target = pcs[stimulus.pc];
          if (target) rejectNext.add(target.pc);
          break;
        }
        case 'dropSocket':
          latestSocket.get(ids[stimulus.who] as string)?.closeFromServer();
          break;
        case 'tick':
          clock.advance(stimulus.ms);
          break;
      }
      checkCounts();
    });
  }

  // Let everything the scheduler holds run, in its order, until nothing is left (bounded).
  for (let step = 0; step < 2_000; step++) {
    await flushMicrotasks();
    if (s.count() === 0) break;
    await s.waitOne();
    if (stats) stats.steps++;
    checkCounts();
    if (stats) {
      const connected = systems.flatMap((system) =>
        ids.map((id) => system.peer(id)?.state).filter((state) => state === 'connected'),
      ).length;
      stats.connectedPeers = Math.max(stats.connectedPeers, connected);
    }
  }
  if (stats) stats.candidatesApplied += pcs.reduce((n, { pc }) => n + pc.appliedCandidates.length, 0);
  if (s.count() > 0) violations.push('the run did not settle within 2,000 steps');

  for (const [i, system] of systems.entries()) {
    for (const child of Object.values(system.actor.getSnapshot().children)) {
      if (!child || child.id === SIGNALING_CHILD_ID) continue;
      const snapshot = child.getSnapshot() as PeerSnapshot;
      if (!PEER_STATES.some((state) => snapshot.hasTag(state)))
        violations.push(
          `${ids[i]}: peer in no public state of the chart (${JSON.stringify(snapshot.value)})`,
        );
    }
  }
  await Promise.all([...systems, ...stopped].map((system) => system.stop()));
  await flushMicrotasks();
  process.off('unhandledRejection', unhandled);
  process.off('uncaughtException', unhandled);
  return violations;
}
