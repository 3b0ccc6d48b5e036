/**
 * An offer storm of garbage SDP from a peer in the room (docs/security.md), on real parts: the
 * embedded signaling server on 127.0.0.1, a raw `ws` attacker, and alice on @roamhq/wrtc. What must
 * hold: each failed attempt reaches `errors$` as `attempt-failed` with its cause (the stack's parse
 * error), alice spends at most one RTCPeerConnection per attempt (maxReconnects + 1 in all, however
 * many offers arrive), gives the attacker up as `failed`, and still connects to an honest peer.
 */
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { PeerSystem } from '../../src/index.js';
import { createNodePeerSystem } from '../../src/node/index.js';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import { until } from '../support/time.js';

const OFFERS = 100;
const MAX_RECONNECTS = 2;

let server: SignalingServer | undefined;
const systems: PeerSystem[] = [];
let attacker: WebSocket | undefined;
afterEach(async () => {
  attacker?.terminate();
  await Promise.all(systems.splice(0).map((s) => s.stop()));
  await server?.close();
});

it(`${OFFERS} garbage offers: every failed attempt reported with its cause, at most maxReconnects + 1 attempts, then failed; an honest peer still connects`, async () => {
  server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
  const alice = createNodePeerSystem({
    localId: 'alice',
    url: server.url,
    room: 'r',
    maxReconnects: MAX_RECONNECTS,
    // Keeps the attempts that follow the storm (alice offers, nobody answers) short.
    connectTimeoutMs: 1_000,
    peerReconnectBackoff: { initialMs: 50, maxMs: 100 },
  });
  systems.push(alice);
  const errors: { code: string; message: string; peerId: string | undefined }[] = [];
  alice.errors$.subscribe((e) => errors.push({ code: e.code, message: e.message, peerId: e.peerId }));
  await alice.signalingOpen();

  const socket = new WebSocket(server.url);
  attacker = socket;
  await new Promise((resolve) => socket.once('open', resolve));
  socket.send(JSON.stringify({ v: 1, type: 'join', room: 'r', peerId: 'mallory' }));
  await new Promise((resolve) => socket.once('message', resolve));
  for (let i = 1; i <= OFFERS; i++) {
    const signal = {
      type: 'description',
      description: { type: 'offer', sdp: `garbage ${i}` },
      connection: i,
    };
    socket.send(JSON.stringify({ v: 1, type: 'signal', to: 'alice', signal }));
  }

  expect(await until(() => alice.peer('mallory')?.state === 'failed', 60_000)).toBe(true);
  const aboutMallory = errors.filter((e) => e.peerId === 'mallory');
  const attempts = aboutMallory.filter((e) => e.code === 'attempt-failed');
  expect(attempts).toHaveLength(MAX_RECONNECTS);
  expect(attempts[0]?.message).toMatch(/negotiation-failed/);
  expect(aboutMallory.filter((e) => e.code === 'connection-failed')).toHaveLength(1);
  expect(alice.actor.getSnapshot().status).toBe('active');

  const bob = createNodePeerSystem({ localId: 'bob', url: server.url, room: 'r' });
  systems.push(bob);
  const toBob = alice.connect('bob');
  expect(await until(() => toBob.state === 'connected', 60_000)).toBe(true);
});
