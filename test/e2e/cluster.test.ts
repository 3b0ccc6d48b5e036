/**
 * The cluster on real parts: a real redis-server, 3 signaling server processes (`peerstate serve
 * --redis`), 12 @roamhq/wrtc peers in this process, 3 rooms of 4 peers, each room spread over the 3
 * nodes and connected as a full mesh. Each peer's `url` is the list of the 3 nodes, its own first.
 *
 * One run, in phases: every link connects and carries messages across nodes; one node is SIGKILLed
 * (its peers move to the next node, presence converges, a newcomer links with every member of its
 * room); redis-server is restarted (signaling recovers, another newcomer links up). Messages flow in
 * every phase; at the end each direction has delivered every message once, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeerHandle, PeerSystem } from '../../src/index.js';
import { createNodePeerSystem } from '../../src/node/index.js';
import { type NodeProcess, spawnNode } from '../support/cluster-node.js';
import { type RedisProcess, startRedis } from '../support/redis-server.js';
import { sleep, until } from '../support/time.js';

const ROOMS = 3;
const PER_ROOM = 4;
/** Messages per direction and phase. */
const BATCH = 20;
/** Bound of each wait for the mesh to settle, in ms (a loaded 2-core machine is slow, not wrong). */
const SETTLE_MS = 60_000;

/** One direction of one link: what `from` received from `to`. */
interface Direction {
  readonly handle: PeerHandle;
  sent: number;
  /** The numbers of the messages received, in arrival order. */
  readonly received: number[];
  /** Times the link left `connected`. */
  drops: number;
}

let redis: RedisProcess;
let nodes: NodeProcess[] = [];
const systems = new Map<string, { system: PeerSystem; room: string; node: number }>();
const directions = new Map<string, Direction>();
/** Per peer: its signaling state now, and how many sessions it has opened so far. */
const signaling = new Map<PeerSystem, string>();
const sessionsOpened = new Map<PeerSystem, number>();
const errors: string[] = [];

const roomOf = (r: number) => `room-${r}`;
const peersOf = (room: string) => [...systems].filter(([, s]) => s.room === room).map(([id]) => id);

/** A peer on node `node` (its first URL), the others as failover, linked with its whole room. */
function addPeer(id: string, room: string, node: number): void {
  const urls = nodes.map((_, i) => nodes[(node + i) % nodes.length]?.url ?? '');
  const system = createNodePeerSystem({
    localId: id,
    url: urls,
    room,
    reconnectBackoff: { initialMs: 50, maxMs: 500 },
    // What is tested is that a signaling failover leaves open data channels alone; 12 wrtc peers in
    // one process on a loaded machine can stall the event loop past the default 1.5 s of silence.
    heartbeatIntervalMs: 1_000,
    heartbeatMisses: 10,
  });
  system.errors$.subscribe((e) => errors.push(`${id}: ${e.code} ${e.message}`));
  system.signaling$.subscribe((state) => {
    signaling.set(system, state);
    if (state === 'open') sessionsOpened.set(system, (sessionsOpened.get(system) ?? 0) + 1);
  });
  const others = peersOf(room);
  systems.set(id, { system, room, node });
  for (const other of others) {
    link(id, other);
    link(other, id);
  }
}

function link(from: string, to: string): void {
  const system = systems.get(from)?.system;
  if (!system) throw new Error(`no peer ${from}`);
  const handle = system.connect(to);
  const direction: Direction = {
    handle,
    sent: 0,
    received: [],
    drops: 0,
  };
  let connected = false;
  handle.state$.subscribe((state) => {
    if (connected && state !== 'connected') direction.drops++;
    connected = state === 'connected';
  });
  directions.set(`${from}>${to}`, direction);
  handle.messages$.subscribe((data) => direction.received.push(Number(data)));
}

/** Every direction sends its next `BATCH` numbered messages. */
function sendBatch(): void {
  for (const direction of directions.values()) {
    for (let i = 0; i < BATCH; i++) direction.handle.send(String(++direction.sent));
  }
}

/** The other side's direction: what `to` sent to `from` is counted on `from>to`. */
const delivered = () =>
  [...directions].every(([key, d]) => {
    const [from, to] = key.split('>');
    return d.received.length === directions.get(`${to}>${from}`)?.sent;
  });
/** What is not settled yet, for a failure's message. */
function unsettled(): string {
  const notConnected = [...directions].filter(([, d]) => d.handle.state !== 'connected');
  const short = [...directions].filter(([key, d]) => {
    const [from, to] = key.split('>');
    return d.received.length !== directions.get(`${to}>${from}`)?.sent;
  });
  const views = [...systems].map(
    ([id, { system }]) =>
      `${id}:${signaling.get(system)}:${Object.keys(system.actor.getSnapshot().context.present).sort().join('+')}`,
  );
  return `not connected: ${notConnected.map(([k, d]) => `${k}=${d.handle.state}`).join(' ')}; short: ${short.map(([k, d]) => `${k}=${d.received.length}`).join(' ')}; presence: ${views.join(' ')}; errors: ${errors.slice(-10).join(' | ')}`;
}

const settled = async () => {
  if (!(await until(() => allConnected() && delivered() && presenceConverged(), SETTLE_MS)))
    throw new Error(unsettled());
};

const drops = () => [...directions.values()].reduce((n, d) => n + d.drops, 0);
const allConnected = () => [...directions.values()].every((d) => d.handle.state === 'connected');
/** Every peer's signaling is open and sees exactly the rest of its room present. */
const presenceConverged = () =>
  [...systems].every(([id, { system, room }]) => {
    const present = Object.keys(system.actor.getSnapshot().context.present).sort();
    return (
      present.join() ===
      peersOf(room)
        .filter((p) => p !== id)
        .sort()
        .join()
    );
  });

beforeAll(async () => {
  redis = await startRedis();
  nodes = await Promise.all([0, 1, 2].map(() => spawnNode(redis.url, 3_000)));
}, 120_000);

afterAll(async () => {
  await Promise.all([...systems.values()].map(({ system }) => system.stop()));
  await Promise.all(nodes.map((node) => node.kill()));
  await redis.stop();
}, 60_000);

describe('cluster on real parts: 3 node processes, 12 peers in 3 rooms, redis-server', () => {
  it('links every pair across nodes; survives a SIGKILLed node and a Redis restart without losing a message', {
    timeout: 300_000,
  }, async () => {
    for (let r = 0; r < ROOMS; r++) {
      for (let k = 0; k < PER_ROOM; k++) addPeer(`p${r}-${k}`, roomOf(r), (r + k) % nodes.length);
    }
    sendBatch();
    await settled();
    expect(directions.size).toBe(ROOMS * PER_ROOM * (PER_ROOM - 1));

    // Open data channels need no signaling: no link may drop from here on.
    const dropsBefore = drops();
    // SIGKILL node 0: its four peers lose their session and move on to the next URL.
    const moved = [...systems.values()].filter((s) => s.node === 0).map((s) => s.system);
    const killedAt = performance.now();
    await nodes[0]?.kill();
    sendBatch();
    const reopened = () =>
      moved.every((s) => (sessionsOpened.get(s) ?? 0) >= 2 && signaling.get(s) === 'open');
    expect(await until(() => reopened() && presenceConverged(), SETTLE_MS)).toBe(true);
    const convergedMs = performance.now() - killedAt;
    // A newcomer on node 1 links with every member of room 0, some of whom moved off the dead node.
    addPeer('late-1', roomOf(0), 1);
    sendBatch();
    await settled();
    const linkedMs = performance.now() - killedAt;
    console.log(
      `failover: kill → presence converged ${Math.round(convergedMs)} ms → every link connected ${Math.round(linkedMs)} ms`,
    );

    // Restart redis-server (it comes back empty): the nodes re-announce their peers.
    await redis.stop();
    sendBatch();
    await sleep(300);
    await redis.start();
    addPeer('late-2', roomOf(1), 2);
    sendBatch();
    await settled();

    expect(drops()).toBe(dropsBefore);
    // Once each, in order: every direction received exactly 1, 2, ..., n.
    for (const d of directions.values()) expect(d.received).toEqual(d.received.map((_, i) => i + 1));
  });
});
