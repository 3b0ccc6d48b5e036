import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { LIMITS, type Signal } from '../../src/protocol/signals.js';
import {
  type SignalingServer,
  type SignalingServerOptions,
  startSignalingServer,
} from '../../src/server/index.js';
import { signalingClients } from '../support/signaling-client.js';
import { until } from '../support/time.js';

const servers: SignalingServer[] = [];
const clients = signalingClients();
const { connect, join } = clients;

afterEach(async () => {
  clients.terminateAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function start(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const server = await startSignalingServer({ port: 0, log: () => {}, ...options });
  servers.push(server);
  return server;
}

const offer: Signal = { type: 'description', description: { type: 'offer', sdp: 'v=0\r\n' } };

describe('signaling server', () => {
  it('listens on 127.0.0.1 on a free port', async () => {
    const server = await start();
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`ws://127.0.0.1:${server.port}`);
  });

  it('answers join with welcome listing the other peers of the room, sorted', async () => {
    const server = await start();
    const first = await join(server.url, 'r1', 'carol');
    expect(first.welcome).toEqual({ v: 1, type: 'welcome', room: 'r1', peerId: 'carol', peers: [] });
    await join(server.url, 'r1', 'alice');
    await join(server.url, 'other-room', 'dave');
    const { welcome } = await join(server.url, 'r1', 'bob');
    expect(welcome).toEqual({ v: 1, type: 'welcome', room: 'r1', peerId: 'bob', peers: ['alice', 'carol'] });
    expect(server.stats()).toMatchObject({ connections: 4, rooms: 2, peers: 4 });
  });

  it('tells the others when a peer joins and when it leaves, and deletes empty rooms', async () => {
    const server = await start();
    const alice = await join(server.url, 'r', 'alice');
    const bob = await join(server.url, 'r', 'bob');
    expect(await alice.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'bob', present: true });

    bob.client.socket.close();
    expect(await alice.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'bob', present: false });
    // Alice saw the departure, so the server has already updated its rooms.
    expect(server.stats()).toMatchObject({ rooms: 1, peers: 1 });

    alice.client.socket.close();
    await alice.client.closed;
    expect(await until(() => server.stats().connections === 0, 2_000)).toBe(true);
    expect(server.stats()).toMatchObject({ rooms: 0, peers: 0 });
  });

  it('relays a signal to its recipient stamped with from', async () => {
    const server = await start();
    const alice = await join(server.url, 'r', 'alice');
    const bob = await join(server.url, 'r', 'bob');
    await alice.client.next(); // presence of bob

    const candidate: Signal = {
      type: 'candidate',
      candidate: { candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host', sdpMid: '0', sdpMLineIndex: 0 },
    };
    alice.client.send({ v: 1, type: 'signal', to: 'bob', signal: offer });
    alice.client.send({ v: 1, type: 'signal', to: 'bob', signal: candidate });
    bob.client.send({ v: 1, type: 'signal', to: 'alice', signal: { type: 'candidate', candidate: null } });

    expect(await bob.client.next()).toEqual({ v: 1, type: 'signal', from: 'alice', signal: offer });
    expect(await bob.client.next()).toEqual({ v: 1, type: 'signal', from: 'alice', signal: candidate });
    expect(await alice.client.next()).toEqual({
      v: 1,
      type: 'signal',
      from: 'bob',
      signal: { type: 'candidate', candidate: null },
    });
    expect(server.stats().relayed).toBe(3);
  });

  it('does not relay across rooms: a peer of another room is unknown, and the sender stays open', async () => {
    const server = await start();
    const alice = await join(server.url, 'r1', 'alice');
    await join(server.url, 'r2', 'bob');

    alice.client.send({ v: 1, type: 'signal', to: 'bob', signal: offer });
    expect(await alice.client.next()).toMatchObject({ v: 1, type: 'error', code: 'unknown-peer' });

    // Still open and usable.
    const carol = await join(server.url, 'r1', 'carol');
    expect(await alice.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'carol', present: true });
    alice.client.send({ v: 1, type: 'signal', to: 'carol', signal: { type: 'hello' } });
    expect(await carol.client.next()).toEqual({
      v: 1,
      type: 'signal',
      from: 'alice',
      signal: { type: 'hello' },
    });
    expect(server.stats().relayed).toBe(1);
  });

  it('refuses invalid frames with invalid-frame and counts them', async () => {
    const server = await start();
    const client = await connect(server.url);

    client.socket.send('{not json');
    expect(await client.next()).toMatchObject({ v: 1, type: 'error', code: 'invalid-frame' });
    client.send({ v: 1, type: 'join', room: 'r' }); // no peerId
    expect(await client.next()).toMatchObject({ v: 1, type: 'error', code: 'invalid-frame' });
    client.send({ v: 2, type: 'join', room: 'r', peerId: 'alice' }); // wrong version
    expect(await client.next()).toMatchObject({ v: 1, type: 'error', code: 'invalid-frame' });
    client.socket.send(Buffer.from('{}'), { binary: true });
    expect(await client.next()).toMatchObject({ v: 1, type: 'error', code: 'invalid-frame' });
    expect(server.stats().invalidFrames).toBe(4);

    // The socket is still usable after invalid frames.
    client.send({ v: 1, type: 'join', room: 'r', peerId: 'alice' });
    expect(await client.next()).toMatchObject({ type: 'welcome', peerId: 'alice' });
  });

  it('closes a socket with 1008 at maxInvalidFrames invalid frames', async () => {
    const server = await start({ maxInvalidFrames: 3 });
    const client = await connect(server.url);
    for (let i = 0; i < 3; i++) client.socket.send('nope');
    for (let i = 0; i < 3; i++) expect(await client.next()).toMatchObject({ code: 'invalid-frame' });
    expect((await client.closed).code).toBe(1008);
    expect(server.stats().invalidFrames).toBe(3);
  });

  it('refuses signals before join (not-joined) and a second join (already-joined)', async () => {
    const server = await start();
    const client = await connect(server.url);
    client.send({ v: 1, type: 'signal', to: 'bob', signal: offer });
    expect(await client.next()).toMatchObject({ v: 1, type: 'error', code: 'not-joined' });

    client.send({ v: 1, type: 'join', room: 'r', peerId: 'alice' });
    expect(await client.next()).toMatchObject({ type: 'welcome' });
    client.send({ v: 1, type: 'join', room: 'r2', peerId: 'alice2' });
    expect(await client.next()).toMatchObject({ v: 1, type: 'error', code: 'already-joined' });
    expect(server.stats()).toMatchObject({ rooms: 1, peers: 1 });
  });

  it('replaces the socket of a peer that joins again with its secret: 4001 to the old one, no presence to others', async () => {
    const server = await start();
    const bob = await join(server.url, 'r', 'bob');
    const alice1 = await join(server.url, 'r', 'alice', { secret: 'alice-secret' });
    expect(await bob.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'alice', present: true });

    const alice2 = await join(server.url, 'r', 'alice', { secret: 'alice-secret' });
    expect(alice2.welcome).toEqual({ v: 1, type: 'welcome', room: 'r', peerId: 'alice', peers: ['bob'] });
    expect(await alice1.client.closed).toEqual({ code: 4001, reason: 'replaced' });
    // Wait for the server to have seen the old socket close: that is when a wrong presence would go out.
    expect(await until(() => server.stats().connections === 2, 2_000)).toBe(true);
    expect(server.stats()).toMatchObject({ rooms: 1, peers: 2 });

    // Signals now reach the new socket.
    bob.client.send({ v: 1, type: 'signal', to: 'alice', signal: { type: 'hello' } });
    expect(await alice2.client.next()).toEqual({
      v: 1,
      type: 'signal',
      from: 'bob',
      signal: { type: 'hello' },
    });

    // Bob's next frame is about carol: no presence about alice was sent for the replacement.
    await join(server.url, 'r', 'carol');
    expect(await bob.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'carol', present: true });
  });

  it('closes a socket that sends a frame larger than maxFrameBytes with 1009', async () => {
    const server = await start({ maxFrameBytes: 1024 });
    const { client } = await join(server.url, 'r', 'alice');
    client.socket.send('x'.repeat(1025));
    expect((await client.closed).code).toBe(1009);
    expect(server.stats().invalidFrames).toBe(1);
  });

  it('accepts the largest SDP the protocol allows with the default frame limit', async () => {
    const server = await start();
    const alice = await join(server.url, 'r', 'alice');
    const bob = await join(server.url, 'r', 'bob');
    const signal: Signal = {
      type: 'description',
      description: { type: 'offer', sdp: 'a'.repeat(LIMITS.maxSdpChars) },
    };
    const frame = { v: 1, type: 'signal', to: 'bob', signal };
    expect(JSON.stringify(frame).length).toBeLessThanOrEqual(LIMITS.maxFrameBytes);
    alice.client.send(frame);
    expect(await bob.client.next()).toEqual({ v: 1, type: 'signal', from: 'alice', signal });
  });

  it('drops frames over the rate limit and says rate-limited', async () => {
    // 1 frame/s with bursts of 2: the join and one signal pass, the rest is dropped.
    const server = await start({ maxFramesPerSecond: 1 });
    const client = await connect(server.url);
    client.send({ v: 1, type: 'join', room: 'r', peerId: 'alice' });
    for (let i = 0; i < 4; i++)
      client.send({ v: 1, type: 'signal', to: 'nobody', signal: { type: 'hello' } });
    expect(await client.next()).toMatchObject({ type: 'welcome' });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'unknown-peer' });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'rate-limited' });
    expect(server.stats().rateLimited).toBeGreaterThanOrEqual(1);
    expect(client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('terminates a socket that does not answer pings', async () => {
    const server = await start({ pingIntervalMs: 20 });
    const silent = await connect(server.url, { autoPong: false });
    const healthy = await connect(server.url);
    expect((await silent.closed).code).toBe(1006);
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('close() closes every client, stops listening, and is idempotent', async () => {
    const server = await start();
    const { client: alice } = await join(server.url, 'r', 'alice');
    const bob = await connect(server.url); // connected, not joined

    const closing = server.close();
    expect(server.close()).toBe(closing);
    await closing;
    await Promise.all([alice.closed, bob.closed]);
    expect(server.stats()).toMatchObject({ connections: 0, rooms: 0, peers: 0 });
    await expect(server.close()).resolves.toBeUndefined();

    // Not listening any more.
    const refused = new WebSocket(server.url);
    const [error] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toBe('ECONNREFUSED');
  });

  it('leaves no timers or listening sockets behind after close()', async () => {
    const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const timersBefore = activeTimers();
    const setIntervalSpy = vi.spyOn(globalThis, 'setInterval');
    const clearIntervalSpy = vi.spyOn(globalThis, 'clearInterval');
    try {
      const server = await startSignalingServer({ pingIntervalMs: 50 });
      servers.push(server);
      const client = await connect(server.url);
      client.send({ v: 1, type: 'join', room: 'r', peerId: 'alice' });
      await client.next();
      await server.close();
      await client.closed;
      const cleared = new Set(clearIntervalSpy.mock.calls.map(([handle]) => handle));
      for (const result of setIntervalSpy.mock.results) expect(cleared.has(result.value)).toBe(true);
      // Other timers (vitest's, earlier tests' clients) come and go: only growth would be a leak.
      expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
      expect(process.getActiveResourcesInfo()).not.toContain('TCPServerWrap');
    } finally {
      setIntervalSpy.mockRestore();
      clearIntervalSpy.mockRestore();
    }
  });

  it('close() does not wait for HTTP requests still in progress', async () => {
    const server = await start();
    const tcp = connectTcp(server.port, '127.0.0.1');
    await once(tcp, 'connect');
    tcp.on('error', () => {}); // ECONNRESET is the expected outcome
    const tcpClosed = new Promise((resolve) => tcp.on('close', resolve));
    tcp.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // headers never finished
    await server.close();
    await tcpClosed;
  });

  it('rejects when the port is taken, and for options out of range', async () => {
    const server = await start();
    await expect(startSignalingServer({ port: server.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await expect(startSignalingServer({ maxFramesPerSecond: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(startSignalingServer({ maxFrameBytes: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(startSignalingServer({ pingIntervalMs: Number.POSITIVE_INFINITY })).rejects.toBeInstanceOf(
      RangeError,
    );
    await expect(startSignalingServer({ port: 70000 })).rejects.toBeInstanceOf(RangeError);
  });
});
