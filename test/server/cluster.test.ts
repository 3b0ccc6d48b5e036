import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Signal } from '../../src/protocol/signals.js';
import {
  type SignalingServer,
  type SignalingServerOptions,
  startSignalingServer,
} from '../../src/server/index.js';
import { spawnNode } from '../support/cluster-node.js';
import { startRedisProxy } from '../support/redis-proxy.js';
import { type RedisProcess, startRedis } from '../support/redis-server.js';
import { signalingClients } from '../support/signaling-client.js';
import { sleep, until } from '../support/time.js';

let redis: RedisProcess;
let inspector: Redis;
const servers: SignalingServer[] = [];
const clients = signalingClients();
const { join } = clients;

beforeAll(async () => {
  redis = await startRedis();
  inspector = new Redis(redis.url, { lazyConnect: true });
  // The Redis-restart test stops the server under it; it reconnects like the nodes do.
  inspector.on('error', () => {});
  await inspector.connect();
});

afterAll(async () => {
  inspector.disconnect();
  await redis.stop();
});

afterEach(async () => {
  clients.terminateAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
  await inspector.flushall();
});

async function node(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const server = await startSignalingServer({
    cluster: { redis: redis.url, nodeTtlMs: 900 },
    log: () => {},
    ...options,
  });
  servers.push(server);
  return server;
}

/** Two nodes, alice on the first and bob on the second, in room `r`, alice told of bob. */
async function aliceAndBob() {
  const [a, b] = [await node(), await node()];
  const alice = await join(a.url, 'r', 'alice');
  const bob = await join(b.url, 'r', 'bob');
  await alice.client.next(); // presence of bob
  return { a, b, alice, bob };
}

const hello = (from: string) => ({ v: 1, type: 'signal', from, signal: { type: 'hello' } });

const offer = (n: number): Signal => ({
  type: 'description',
  description: { type: 'offer', sdp: `v=0 ${n}` },
});

describe('signaling cluster over Redis', () => {
  it('shows every member of a room from every node, and their leaving', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const alice = await join(a.url, 'r', 'alice');
    const bob = await join(b.url, 'r', 'bob');
    expect(bob.welcome).toMatchObject({ type: 'welcome', peers: ['alice'] });
    expect(await alice.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'bob', present: true });
    const carol = await join(c.url, 'r', 'carol');
    expect(carol.welcome).toMatchObject({ type: 'welcome', peers: ['alice', 'bob'] });
    expect(await alice.client.next()).toMatchObject({ peerId: 'carol', present: true });
    expect(await bob.client.next()).toMatchObject({ peerId: 'carol', present: true });
    // A room elsewhere is not seen.
    await join(b.url, 'other', 'dave');

    bob.client.socket.close();
    expect(await alice.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'bob', present: false });
    expect(await carol.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'bob', present: false });
    expect(await inspector.hkeys('peerstate:room:r')).toEqual(expect.arrayContaining(['alice', 'carol']));
    expect(await inspector.hexists('peerstate:room:r', 'bob')).toBe(0);
  });

  it('relays signals to a peer on another node once, in order, stamped with from', async () => {
    const { a, b, alice, bob } = await aliceAndBob();
    const count = 200;
    for (let n = 0; n < count; n++) alice.client.send({ v: 1, type: 'signal', to: 'bob', signal: offer(n) });
    bob.client.send({ v: 1, type: 'signal', to: 'alice', signal: { type: 'hello' } });
    for (let n = 0; n < count; n++) {
      expect(await bob.client.next()).toEqual({ v: 1, type: 'signal', from: 'alice', signal: offer(n) });
    }
    expect(await alice.client.next()).toEqual({
      v: 1,
      type: 'signal',
      from: 'bob',
      signal: { type: 'hello' },
    });
    alice.client.send({ v: 1, type: 'signal', to: 'nobody', signal: { type: 'hello' } });
    expect(await alice.client.next()).toMatchObject({ type: 'error', code: 'unknown-peer' });
    expect(a.stats().cluster).toMatchObject({ relayedOut: count });
    expect(b.stats().cluster).toMatchObject({ relayedIn: count });
  });

  it('lets exactly one of two concurrent joins of one client (one secret) on two nodes hold its peer id', async () => {
    const [a, b] = [await node(), await node()];
    const witness = await join(a.url, 'r', 'witness');
    const ids = Array.from({ length: 8 }, (_, i) => `twin${i}`);
    const pairs = await Promise.all(
      ids.map(() => Promise.all([clients.connect(a.url), clients.connect(b.url)])),
    );
    pairs.forEach((pair, i) => {
      for (const client of pair)
        client.send({ v: 1, type: 'join', room: 'r', peerId: ids[i], secret: `secret-${i}` });
    });
    for (const [first, second] of pairs) {
      // The loser is closed as replaced, with or without a welcome first (its claim may lose the
      // race before its answer arrives); the winner stays, welcomed.
      const closes = await Promise.race([
        first.closed.then((closed) => ({ loser: 'first', ...closed })),
        second.closed.then((closed) => ({ loser: 'second', ...closed })),
      ]);
      expect(closes).toMatchObject({ code: 4001, reason: 'replaced' });
      const winner = closes.loser === 'first' ? second : first;
      expect(await winner.next()).toMatchObject({ type: 'welcome' });
      expect(winner.socket.readyState).toBe(winner.socket.OPEN);
    }
    // Redis names one holder per id, and the witness saw each id arrive once and never leave.
    const holders = await inspector.hgetall('peerstate:room:r');
    for (const id of ids) expect(holders[id]).toMatch(/^[0-9a-f]{12}\/[0-9a-z]+$/);
    const seen: string[] = [];
    while (seen.length < ids.length) {
      const frame = await witness.client.next();
      expect(frame).toMatchObject({ type: 'presence', present: true });
      if (frame.type === 'presence') seen.push(frame.peerId);
    }
    expect(seen.sort()).toEqual(ids);
  });

  it('gives every member of a room joined all at once over two nodes the same complete view', {
    timeout: 20_000,
  }, async () => {
    const [a, b] = [await node(), await node()];
    const ids = Array.from({ length: 16 }, (_, i) => `m${i}`);
    const joined = await Promise.all(ids.map((id, i) => join((i % 2 ? a : b).url, 'r', id)));
    // Each member's view: its welcome, then the presence it gets; it must reach the whole room.
    const views = joined.map(({ welcome }) => new Set(welcome.type === 'welcome' ? welcome.peers : []));
    const complete = () => views.every((view) => view.size === ids.length - 1);
    joined.forEach(({ client }, i) => {
      const pull = async (): Promise<void> => {
        while (!complete()) {
          const frame = await client.next();
          if (frame.type !== 'presence') throw new Error(`unexpected ${frame.type}`);
          if (frame.present) views[i]?.add(frame.peerId);
          else views[i]?.delete(frame.peerId);
        }
      };
      pull().catch(() => {});
    });
    expect(await until(complete, 10_000)).toBe(true);
  });

  it('refuses a join of a peer id held on another node without its secret, and joins past maxRoomPeers', async () => {
    const [a, b] = [await node(), await node({ maxRoomPeers: 2 })];
    const bob = await join(a.url, 'r', 'bob', { secret: 'bob-secret' });
    const impostor = await join(b.url, 'r', 'bob', { secret: 'guessed' });
    expect(impostor.welcome).toMatchObject({ type: 'error', code: 'peer-id-taken' });
    expect(await impostor.client.closed).toEqual({ code: 1008, reason: 'peer-id-taken' });
    expect(bob.client.socket.readyState).toBe(bob.client.socket.OPEN);
    expect(b.stats().refused['peer-id-taken']).toBe(1);

    await join(a.url, 'r', 'carol');
    const third = await join(b.url, 'r', 'dave');
    expect(third.welcome).toMatchObject({ type: 'error', code: 'room-full' });
    expect(await third.client.closed).toEqual({ code: 1013, reason: 'room-full' });
    // Bob's next frame is carol's arrival: neither refused join was ever present.
    expect(await bob.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'carol', present: true });
  });

  it('a second join of one socket is refused as already-joined', async () => {
    const a = await node();
    const alice = await join(a.url, 'r', 'alice');
    alice.client.send({ v: 1, type: 'join', room: 'r', peerId: 'alias' });
    expect(await alice.client.next()).toMatchObject({ type: 'error', code: 'already-joined' });
    expect(await inspector.hexists('peerstate:room:r', 'alias')).toBe(0);
  });

  it('refuses what arrives over Redis unless it is a valid frame for a local socket', async () => {
    const { b, alice, bob } = await aliceAndBob();
    const owner = await inspector.hget('peerstate:room:r', 'bob');
    const [bobNode, connection] = (owner ?? '').split('/');
    const channel = `peerstate:node:${bobNode}`;
    const hostile = [
      'garbage',
      `s ${connection}\nnot json`,
      `s ${connection}\n${JSON.stringify({ v: 1, type: 'signal', from: 'has space', signal: { type: 'hello' } })}`,
      `s ${connection}\n${JSON.stringify({ v: 1, type: 'presence', peerId: 'x', present: true })}`,
      `s zzzz\n${JSON.stringify({ v: 1, type: 'signal', from: 'eve', signal: { type: 'hello' } })}`,
      `s ${connection}\n${JSON.stringify({ v: 1, type: 'signal', from: 'eve', signal: offer(0), pad: 'x'.repeat(70_000) })}`,
    ];
    for (const message of hostile) await inspector.publish(channel, message);
    await inspector.publish('peerstate:room:r', `1 ${JSON.stringify({ v: 1, type: 'signal', from: 'eve' })}`);
    await inspector.publish('peerstate:room:r', 'no-seq {}');
    expect(await until(() => b.stats().cluster?.invalidMessages === hostile.length + 2, 2_000)).toBe(true);
    // Nothing of it reached bob: the next frame he gets is alice's.
    alice.client.send({ v: 1, type: 'signal', to: 'bob', signal: { type: 'hello' } });
    expect(await bob.client.next()).toEqual(hello('alice'));
  });

  it('leaves nothing in Redis once every node closed', async () => {
    const [a, b] = [await node(), await node()];
    await join(a.url, 'r', 'alice');
    await join(b.url, 'r', 'bob');
    expect(await inspector.dbsize()).toBeGreaterThan(0);
    await Promise.all(servers.splice(0).map((server) => server.close()));
    expect(await inspector.keys('*')).toEqual([]);
  });
});

describe('signaling cluster: failures', () => {
  // Bounded generously: starting a node process (node with tsx) is slow on a loaded machine.
  it('reports the members of a SIGKILLed node absent, and leaves nothing of it in Redis', {
    timeout: 60_000,
  }, async () => {
    const a = await node();
    const doomed = await spawnNode(redis.url);
    try {
      const alice = await join(a.url, 'r', 'alice');
      await join(doomed.url, 'r', 'bob');
      await join(doomed.url, 'r', 'carol');
      expect(await alice.client.next()).toMatchObject({ peerId: 'bob', present: true });
      expect(await alice.client.next()).toMatchObject({ peerId: 'carol', present: true });
      const [bobNode] = ((await inspector.hget('peerstate:room:r', 'bob')) ?? '').split('/');
      await doomed.kill();
      const absent = [await alice.client.next(), await alice.client.next()];
      expect(absent).toEqual(
        expect.arrayContaining([
          { v: 1, type: 'presence', peerId: 'bob', present: false },
          { v: 1, type: 'presence', peerId: 'carol', present: false },
        ]),
      );
      expect(await inspector.hkeys('peerstate:room:r')).toEqual(expect.arrayContaining(['alice']));
      expect(await inspector.hexists('peerstate:room:r', 'bob')).toBe(0);
      expect(await inspector.exists(`peerstate:node:${bobNode}`)).toBe(0);
    } finally {
      await doomed.kill();
    }
  });

  it('refuses signals with unavailable while Redis is down, and recovers by itself when it is back', async () => {
    const { a, b, alice, bob } = await aliceAndBob();
    await redis.stop();
    try {
      alice.client.send({ v: 1, type: 'signal', to: 'bob', signal: { type: 'hello' } });
      expect(await alice.client.next()).toMatchObject({ type: 'error', code: 'unavailable' });
      // A join cannot be claimed: refused, and the socket closed so that it tries again later.
      const late = await clients.connect(b.url);
      late.send({ v: 1, type: 'join', room: 'r', peerId: 'late' });
      expect(await late.next()).toMatchObject({ type: 'error', code: 'unavailable' });
      expect(await late.closed).toMatchObject({ code: 1013 });
    } finally {
      await redis.start();
      await inspector.connect().catch(() => {});
    }
    // Redis came back empty: the nodes announce their members again, and relay works.
    // Each node announces on its own reconnect: carol sees both once both did (welcome or presence).
    const carol = await joinWhenAvailable(a.url, 'carol');
    const view = new Set(carol.welcome.type === 'welcome' ? carol.welcome.peers : []);
    while (view.size < 2) {
      const frame = await carol.client.next();
      expect(frame).toMatchObject({ type: 'presence', present: true });
      if (frame.type === 'presence') view.add(frame.peerId);
    }
    expect([...view].sort()).toEqual(['alice', 'bob']);
    alice.client.send({ v: 1, type: 'signal', to: 'bob', signal: { type: 'hello' } });
    let frame = await bob.client.next();
    while (frame.type === 'presence') frame = await bob.client.next();
    expect(frame).toEqual(hello('alice'));
  });
});

describe('signaling cluster: races', () => {
  // CL-1: after Redis came back, a node re-announces its members; the presence of a peer announced
  // by another node can reach the member (subscriber connection) before the re-announce's reply
  // (command connection), whose snapshot is then older than what the member was already told.
  it('CL-1 presence that overtakes the reply of a re-announce is kept, not undone by the older snapshot', async () => {
    const proxy = await startRedisProxy(redis.port);
    try {
      const a = await startSignalingServer({ cluster: { redis: proxy.url, nodeTtlMs: 900 } });
      servers.push(a);
      const alice = await join(a.url, 'r', 'alice');
      await redis.stop();
      // The reply to a's re-announce of alice is held back by the proxy.
      const announced = proxy.holdAfter('\r\n$8\r\nannounce\r\n');
      await redis.start();
      await inspector.connect().catch(() => {});
      await announced;
      // bob joins on another node after that snapshot: alice hears of him first.
      const b = await node();
      await join(b.url, 'r', 'bob');
      expect(await alice.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'bob', present: true });
      await proxy.release();
      // The next thing alice hears is carol joining, not bob leaving.
      await joinWhenAvailable(a.url, 'carol');
      expect(await alice.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'carol', present: true });
    } finally {
      await proxy.release();
      await proxy.close();
    }
  });
});

/** Joins room `r` as `peerId`, again after each refusal while the nodes recover (a bounded number of times). */
async function joinWhenAvailable(url: string, peerId: string) {
  for (let attempt = 0; attempt < 100; attempt++) {
    const joined = await join(url, 'r', peerId);
    if (joined.welcome.type === 'welcome') return joined;
    await joined.client.closed;
    await sleep(50);
  }
  throw new Error(`${peerId} could not join`);
}
