/**
 * A room on the real signaling server (127.0.0.1) with a raw `ws` attacker in it, for adversarial
 * tests of what a hostile peer can make a peer system spend through signaling.
 */
import { afterEach } from 'vitest';
import { WebSocket } from 'ws';
import type { PeerSystem } from '../../src/index.js';
import { type SignalingServer, startSignalingServer } from '../../src/server/index.js';
import { until } from './time.js';

/** What the attacker has and sees. */
export interface Attacker {
  readonly socket: WebSocket;
  /** Every frame the server sent the attacker, parsed, in order. */
  readonly received: { type: string; signal?: { type: string; reason?: string } }[];
  /** Sends one signal frame to `to`. */
  signal(to: string, signal: unknown): void;
}

/**
 * Registers an `afterEach` that terminates the attacker and stops every system and the server the
 * returned functions made; call once per test file.
 */
export function hostileRoom() {
  let server: SignalingServer | undefined;
  let attacker: WebSocket | undefined;
  const systems: PeerSystem[] = [];
  afterEach(async () => {
    attacker?.terminate();
    await Promise.all(systems.splice(0).map((s) => s.stop()));
    await server?.close();
  });
  return {
    /** Starts the server (quiet log); resolves with its URL. */
    async start(): Promise<string> {
      server = await startSignalingServer({ host: '127.0.0.1', port: 0, log: () => {} });
      return server.url;
    },
    /** Stops `system` after the test. */
    adopt<T extends PeerSystem>(system: T): T {
      systems.push(system);
      return system;
    },
    /** Joins room `room` as `peerId` over a raw socket; resolves once welcomed. */
    async attacker(url: string, room: string, peerId: string): Promise<Attacker> {
      const socket = new WebSocket(url);
      attacker = socket;
      const received: Attacker['received'] = [];
      socket.on('message', (data) => received.push(JSON.parse(String(data))));
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send(JSON.stringify({ v: 1, type: 'join', room, peerId }));
      if (!(await until(() => received.some((f) => f.type === 'welcome'), 10_000)))
        throw new Error(`${peerId} was not welcomed`);
      return {
        socket,
        received,
        signal: (to, signal) => socket.send(JSON.stringify({ v: 1, type: 'signal', to, signal })),
      };
    },
  };
}
