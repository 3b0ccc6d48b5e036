/** A real `ws` client of the signaling server, for tests that speak the protocol frame by frame. */
import { once } from 'node:events';
import { type ClientOptions, WebSocket } from 'ws';
import { parseServerFrame, type ServerFrame } from '../../src/protocol/signals.js';

/** A client whose incoming frames are queued, so a test can await them one by one. */
export interface SignalingClient {
  readonly socket: WebSocket;
  /** The next frame from the server (validated against the server schema); rejects if the socket closes first. */
  next(): Promise<ServerFrame>;
  /** Sends `frame` as JSON text. */
  send(frame: unknown): void;
  /** Resolves with the close code and reason once the socket is closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
}

/** Clients that a test's `afterEach` terminates together. */
export interface SignalingClients {
  /** Opens a client on `url`; resolves once the socket is open. */
  connect(url: string, options?: ClientOptions): Promise<SignalingClient>;
  /**
   * Opens a client and joins `room` as `peerId` (with the join frame's `secret` and `token`, when
   * given); resolves with the client and the server's answer.
   */
  join(
    url: string,
    room: string,
    peerId: string,
    proof?: { secret?: string; token?: string },
  ): Promise<{ client: SignalingClient; welcome: ServerFrame }>;
  /** Terminates every client opened so far. */
  terminateAll(): void;
  /** Terminates `socket` too, with the others. */
  adopt(socket: WebSocket): void;
  /** Drops `client`, closed by the test, from the set: a long run keeps only what is still open. */
  release(client: SignalingClient): void;
}

/** Creates an empty set of clients. */
export function signalingClients(): SignalingClients {
  const open: SignalingClient[] = [];
  const adopted: WebSocket[] = [];
  const connect = async (url: string, options: ClientOptions = {}): Promise<SignalingClient> => {
    const client = createClient(url, options);
    open.push(client);
    await once(client.socket, 'open');
    return client;
  };
  return {
    connect,
    async join(url, room, peerId, proof = {}) {
      const client = await connect(url);
      client.send({ v: 1, type: 'join', room, peerId, ...proof });
      return { client, welcome: await client.next() };
    },
    terminateAll() {
      for (const client of open.splice(0)) client.socket.terminate();
      for (const socket of adopted.splice(0)) socket.terminate();
    },
    adopt(socket) {
      adopted.push(socket);
    },
    release(client) {
      const at = open.indexOf(client);
      if (at >= 0) open.splice(at, 1);
    },
  };
}

function createClient(url: string, options: ClientOptions): SignalingClient {
  const socket = new WebSocket(url, options);
  const frames: ServerFrame[] = [];
  const waiters: Array<{ resolve: (frame: ServerFrame) => void; reject: (error: Error) => void }> = [];
  let isClosed = false;
  socket.on('message', (data, isBinary) => {
    if (isBinary) throw new Error('the server sent a binary frame');
    const parsed = parseServerFrame(data.toString());
    if (!parsed.ok) throw new Error(`the server sent an invalid frame: ${parsed.reason}`);
    const waiter = waiters.shift();
    if (waiter) waiter.resolve(parsed.frame);
    else frames.push(parsed.frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => {
      isClosed = true;
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`socket closed (${code})`));
      resolve({ code, reason: reason.toString() });
    });
  });
  // Client-side errors (e.g. refused connections) surface through `closed` or the open promise.
  socket.on('error', () => {});
  return {
    socket,
    next() {
      const frame = frames.shift();
      if (frame) return Promise.resolve(frame);
      if (isClosed) return Promise.reject(new Error('socket closed'));
      return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
    },
    send(frame) {
      socket.send(JSON.stringify(frame));
    },
    closed,
  };
}
