/**
 * Peer id takeover through the signaling server (docs/security.md), with real parts: the embedded
 * server on 127.0.0.1, alice and bob as real wrtc peer systems, and a raw `ws` impostor that joins
 * the room as bob while bob is connected. What must hold: every impostor join is refused with the
 * documented error and close code, the impostor reads none of the signals or messages meant for
 * bob, and alice's messages still reach the real bob.
 */
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerHandle, PeerSystem } from '../../src/index.js';
import { createNodePeerSystem } from '../../src/node/index.js';
import {
  createJoinToken,
  joinTokenAuthenticator,
  type SignalingServer,
  type SignalingServerOptions,
  startSignalingServer,
} from '../../src/server/index.js';
import { type SignalingClient, signalingClients } from '../support/signaling-client.js';
import { until } from '../support/time.js';

let server: SignalingServer;
const systems: PeerSystem[] = [];
const clients = signalingClients();

afterEach(async () => {
  clients.terminateAll();
  await Promise.all(systems.splice(0).map((s) => s.stop()));
  await server.close();
});

async function start(options: SignalingServerOptions = {}): Promise<void> {
  server = await startSignalingServer({ log: () => {}, ...options });
}

/** Alice connected to bob; returns both handles and what bob's handle received. */
async function aliceAndBob(token?: (peerId: string) => () => Promise<string>) {
  const system = (localId: string) => {
    const s = createNodePeerSystem({
      localId,
      url: server.url,
      room: 'r',
      ...(token ? { signalingToken: token(localId) } : {}),
    });
    systems.push(s);
    return s;
  };
  const alice = system('alice');
  const bob = system('bob');
  const atBob: unknown[] = [];
  bob.incoming$.subscribe((handle) => handle.messages$.subscribe((m) => atBob.push(m)));
  const toBob = alice.connect('bob');
  expect(await until(() => toBob.state === 'connected', 20_000)).toBe(true);
  return { toBob, atBob };
}

/** Frames the impostor read until the server closed it, and how it was closed. */
async function impostorJoins(proof: { token?: string; secret?: string }) {
  const impostor: SignalingClient = await clients.connect(server.url);
  impostor.send({ v: 1, type: 'join', room: 'r', peerId: 'bob', ...proof });
  const frames = [];
  const closed = await impostor.closed;
  for (;;) {
    const frame = await impostor.next().catch(() => undefined);
    if (!frame) break;
    frames.push(frame);
  }
  return { frames, closed };
}

/**
 * Each impostor join of `attempts` is answered with one `error` frame `code` and closed with 1008;
 * returns how many signals the impostors read in all.
 */
async function impostorsRefused(attempts: { token?: string; secret?: string }[], code: string) {
  let read = 0;
  for (const proof of attempts) {
    const { frames, closed } = await impostorJoins(proof);
    expect(frames).toEqual([{ v: 1, type: 'error', code, message: expect.any(String) }]);
    expect(closed).toEqual({ code: 1008, reason: code });
    read += frames.filter((frame) => frame.type === 'signal').length;
  }
  return read;
}

/** Alice sends 5 messages; the real bob gets them, in order. */
async function fiveReachBob(toBob: PeerHandle, atBob: unknown[]): Promise<void> {
  for (let i = 0; i < 5; i++) toBob.send(`m${i}`);
  expect(await until(() => atBob.length === 5, 10_000)).toBe(true);
  expect(atBob).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
  expect(toBob.state).toBe('connected');
}

describe('an impostor joining as a connected peer', () => {
  it('with join tokens: refused as unauthorized whatever token it brings; reads 0 of 5 messages', async () => {
    const key = randomBytes(32);
    await start({ authenticate: joinTokenAuthenticator(key) });
    const { toBob, atBob } = await aliceAndBob((peerId) => () => createJoinToken(key, { room: 'r', peerId }));
    const expired = await new SignJWT({ room: 'r' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('bob')
      .setAudience('peerstate-signaling')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(key);
    const attempts = [
      {},
      { token: 'not a token' },
      { token: await createJoinToken(key, { room: 'r', peerId: 'alice' }) },
      { token: await createJoinToken(key, { room: 'other', peerId: 'bob' }) },
      { token: await createJoinToken(randomBytes(32), { room: 'r', peerId: 'bob' }) },
      { token: expired },
    ];
    expect(await impostorsRefused(attempts, 'unauthorized')).toBe(0);
    await fiveReachBob(toBob, atBob);
    expect(server.stats().refused.unauthorized).toBe(attempts.length);
  });

  it('unauthenticated mode: refused as peer-id-taken without bob’s secret; reads 0 of 5 messages', async () => {
    await start();
    const { toBob, atBob } = await aliceAndBob();
    expect(await impostorsRefused([{}, { secret: 'guessed' }], 'peer-id-taken')).toBe(0);
    await fiveReachBob(toBob, atBob);
    expect(server.stats().refused['peer-id-taken']).toBe(2);
  });
});
