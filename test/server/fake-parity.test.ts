/**
 * The fake hub of src/testing/fake-signaling.ts answers a client exactly as the embedded server does:
 * the same script of client frames gets the same server frames from both.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ServerFrame, Signal } from '../../src/protocol/signals.js';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import { createFakeSignaling } from '../../src/testing/index.js';
import { signalingClients } from '../support/signaling-client.js';

const servers: SignalingServer[] = [];
const clients = signalingClients();

afterEach(async () => {
  clients.terminateAll();
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const hello: Signal = { type: 'hello' };

/** Client frames, each answered by exactly one server frame to the same client. */
const script: unknown[] = [
  { v: 1, type: 'signal', to: 'bob', signal: hello },
  { v: 1, type: 'join', room: 'r', peerId: 'alice' },
  { v: 1, type: 'join', room: 'r', peerId: 'alice' },
  { v: 1, type: 'join', room: 'elsewhere', peerId: 'carol' },
  { v: 1, type: 'signal', to: 'bob', signal: hello },
  { v: 1, type: 'hello' },
];

/** What the embedded server answers to each frame of `script`. */
async function serverAnswers(): Promise<ServerFrame[]> {
  const server = await startSignalingServer();
  servers.push(server);
  const client = await clients.connect(server.url);
  const answers: ServerFrame[] = [];
  for (const frame of script) {
    client.send(frame);
    answers.push(await client.next());
  }
  return answers;
}

/** What the fake hub answers to each frame of `script`. */
function hubAnswers(): ServerFrame[] {
  const hub = createFakeSignaling();
  const socket = new hub.WebSocket('ws://fake');
  const answers: ServerFrame[] = [];
  socket.onmessage = ({ data }) => answers.push(JSON.parse(String(data)));
  hub.openAll();
  for (const frame of script) {
    socket.send(JSON.stringify(frame));
    hub.deliverAll();
  }
  return answers;
}

describe('fake signaling hub', () => {
  it('refuses a second join, and everything else, with the frames the server sends', async () => {
    const expected = await serverAnswers();
    expect(expected.map((frame) => (frame.type === 'error' ? frame.code : frame.type))).toEqual([
      'not-joined',
      'welcome',
      'already-joined',
      'already-joined',
      'unknown-peer',
      'invalid-frame',
    ]);
    expect(hubAnswers()).toEqual(expected);
  });
});
