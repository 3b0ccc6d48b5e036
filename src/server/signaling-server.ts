/**
 * The embedded signaling server: rooms, presence and relay over WebSocket (`ws`), speaking the
 * protocol of src/protocol/signals.ts. The demo and the tests start it on 127.0.0.1.
 *
 * Untrusted input never throws and never crashes the process: bad frames get an `error` frame and
 * are counted; abusive sockets (too many invalid frames, oversize frames, missed pongs) are closed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { errorFrame, type Outbound, RoomRegistry } from '../protocol/room-registry.js';
import {
  LIMITS,
  PROTOCOL_VERSION,
  parseClientFrame,
  type ServerErrorCode,
  type ServerFrame,
  type Signal,
} from '../protocol/signals.js';
import type { ClusterMember, ClusterNode, ClusterOptions, ClusterStats } from './cluster.js';
import { createTokenBucket, type TokenBucket } from './rate-limiter.js';

/** Options of {@link startSignalingServer}; all optional. */
export interface SignalingServerOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** TCP port, 0-65535. Default `0`: a free port chosen by the OS (read it from `port` or `url`). */
  port?: number;
  /**
   * Largest frame accepted, in bytes (ws `maxPayload`); a larger frame closes its socket with code
   * 1009. Integer >= 1. Default `LIMITS.maxFrameBytes` (64 KiB).
   */
  maxFrameBytes?: number;
  /**
   * Frames a socket may send per second, on average (token bucket; bursts of twice this many, and
   * at least 1, are admitted). A frame over the limit is dropped and the socket gets an `error` frame with code
   * `'rate-limited'`, at most one such error per second. Finite, > 0. Default `500`.
   */
  maxFramesPerSecond?: number;
  /**
   * Heartbeat period, in milliseconds: every tick each socket is pinged, and a socket that has not
   * answered the previous ping with a pong is terminated. Integer 1-2147483647. Default `10000`.
   */
  pingIntervalMs?: number;
  /**
   * Invalid frames a socket may send before it is closed with code 1008 (policy violation): the
   * socket is closed on its `maxInvalidFrames`-th invalid frame. Integer >= 1. Default `20`.
   */
  maxInvalidFrames?: number;
  /**
   * Test and bench hook (fault injection), not for production: called synchronously for every
   * signal about to be relayed (after the recipient was found in the room), with the sender's and
   * the recipient's peer ids. The signal it returns is relayed instead, in the same order as the
   * frames arrived; `null` drops it silently (the sender gets no error, and it is not counted in
   * `relayed`). It must return a valid Signal (it is not validated again) and must not throw: an
   * exception propagates out of the socket's message handler. Default: identity. E.g.
   * `(signal) => relay.rewriteSignal(signal)` with the UDP relay of src/node/udp-relay.ts.
   */
  transformSignal?: (signal: Signal, from: string, to: string) => Signal | null;
  /**
   * Shares rooms, presence and relay with every server started with the same Redis (see
   * docs/cluster.md). Without it the server is on its own and needs no Redis. The Redis client is
   * loaded only when this is given.
   */
  cluster?: ClusterOptions;
}

/** Counters of a running server. Gauges are current values; totals count since start. */
export interface SignalingServerStats {
  /** Gauge: open WebSocket connections, joined or not. */
  connections: number;
  /** Gauge: non-empty rooms. */
  rooms: number;
  /** Gauge: joined peers over all rooms. */
  peers: number;
  /** Total: `signal` frames relayed to their recipient. */
  relayed: number;
  /** Total: frames refused as invalid (not JSON, schema failure, binary, oversize, bad WebSocket framing). */
  invalidFrames: number;
  /** Total: frames dropped by the rate limit. */
  rateLimited: number;
  /** With `cluster`: the traffic through Redis. */
  cluster?: ClusterStats;
}

/** A running signaling server. */
export interface SignalingServer {
  /** Where clients connect, e.g. `ws://127.0.0.1:54321`. */
  readonly url: string;
  /** The TCP port listened on. */
  readonly port: number;
  /** A snapshot of the counters. */
  stats(): SignalingServerStats;
  /**
   * Terminates every socket, stops the heartbeat and stops listening. Resolves once the server is
   * fully closed. Idempotent: every call returns the same promise.
   */
  close(): Promise<void>;
}

/** Per-socket state. */
interface Connection extends ClusterMember {
  readonly socket: WebSocket;
  readonly frames: TokenBucket;
  readonly rateErrors: TokenBucket;
  /** Another socket took over this one's (room, peerId); it is closing and speaks for no one. */
  replaced: boolean;
  /** A pong arrived since the last ping. */
  alive: boolean;
  invalidFrames: number;
  /** With `cluster`: the frames of this socket, handled one after the other (a join waits for Redis). */
  queue: Promise<void>;
}

/** Close code sent to a socket whose (room, peerId) was joined by another socket (private range). */
const CLOSE_REPLACED = 4001;
/** Close code for a socket that sent too many invalid frames (RFC 6455: policy violation). */
const CLOSE_POLICY = 1008;
/** Close code for a join refused because Redis cannot be reached (RFC 6455: try again later). */
const CLOSE_TRY_AGAIN_LATER = 1013;

/**
 * The cluster mode's module. It imports ioredis, an optional peer dependency that only cluster users
 * install, so it is loaded only when a server is started with `cluster`.
 * @throws Error naming ioredis and how to install it (the loader's error as `cause`) when it is missing.
 */
async function loadCluster(): Promise<typeof import('./cluster.js')> {
  try {
    return await import('./cluster.js');
  } catch (cause) {
    throw new Error(
      'the cluster mode needs ioredis, an optional peer dependency, and it could not be loaded. ' +
        'Install it with `npm install ioredis`.',
      { cause },
    );
  }
}

/**
 * Starts a signaling server and resolves once it is listening.
 *
 * Protocol (src/protocol/signals.ts, every frame sent carries `v: 1`; the room rules are those of
 * src/protocol/room-registry.ts):
 * - `join {room, peerId}` must come first, once; answered with `welcome {room, peerId, peers}` (the
 *   other peer ids of the room, sorted), then `presence {peerId, present: true}` to the others.
 *   Joining a (room, peerId) held by another socket replaces that socket: it is closed with 4001
 *   `'replaced'` and no presence is sent (the peer never left).
 * - `signal {to, signal}` is relayed to `to` in the same room as `signal {from, signal}` (through
 *   `transformSignal` when given: a test hook that may rewrite or drop it).
 * - When the current socket of a peer closes, the room gets `presence {peerId, present: false}`.
 * - Errors (`error {code, message}`, the socket stays open unless said otherwise): `invalid-frame`
 *   (closed with 1008 at `maxInvalidFrames`), `not-joined`, `already-joined`, `unknown-peer`,
 *   `rate-limited`, and with `cluster` `unavailable`: Redis cannot be reached, so the signal to a
 *   peer on another node was not sent (or the join was refused, and the socket closed with 1013).
 *
 * With `cluster`, rooms span every node of the cluster (see docs/cluster.md): `welcome` lists the
 * room's peers on every node, presence comes from every node, a signal reaches a peer on any node.
 *
 * @throws (rejects) RangeError for an option out of range; the `listen` error (e.g. EADDRINUSE);
 * with `cluster`, the Redis connection error.
 */
export async function startSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = checkInteger('port', options.port ?? 0, 0, 65535);
  const maxFrameBytes = checkInteger('maxFrameBytes', options.maxFrameBytes ?? LIMITS.maxFrameBytes, 1);
  const maxFramesPerSecond = options.maxFramesPerSecond ?? 500;
  if (!(Number.isFinite(maxFramesPerSecond) && maxFramesPerSecond > 0)) {
    throw new RangeError(`maxFramesPerSecond must be a finite number > 0, got ${maxFramesPerSecond}`);
  }
  // setInterval silently turns larger delays into 1 ms.
  const pingIntervalMs = checkInteger('pingIntervalMs', options.pingIntervalMs ?? 10_000, 1, 2 ** 31 - 1);
  const maxInvalidFrames = checkInteger('maxInvalidFrames', options.maxInvalidFrames ?? 20, 1);
  const transformSignal = options.transformSignal;
  const rooms = new RoomRegistry<Connection>();
  // Before listening: a cluster that cannot be joined leaves no server behind.
  const cluster: ClusterNode<Connection> | undefined = options.cluster
    ? await (await loadCluster()).joinCluster(options.cluster, rooms)
    : undefined;

  // Our own HTTP server (rather than ws's `port` option) so that close() can drop idle HTTP
  // connections too, and so that a failed listen leaves no WebSocketServer behind.
  const httpServer = createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('Upgrade Required');
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      httpServer.off('listening', onListening);
      reject(error);
    };
    const onListening = () => {
      httpServer.off('error', onError);
      resolve();
    };
    httpServer.once('error', onError);
    httpServer.once('listening', onListening);
    httpServer.listen(requestedPort, host);
  }).catch(async (error: unknown) => {
    await cluster?.close();
    throw error;
  });
  const port = (httpServer.address() as AddressInfo).port;

  const wss = new WebSocketServer({ server: httpServer, maxPayload: maxFrameBytes, clientTracking: false });
  // Errors of the listening socket after start are re-emitted here; without a listener they would throw.
  wss.on('error', () => {});

  const connections = new Set<Connection>();
  const totals = { relayed: 0, invalidFrames: 0, rateLimited: 0 };
  let closing = false;

  const send = (conn: Connection, frame: ServerFrame): boolean => {
    if (conn.socket.readyState !== conn.socket.OPEN) return false;
    conn.socket.send(JSON.stringify(frame));
    return true;
  };

  const sendError = (conn: Connection, code: ServerErrorCode, message: string): void => {
    send(conn, errorFrame(code, message));
  };

  const sendAll = (outbound: Outbound<Connection>[]): void => {
    for (const { to, frame } of outbound) send(to, frame);
  };

  const refuse = (conn: Connection, reason: string): void => {
    totals.invalidFrames += 1;
    conn.invalidFrames += 1;
    sendError(conn, 'invalid-frame', reason);
    if (conn.invalidFrames >= maxInvalidFrames) conn.socket.close(CLOSE_POLICY, 'too many invalid frames');
  };

  const join = (conn: Connection, room: string, peerId: string): void => {
    const { sends, replaced } = rooms.join(conn, room, peerId);
    if (replaced) replaced.replace();
    sendAll(sends);
  };

  /**
   * A join through the cluster: the peer id is claimed in Redis first (atomically, cluster-wide),
   * then the local rules apply; the welcome lists the room's peers on every node, and presence
   * reaches the others through Redis.
   */
  const clusterJoin = async (
    node: ClusterNode<Connection>,
    conn: Connection,
    room: string,
    peerId: string,
  ) => {
    // A second join is refused by the registry without touching Redis.
    if (rooms.membership(conn)) return join(conn, room, peerId);
    const peers = await node.claim(conn, room, peerId);
    if (peers === 'unavailable') {
      sendError(conn, 'unavailable', 'the cluster store (Redis) cannot be reached; join again later');
      conn.socket.close(CLOSE_TRY_AGAIN_LATER, 'cluster unavailable');
      return;
    }
    // Closed while claiming: its leave already ran before it joined here, so it runs now.
    if (closing || conn.socket.readyState !== conn.socket.OPEN) return node.leave(conn);
    const { sends, replaced } = rooms.join(conn, room, peerId);
    replaced?.replace();
    const [welcome] = sends;
    if (welcome?.frame.type === 'welcome') send(conn, { ...welcome.frame, peers });
  };

  const relay = (conn: Connection, to: string, signal: Signal): void => {
    const { to: target, frame } = rooms.relay(conn, to, signal);
    if (frame.type === 'error') {
      if (cluster && frame.code === 'unknown-peer') relayToNode(cluster, conn, to, signal);
      else send(target, frame);
      return;
    }
    const relayed = transformSignal ? transformSignal(signal, frame.from, to) : signal;
    if (relayed === null) return;
    if (send(target, { ...frame, signal: relayed })) totals.relayed += 1;
  };

  /** A signal for a peer that is not on this node: to the node that holds it, through Redis. */
  const relayToNode = (node: ClusterNode<Connection>, conn: Connection, to: string, signal: Signal): void => {
    const from = rooms.membership(conn)?.peerId ?? '';
    const relayed = transformSignal ? transformSignal(signal, from, to) : signal;
    if (relayed === null) return;
    void node
      .relay(conn, to, { v: PROTOCOL_VERSION, type: 'signal', from, signal: relayed })
      .then((result) => {
        if (result === 'sent') totals.relayed += 1;
        else if (result === 'unknown-peer')
          sendError(conn, 'unknown-peer', `no peer ${JSON.stringify(to)} in this room`);
        else
          sendError(
            conn,
            'unavailable',
            `the cluster store (Redis) cannot be reached; the signal to ${JSON.stringify(to)} was not sent`,
          );
      });
  };

  const onMessage = (conn: Connection, data: RawData, isBinary: boolean): void => {
    // A replaced socket is on its way out; its frames must not act for the peer that moved on.
    if (closing || conn.replaced) return;
    // Before parsing, so that a flood costs as little as possible.
    if (!conn.frames.take()) {
      totals.rateLimited += 1;
      if (conn.rateErrors.take()) {
        sendError(conn, 'rate-limited', `more than ${maxFramesPerSecond} frames per second`);
      }
      return;
    }
    if (isBinary) {
      refuse(conn, 'binary frames are not accepted');
      return;
    }
    const parsed = parseClientFrame(rawToString(data));
    if (!parsed.ok) {
      refuse(conn, parsed.reason);
      return;
    }
    const frame = parsed.frame;
    if (cluster) {
      conn.queue = conn.queue.then(() =>
        frame.type === 'join'
          ? clusterJoin(cluster, conn, frame.room, frame.peerId)
          : relay(conn, frame.to, frame.signal),
      );
    } else if (frame.type === 'join') join(conn, frame.room, frame.peerId);
    else relay(conn, frame.to, frame.signal);
  };

  const onClose = (conn: Connection): void => {
    connections.delete(conn);
    // Leave even while closing, so that the gauges fall to zero; but nobody is told anything then.
    const presence = rooms.leave(conn);
    // In a cluster, presence reaches every node (this one too) through Redis.
    if (cluster) cluster.leave(conn);
    else if (!closing) sendAll(presence);
  };

  wss.on('connection', (socket) => {
    if (closing) {
      socket.terminate();
      return;
    }
    const conn: Connection = {
      socket,
      send: (frame) => send(conn, frame),
      replace() {
        if (conn.replaced) return;
        conn.replaced = true;
        socket.close(CLOSE_REPLACED, 'replaced');
      },
      queue: Promise.resolve(),
      // At least one frame must pass, or a rate below 0.5/s would refuse everything.
      frames: createTokenBucket({
        ratePerSecond: maxFramesPerSecond,
        burst: Math.max(1, 2 * maxFramesPerSecond),
      }),
      rateErrors: createTokenBucket({ ratePerSecond: 1, burst: 1 }),
      replaced: false,
      alive: true,
      invalidFrames: 0,
    };
    connections.add(conn);
    socket.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
    socket.on('pong', () => {
      conn.alive = true;
    });
    // ws emits 'error' for frames it refuses (oversize: 1009, bad UTF-8: 1007, bad framing) and
    // closes the socket itself; the listener keeps the error from being thrown.
    socket.on('error', () => {
      totals.invalidFrames += 1;
    });
    socket.on('close', () => onClose(conn));
  });

  const heartbeat = setInterval(() => {
    for (const conn of connections) {
      if (!conn.alive) {
        conn.socket.terminate();
        continue;
      }
      conn.alive = false;
      conn.socket.ping();
    }
  }, pingIntervalMs);
  // Not unref'd: the listening socket keeps the process alive anyway, and a ref'd timer that
  // outlives close() shows up in process.getActiveResourcesInfo(), which the tests check.

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      clearInterval(heartbeat);
      // First, while the sockets are still open: the other nodes are told this node's peers left.
      await cluster?.close();
      for (const conn of connections) conn.socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => {
        // The callback's only possible error is "not running", which is the state we want anyway.
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
    })();
    return closed;
  };

  return {
    url: `ws://${urlHost(host)}:${port}`,
    port,
    stats: () => ({
      connections: connections.size,
      rooms: rooms.roomCount,
      peers: rooms.peerCount,
      ...totals,
      ...(cluster ? { cluster: cluster.stats() } : {}),
    }),
    close,
  };
}

function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/** Text of a text frame; ws hands it over as a Buffer, fragmented frames as a Buffer[]. */
function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8');
}

/** The host part of the URL clients should use: wildcard addresses become loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
