/**
 * The UDP relay of src/node/udp-relay.ts: plain dgram sockets through it, its candidate and SDP
 * rewriting, the server's `transformSignal` hook, and two real wrtc peers talking through it.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerSystem } from '../../src/index.js';
import { createNodePeerSystem } from '../../src/node/index.js';
import { createUdpRelay, type UdpRelay, UdpRelayCapacityError } from '../../src/node/udp-relay.js';
import type { Signal } from '../../src/protocol/signals.js';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import { type SignalingClient, signalingClients } from '../support/signaling-client.js';
import { sleep, until } from '../support/time.js';

const relays: UdpRelay[] = [];
const sockets: Socket[] = [];
const servers: SignalingServer[] = [];
const systems: PeerSystem[] = [];
const clients = signalingClients();

afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.stop()));
  clients.terminateAll();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(relays.splice(0).map((r) => r.close()));
  await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function relay(options?: Parameters<typeof createUdpRelay>[0]): Promise<UdpRelay> {
  const r = await createUdpRelay(options);
  relays.push(r);
  return r;
}

/** A UDP socket on 127.0.0.1 that records what it receives. */
async function endpoint(): Promise<{
  socket: Socket;
  port: number;
  got: { text: string; from: RemoteInfo }[];
}> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  const got: { text: string; from: RemoteInfo }[] = [];
  socket.on('message', (data, from) => got.push({ text: data.toString(), from }));
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return { socket, port: socket.address().port, got };
}

const LO = '127.0.0.1';
const hostLine = (ip: string, port: number, transport = 'udp', type = 'host') =>
  `candidate:1510613869 1 ${transport} 2122063615 ${ip} ${port} typ ${type} generation 0 ufrag DsUY network-id 3`;

describe('udp relay: plain sockets', () => {
  it('forwards both directions through per-endpoint relay sockets, drops while blocked, heals', async () => {
    const r = await relay();
    const a = await endpoint();
    const b = await endpoint();
    const toB = r.relayFor(LO, b.port);
    expect(toB.address).toBe(LO);
    expect(toB.port).not.toBe(b.port);
    expect(r.relayFor(LO, b.port)).toEqual(toB);

    a.socket.send('ping', toB.port, LO);
    expect(await until(() => b.got.length === 1, 5_000)).toBe(true);
    const fromA = b.got[0]?.from;
    expect(b.got[0]?.text).toBe('ping');
    // B sees R(A), not A: its answer goes back through the relay.
    expect(fromA?.address).toBe(LO);
    expect(fromA?.port).not.toBe(a.port);
    b.socket.send('pong', fromA?.port ?? 0, LO);
    expect(await until(() => a.got.length === 1, 5_000)).toBe(true);
    expect(a.got[0]?.text).toBe('pong');
    expect(a.got[0]?.from.port).toBe(toB.port);
    expect(r.stats()).toEqual({ forwarded: 2, dropped: 0, overCapacity: 0, errors: 0, sockets: 2 });

    r.block();
    expect(r.blocked).toBe(true);
    a.socket.send('lost-1', toB.port, LO);
    b.socket.send('lost-2', fromA?.port ?? 0, LO);
    expect(await until(() => r.stats().dropped === 2, 5_000)).toBe(true);
    r.heal();
    expect(r.blocked).toBe(false);
    a.socket.send('after', toB.port, LO);
    expect(await until(() => b.got.length === 2, 5_000)).toBe(true);
    // The datagrams sent while blocked never arrive: the first one after the cut is next.
    expect(b.got.map((m) => m.text)).toEqual(['ping', 'after']);
    expect(a.got.map((m) => m.text)).toEqual(['pong']);
    expect(r.stats()).toEqual({ forwarded: 3, dropped: 2, overCapacity: 0, errors: 0, sockets: 2 });
  });

  it('is bounded: a clear error past maxSockets, and unknown senders past it are counted', async () => {
    const r = await relay({ maxSockets: 2 });
    const a = await endpoint();
    const b = await endpoint();
    const c = await endpoint();
    const toA = r.relayFor(LO, a.port);
    r.relayFor(LO, b.port);
    expect(() => r.relayFor(LO, c.port)).toThrow(UdpRelayCapacityError);
    expect(() => r.rewriteCandidate(hostLine(LO, c.port))).toThrow(/all 2 relay sockets are in use/);
    // C has no relay socket and none can be made for it: its datagram is dropped.
    c.socket.send('x', toA.port, LO);
    expect(await until(() => r.stats().overCapacity === 1, 5_000)).toBe(true);
    expect(r.stats()).toMatchObject({ forwarded: 0, sockets: 2 });
    await expect(createUdpRelay({ maxSockets: 0 })).rejects.toThrow(RangeError);
  });

  it('close() releases every socket, is idempotent, and nothing is relayed after it', async () => {
    const r = await relay();
    const a = await endpoint();
    r.relayFor(LO, a.port);
    expect(r.stats().sockets).toBe(1);
    const first = r.close();
    expect(r.close()).toBe(first);
    await first;
    expect(r.stats().sockets).toBe(0);
    expect(r.rewriteCandidate(hostLine(LO, a.port))).toBeNull();
    expect(() => r.relayFor(LO, a.port)).toThrow(/closed/);
  });
});

describe('udp relay: rewriting', () => {
  it('rewrites UDP host candidates on 127.0.0.1 and refuses everything else', async () => {
    const r = await relay();
    const line = hostLine(LO, 55753);
    const rewritten = r.rewriteCandidate(line);
    const port = r.relayFor(LO, 55753).port;
    expect(rewritten).toBe(hostLine(LO, port));
    // Idempotent, and the SDP attribute form keeps its prefix.
    expect(r.rewriteCandidate(rewritten ?? '')).toBe(rewritten);
    expect(r.rewriteCandidate(`a=${line}`)).toBe(`a=${rewritten}`);
    // What the relay cannot carry: the caller drops it.
    expect(r.rewriteCandidate(hostLine('::1', 38425))).toBeNull();
    expect(r.rewriteCandidate(hostLine('192.0.2.2', 41680))).toBeNull();
    expect(r.rewriteCandidate(`${hostLine(LO, 55741, 'tcp')} tcptype passive`)).toBeNull();
    expect(r.rewriteCandidate(hostLine(LO, 55742, 'udp', 'srflx'))).toBeNull();
    expect(r.rewriteCandidate(hostLine(LO, 0))).toBeNull();
    expect(r.rewriteCandidate(hostLine(LO, 70000))).toBeNull();
    expect(r.rewriteCandidate('')).toBeNull();
    expect(r.rewriteCandidate('not a candidate')).toBeNull();
    expect(r.stats().sockets).toBe(1);
  });

  it('rewrites host candidates on the hostAddresses given (an interface address for Chromium), and only those', async () => {
    const r = await relay({ hostAddresses: [LO, '192.0.2.2'] });
    const port = r.relayFor('192.0.2.2', 41680).port;
    expect(r.rewriteCandidate(hostLine('192.0.2.2', 41680))).toBe(hostLine(LO, port));
    expect(r.rewriteCandidate(hostLine('192.0.2.3', 41680))).toBeNull();
    expect(r.rewriteCandidate(hostLine(LO, 55753))).toMatch(/^candidate:/);
    await expect(createUdpRelay({ hostAddresses: ['fd00::2'] })).rejects.toThrow(TypeError);
  });

  it('strips candidates and end-of-candidates from an SDP, keeping the rest and its line endings', async () => {
    const r = await relay();
    const sdp = [
      'v=0',
      'm=application 41680 UDP/DTLS/SCTP webrtc-datachannel',
      'c=IN IP4 192.0.2.2',
      `a=${hostLine('192.0.2.2', 41680)}`,
      `a=${hostLine(LO, 55753)}`,
      'a=end-of-candidates',
      'a=ice-ufrag:DsUY',
      'a=mid:0',
      '',
    ].join('\r\n');
    expect(r.rewriteSdp(sdp)).toBe(
      [
        'v=0',
        'm=application 41680 UDP/DTLS/SCTP webrtc-datachannel',
        'c=IN IP4 192.0.2.2',
        'a=ice-ufrag:DsUY',
        'a=mid:0',
        '',
      ].join('\r\n'),
    );
  });

  it('rewrites signals: descriptions stripped, candidates rewritten or dropped, the rest unchanged', async () => {
    const r = await relay();
    const description: Signal = {
      type: 'description',
      description: { type: 'offer', sdp: `v=0\r\na=${hostLine(LO, 1000)}\r\na=mid:0\r\n` },
    };
    expect(r.rewriteSignal(description)).toEqual({
      type: 'description',
      description: { type: 'offer', sdp: 'v=0\r\na=mid:0\r\n' },
    });
    const candidate = {
      candidate: hostLine(LO, 1000),
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'DsUY',
    };
    expect(r.rewriteSignal({ type: 'candidate', candidate })).toEqual({
      type: 'candidate',
      candidate: { ...candidate, candidate: hostLine(LO, r.relayFor(LO, 1000).port) },
    });
    expect(r.rewriteSignal({ type: 'candidate', candidate: { candidate: hostLine('::1', 1) } })).toBeNull();
    for (const signal of [
      { type: 'candidate', candidate: null },
      { type: 'hello' },
      { type: 'bye' },
    ] as Signal[]) {
      expect(r.rewriteSignal(signal)).toBe(signal);
    }
  });
});

/** A client that joined room `r` as `peerId`. */
async function joinRoom(url: string, peerId: string): Promise<SignalingClient> {
  const { client, welcome } = await clients.join(url, 'r', peerId);
  expect(welcome).toMatchObject({ type: 'welcome', peerId });
  return client;
}

describe('signaling server: transformSignal', () => {
  it('relays what it returns, in order, and drops what it maps to null', async () => {
    const calls: [string, string, string][] = [];
    const server = await startSignalingServer({
      transformSignal: (signal, from, to) => {
        calls.push([signal.type, from, to]);
        if (signal.type === 'hello') return null;
        if (signal.type === 'candidate') return { type: 'candidate', candidate: null };
        return signal;
      },
    });
    servers.push(server);
    const alice = await joinRoom(server.url, 'alice');
    const bob = await joinRoom(server.url, 'bob');
    expect(await alice.next()).toMatchObject({ type: 'presence', peerId: 'bob', present: true });
    const send = (signal: Signal) => alice.send({ v: 1, type: 'signal', to: 'bob', signal });
    send({ type: 'hello' });
    send({ type: 'candidate', candidate: { candidate: hostLine(LO, 1) } });
    send({ type: 'bye' });
    expect(await bob.next()).toEqual({
      v: 1,
      type: 'signal',
      from: 'alice',
      signal: { type: 'candidate', candidate: null },
    });
    expect(await bob.next()).toEqual({ v: 1, type: 'signal', from: 'alice', signal: { type: 'bye' } });
    expect(calls).toEqual([
      ['hello', 'alice', 'bob'],
      ['candidate', 'alice', 'bob'],
      ['bye', 'alice', 'bob'],
    ]);
    expect(server.stats().relayed).toBe(2);
  });
});

describe('udp relay: two real wrtc peers through it', () => {
  it('connects and carries messages only through the relay; a short block loses nothing once healed', async () => {
    const r = await relay();
    const seen = { candidates: 0, dropped: 0, sdpCandidates: 0 };
    const server = await startSignalingServer({
      transformSignal: (signal) => {
        const out = r.rewriteSignal(signal);
        if (signal.type === 'candidate' && signal.candidate) {
          if (out) seen.candidates += 1;
          else seen.dropped += 1;
        }
        if (out?.type === 'description' && /^a=candidate:/m.test(out.description.sdp))
          seen.sdpCandidates += 1;
        return out;
      },
    });
    servers.push(server);
    const system = (localId: string) => {
      const s = createNodePeerSystem({ localId, url: server.url, room: 'faults' });
      systems.push(s);
      return s;
    };
    const alice = system('alice');
    const bob = system('bob');
    const toBob = alice.connect('bob');
    const toAlice = bob.connect('alice');
    const atBob: (string | Uint8Array)[] = [];
    toAlice.messages$.subscribe((m) => atBob.push(m));

    toBob.send('before');
    // The channel may open (and carry 'before') just before the pc reports connected.
    expect(await until(() => atBob.length === 1 && toBob.state === 'connected', 20_000)).toBe(true);
    // Only rewritten candidates reached the peers, so every byte went through the relay.
    expect(seen.candidates).toBeGreaterThan(0);
    expect(seen.dropped).toBeGreaterThan(0);
    expect(seen.sdpCandidates).toBe(0);
    const forwarded = r.stats().forwarded;
    expect(forwarded).toBeGreaterThan(0);
    expect(r.stats().sockets).toBeGreaterThanOrEqual(2);

    // A short cut (well under wrtc's ~5 s to `disconnected`; the chart's recovery is not needed).
    const droppedBefore = r.stats().dropped;
    r.block();
    for (let i = 0; i < 3; i++) toBob.send(`during-${i}`);
    // The packets carrying them reach the relay and are dropped; none can reach bob.
    expect(await until(() => r.stats().dropped > droppedBefore, 2_000)).toBe(true);
    await sleep(300);
    expect(atBob).toEqual(['before']);
    r.heal();

    toBob.send('after');
    // SCTP retransmits what the cut lost: everything arrives, in order, each once.
    expect(await until(() => atBob.length === 5, 20_000)).toBe(true);
    expect(atBob).toEqual(['before', 'during-0', 'during-1', 'during-2', 'after']);
    expect(r.stats().forwarded).toBeGreaterThan(forwarded);
    expect(toBob.state).toBe('connected');
    expect(toAlice.state).toBe('connected');
  }, 60_000);
});
