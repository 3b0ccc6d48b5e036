/**
 * Crowds, floods and half-open handshakes against the embedded signaling server on 127.0.0.1
 * (docs/security.md), with raw `ws` and TCP attackers; other source addresses come from the loopback
 * range (127.0.0.2, 127.0.0.3, ...). What must hold: every limit refuses what passes it, with the
 * documented answer (HTTP 503 or 403, an `error` frame and close code), counts it in
 * `stats().refused`, and leaves the clients within the limits working. No timed assertions: small
 * configured timeouts, and the assertion is that the socket gets closed.
 */
import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  type SignalingServer,
  type SignalingServerOptions,
  startSignalingServer,
} from '../../src/server/index.js';
import { signalingClients } from '../support/signaling-client.js';

let server: SignalingServer;
const clients = signalingClients();

afterEach(async () => {
  clients.terminateAll();
  await server.close();
});

async function start(options: SignalingServerOptions): Promise<void> {
  server = await startSignalingServer({ log: () => {}, ...options });
}

/** The HTTP status of an upgrade refused before it became a WebSocket, or 101 if it was accepted. */
async function upgradeStatus(options: { localAddress?: string; origin?: string } = {}): Promise<number> {
  const socket = new WebSocket(server.url, options);
  socket.on('error', () => {});
  const status = await new Promise<number>((resolve) => {
    socket.on('open', () => resolve(101));
    socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    // A refusal may also come as a reset before the response is read.
    socket.on('close', () => resolve(0));
  });
  if (status === 101) clients.adopt(socket);
  else socket.terminate();
  return status;
}

describe('connection caps', () => {
  it('refuses a connection over maxConnectionsPerAddress with 503; other addresses still connect', async () => {
    await start({ maxConnectionsPerAddress: 3 });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await upgradeStatus({ localAddress: '127.0.0.2' }));
    expect(statuses).toEqual([101, 101, 101, 503, 503]);
    expect(await upgradeStatus({ localAddress: '127.0.0.3' })).toBe(101);
    expect(server.stats().refused['max-connections-per-address']).toBe(2);
    expect(server.stats().connections).toBe(4);
  });

  it('refuses a connection over maxConnections with 503, and admits one again once one closed', async () => {
    await start({ maxConnections: 3, maxConnectionsPerAddress: 2 });
    const first = await clients.connect(server.url, { localAddress: '127.0.0.2' });
    await clients.connect(server.url, { localAddress: '127.0.0.2' });
    await clients.connect(server.url, { localAddress: '127.0.0.3' });
    expect(await upgradeStatus({ localAddress: '127.0.0.4' })).toBe(503);
    expect(server.stats().refused['max-connections']).toBe(1);
    first.socket.close();
    await first.closed;
    // The server sees the close after the client does: a bounded wait for the free slot.
    let status = 0;
    for (let i = 0; i < 100 && status !== 101; i++)
      status = await upgradeStatus({ localAddress: '127.0.0.4' });
    expect(status).toBe(101);
  });
});

describe('joins', () => {
  it('refuses joins over maxJoinsPerMinutePerAddress with rate-limited and 1013', async () => {
    await start({ maxJoinsPerMinutePerAddress: 2 });
    await clients.join(server.url, 'r', 'a');
    await clients.join(server.url, 'r', 'b');
    const third = await clients.join(server.url, 'r', 'c');
    expect(third.welcome).toMatchObject({ type: 'error', code: 'rate-limited' });
    expect(await third.client.closed).toEqual({ code: 1013, reason: 'rate-limited' });
    expect(server.stats().refused['joins-per-minute-per-address']).toBe(1);
    expect(server.stats().peers).toBe(2);
  });

  it('refuses joins over maxJoinsPerMinute in all, from any address', async () => {
    await start({ maxJoinsPerMinute: 2 });
    const join = async (address: string, peerId: string) => {
      const client = await clients.connect(server.url, { localAddress: address });
      client.send({ v: 1, type: 'join', room: 'r', peerId });
      return { client, answer: await client.next() };
    };
    expect((await join('127.0.0.2', 'a')).answer).toMatchObject({ type: 'welcome' });
    expect((await join('127.0.0.3', 'b')).answer).toMatchObject({ type: 'welcome' });
    const third = await join('127.0.0.4', 'c');
    expect(third.answer).toMatchObject({ type: 'error', code: 'rate-limited' });
    expect(server.stats().refused['joins-per-minute']).toBe(1);
  });

  it('refuses a join past maxRoomPeers with room-full and 1013; other rooms and the members are untouched', async () => {
    await start({ maxRoomPeers: 2 });
    const alice = await clients.join(server.url, 'r', 'alice');
    await clients.join(server.url, 'r', 'bob');
    const carol = await clients.join(server.url, 'r', 'carol');
    expect(carol.welcome).toMatchObject({ type: 'error', code: 'room-full' });
    expect(await carol.client.closed).toEqual({ code: 1013, reason: 'room-full' });
    expect((await clients.join(server.url, 'other', 'carol')).welcome).toMatchObject({ type: 'welcome' });
    expect(await alice.client.next()).toEqual({ v: 1, type: 'presence', peerId: 'bob', present: true });
    expect(server.stats()).toMatchObject({ peers: 3, refused: { 'room-full': 1 } });
  });
});

describe('handshakes, floods and origins', () => {
  it('destroys connections that do not upgrade or do not join within handshakeTimeoutMs; a joined one stays', async () => {
    await start({ handshakeTimeoutMs: 100 });
    const joined = await clients.join(server.url, 'r', 'alice');
    // A TCP connection that sends half a request, and a WebSocket that never joins.
    const tcp = connectTcp(server.port, '127.0.0.1');
    tcp.on('error', () => {});
    await once(tcp, 'connect');
    tcp.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const tcpClosed = once(tcp, 'close');
    const idle = await clients.connect(server.url);
    await tcpClosed;
    expect((await idle.closed).code).toBe(1006);
    expect(server.stats().refused['handshake-timeout']).toBe(2);
    // Alice's timer, started before theirs, was cleared by her welcome.
    expect(joined.client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('closes a socket that stays over its rate with 1008 at maxRateLimitedFrames dropped frames', async () => {
    await start({ maxFramesPerSecond: 1, maxRateLimitedFrames: 10 });
    const { client } = await clients.join(server.url, 'r', 'flooder');
    const honest = await clients.join(server.url, 'r', 'honest');
    for (let i = 0; i < 50; i++)
      client.send({ v: 1, type: 'signal', to: 'honest', signal: { type: 'hello' } });
    expect(await client.closed).toEqual({ code: 1008, reason: 'rate limit exceeded' });
    expect(server.stats().refused.flooding).toBe(1);
    expect(server.stats().rateLimited).toBeGreaterThanOrEqual(10);
    expect(honest.client.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('refuses an upgrade from an origin not in allowedOrigins with 403; allowed or absent origins connect', async () => {
    await start({ allowedOrigins: ['https://app.example'] });
    expect(await upgradeStatus({ origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus({ origin: 'https://app.example' })).toBe(101);
    expect(await upgradeStatus()).toBe(101);
    expect(server.stats().refused.origin).toBe(1);
  });
});
