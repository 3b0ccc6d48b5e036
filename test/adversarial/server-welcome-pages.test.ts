/**
 * The welcome of a large room (docs/security.md): 260 members whose peer ids are the longest the
 * protocol allows and JSON-escape to twice their length, so that the list of the room is larger than
 * the protocol's frame limit (64 KiB). What must hold: the server sends it in pages, each within the
 * limit, that together list every member once; and the client transport of src/signaling/transport.ts
 * puts the pages together into one SESSION.OPEN.
 */
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createActor, setup } from 'xstate';
import type { SignalingEvent } from '../../machines/signaling.js';
import { NodeWebSocket } from '../../src/node/index.js';
import { LIMITS } from '../../src/protocol/signals.js';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import { createSessionLogic, SocketTracker } from '../../src/signaling/transport.js';
import { signalingClients } from '../support/signaling-client.js';
import { until } from '../support/time.js';

let server: SignalingServer;
const clients = signalingClients();

afterEach(async () => {
  clients.terminateAll();
  await server.close();
});

const MEMBERS = 260;
/** 128 characters, 125 of them `"` (each escaped as two bytes in JSON). */
const idOf = (i: number) => '"'.repeat(125) + String(i).padStart(3, '0');

it('a welcome larger than the frame limit comes in pages within it, and the client joins them', async () => {
  server = await startSignalingServer({
    log: () => {},
    maxRoomPeers: MEMBERS + 2,
    maxConnectionsPerAddress: MEMBERS + 2,
    maxJoinsPerMinutePerAddress: MEMBERS + 2,
  });
  const ids = Array.from({ length: MEMBERS }, (_, i) => idOf(i));
  // Members that join and then only drop what they get (about 34,000 presence frames in all).
  const join = async (peerId: string) => {
    const socket = new WebSocket(server.url);
    clients.adopt(socket);
    await once(socket, 'open');
    socket.send(JSON.stringify({ v: 1, type: 'join', room: 'big', peerId }));
    await once(socket, 'message');
  };
  for (let i = 0; i < MEMBERS; i += 130) await Promise.all(ids.slice(i, i + 130).map(join));

  // A raw client reads the pages as they are on the wire.
  const raw = await clients.connect(server.url);
  const sizes: number[] = [];
  raw.socket.on('message', (data: Buffer) => sizes.push(data.byteLength));
  raw.send({ v: 1, type: 'join', room: 'big', peerId: 'raw' });
  const listed: string[] = [];
  for (;;) {
    const page = await raw.next();
    if (page.type !== 'welcome') throw new Error(`expected a welcome page, got ${page.type}`);
    listed.push(...page.peers);
    if (!page.more) break;
  }
  expect(sizes.length).toBeGreaterThanOrEqual(2);
  for (const size of sizes) expect(size).toBeLessThanOrEqual(LIMITS.maxFrameBytes);
  expect(listed).toEqual([...ids].sort());

  // The client transport opens its session once, with the whole room.
  const received: SignalingEvent[] = [];
  const parent = createActor(
    setup({
      types: { events: {} as SignalingEvent },
      actors: { session: createSessionLogic(NodeWebSocket, new SocketTracker()) },
    }).createMachine({
      invoke: { src: 'session', input: { url: server.url, room: 'big', peerId: 'newcomer', generation: 1 } },
      on: { '*': { actions: ({ event }) => received.push(event) } },
    }),
  );
  parent.start();
  try {
    expect(await until(() => received.some((e) => e.type === 'SESSION.OPEN'), 10_000)).toBe(true);
    const opens = received.filter((e) => e.type === 'SESSION.OPEN');
    expect(opens).toHaveLength(1);
    expect(opens[0]).toMatchObject({ peers: [...ids, 'raw'].sort() });
    expect(received.filter((e) => e.type === 'SESSION.INVALID')).toEqual([]);
  } finally {
    parent.stop();
  }
});
