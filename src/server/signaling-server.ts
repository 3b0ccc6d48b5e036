/**
 * The embedded signaling server: rooms, presence and relay over WebSocket (`ws`), speaking the
 * protocol of src/protocol/signals.ts. The demo and the tests start it on 127.0.0.1.
 *
 * Untrusted input never throws and never crashes the process: bad frames get an `error` frame and
 * are counted; what a client may make the server spend is bounded by the options of
 * src/server/server-options.ts (connections, joins, room size, send buffer, handshake time, frame
 * rate), and every refusal is counted in `stats().refused` and logged (src/server/refusals.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { errorFrame, type Outbound, RoomRegistry } from '../protocol/room-registry.js';
import {
  type ClientFrame,
  PROTOCOL_VERSION,
  parseClientFrame,
  type ServerErrorCode,
  type ServerFrame,
  type Signal,
} from '../protocol/signals.js';
import { createTokenBucket, type TokenBucket } from '../protocol/token-bucket.js';
import { welcomePages } from '../protocol/welcome-pages.js';
import { createAdmission } from './admission.js';
import type { ClusterMember, ClusterNode, ClusterStats } from './cluster.js';
import { createRefusals, type RefusalReason } from './refusals.js';
import { resolveServerOptions, type SignalingServerOptions } from './server-options.js';

export type { SignalingServerOptions } from './server-options.js';

/** Counters of a running server. Gauges are current values; totals count since start. */
export interface SignalingServerStats {
  /** Gauge: open WebSocket connections, joined or not. */
  connections: number;
  /** Gauge: non-empty rooms. */
  rooms: number;
  /** Gauge: joined peers over all rooms. */
  peers: number;
  /** Gauge: bytes held for sockets that have not read them yet (their send buffers), in all. */
  bufferedBytes: number;
  /** Total: `signal` frames relayed to their recipient. */
  relayed: number;
  /** Total: frames refused as invalid (not JSON, schema failure, binary, oversize, bad WebSocket framing). */
  invalidFrames: number;
  /** Total: frames dropped by the rate limit. */
  rateLimited: number;
  /** Totals: connections, joins and sockets refused or closed, by reason (see `RefusalReason`). */
  refused: Record<RefusalReason, number>;
  /** With `cluster`: the traffic through Redis. */
  cluster?: ClusterStats;
}

/** A running signaling server. */
export interface SignalingServer {
  /** Where clients connect, e.g. `ws://127.0.0.1:54321` (`wss://` with `tls`). */
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
  /** The upgrade request (the `authenticate` hook's input). */
  readonly request: IncomingMessage;
  /** The remote address, as counted by the admission caps. */
  readonly address: string;
  readonly frames: TokenBucket;
  readonly rateErrors: TokenBucket;
  /** Another socket took over this one's (room, peerId); it is closing and speaks for no one. */
  replaced: boolean;
  /** A join of this socket is being checked (authenticate, Redis). */
  joining: boolean;
  /** SHA-256 of the join's `secret` (hex), '' without one: a join with the same one may replace this socket. */
  digest: string;
  /** Payload of the latest ping, until a pong echoed it; `undefined` when answered (or none sent yet). */
  pingPayload: Buffer | undefined;
  /** The socket was closed by a refusal (counted once). */
  refused: boolean;
  invalidFrames: number;
  rateLimitedFrames: number;
}

/** Close code sent to a socket whose (room, peerId) was joined by another socket (private range). */
const CLOSE_REPLACED = 4001;
/** Close code for a policy violation (RFC 6455): invalid frames, flooding, refused authentication or peer id. */
const CLOSE_POLICY = 1008;
/** Close code for a join refused for now (RFC 6455: try again later): Redis unreachable, room full, joins over the rate. */
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
 * - `join {room, peerId, token?, secret?}` must come first, once; answered with
 *   `welcome {room, peerId, peers}` (the other peer ids of the room, sorted; in pages with
 *   `more: true` when they do not fit in one frame), then `presence {peerId, present: true}` to the
 *   others. A join is checked in this order: joins per minute (per address, in all), `authenticate`,
 *   then the peer id: if another socket holds it, the join replaces that socket (closed with 4001
 *   `'replaced'`, no presence sent: the peer never left) only if it proves the same identity
 *   (`authenticate` accepted it, or it carries the holder's `secret`); else it is refused
 *   (`peer-id-taken`). A join to a full room is refused (`room-full`).
 * - `signal {to, signal}` is relayed to `to` in the same room as `signal {from, signal}` (through
 *   `transformSignal` when given: a test hook that may rewrite or drop it).
 * - When the current socket of a peer closes, the room gets `presence {peerId, present: false}`.
 * - Errors (`error {code, message}`, the socket stays open unless said otherwise): `invalid-frame`
 *   (closed with 1008 at `maxInvalidFrames`), `not-joined` (also for a frame sent while the join is
 *   being checked), `already-joined`, `unknown-peer`, `rate-limited` (closed with 1008 at
 *   `maxRateLimitedFrames`; for a join over the join rate, closed with 1013), `unauthorized` and
 *   `peer-id-taken` (closed with 1008), `room-full` (closed with 1013), and with `cluster`
 *   `unavailable`: Redis cannot be reached, so the signal to a peer on another node was not sent (or
 *   the join was refused, and the socket closed with 1013).
 *
 * With `cluster`, rooms span every node of the cluster (see docs/cluster.md): `welcome` lists the
 * room's peers on every node, presence comes from every node, a signal reaches a peer on any node.
 *
 * @throws (rejects) RangeError for an option out of range; the `listen` error (e.g. EADDRINUSE);
 * with `cluster`, the Redis connection error.
 */
export async function startSignalingServer(options: SignalingServerOptions = {}): Promise<SignalingServer> {
  const o = resolveServerOptions(options);
  const { authenticate, transformSignal, log } = o;
  const rooms = new RoomRegistry<Connection>();
  const refusals = createRefusals(log);
  const admission = createAdmission(o);
  // Before listening: a cluster that cannot be joined leaves no server behind.
  const cluster: ClusterNode<Connection> | undefined = o.cluster
    ? await (await loadCluster()).joinCluster(o.cluster, rooms)
    : undefined;

  // Our own HTTP server (rather than ws's `port` option) so that close() can drop idle HTTP
  // connections too, so that a failed listen leaves no WebSocketServer behind, and so that
  // connections are counted and timed from their accept, before any upgrade.
  const onRequest = (_req: IncomingMessage, res: import('node:http').ServerResponse) => {
    res.writeHead(426, { 'content-type': 'text/plain' });
    res.end('Upgrade Required');
  };
  const httpServer = o.tls
    ? createHttpsServer({ handshakeTimeout: o.handshakeTimeoutMs, ...o.tls }, onRequest)
    : createServer(onRequest);
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
    httpServer.listen(o.port, o.host);
  }).catch(async (error: unknown) => {
    await cluster?.close();
    throw error;
  });
  const port = (httpServer.address() as AddressInfo).port;
  const url = `${o.tls ? 'wss' : 'ws'}://${urlHost(o.host)}:${port}`;
  if (!authenticate) {
    log(
      `peerstate signaling server on ${url} runs unauthenticated: any client may join any room ` +
        'as any peer id no other client holds. Fit for the demo on 127.0.0.1; give `authenticate` ' +
        'elsewhere (docs/security.md).',
    );
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: o.maxFrameBytes, clientTracking: false });
  // Errors of the listening socket after start are re-emitted here; without a listener they would throw.
  wss.on('error', () => {});

  const connections = new Set<Connection>();
  const totals = { relayed: 0, invalidFrames: 0, rateLimited: 0 };
  /** Handshake timers, per socket that carries the upgrade (the TCP socket, or the TLS one): `request.socket`. */
  const handshakes = new WeakMap<Duplex, ReturnType<typeof setTimeout>>();
  let closing = false;

  const startHandshake = (socket: Socket) => {
    const timer = setTimeout(() => {
      refusals.refuse(
        'handshake-timeout',
        `${socket.remoteAddress}: no join within ${o.handshakeTimeoutMs} ms`,
      );
      socket.destroy();
    }, o.handshakeTimeoutMs);
    handshakes.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  };

  httpServer.on('connection', (socket: Socket) => {
    socket.on('error', () => {});
    if (closing) {
      socket.destroy();
      return;
    }
    const address = socket.remoteAddress ?? '';
    const refused = admission.open(address);
    if (refused) {
      refusals.refuse(refused, `${address}: connection refused at the cap`);
      // Destroyed once the answer is written, whether or not the client ever closes its side.
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () =>
        socket.destroy(),
      );
      return;
    }
    socket.once('close', () => admission.close(address));
    // With TLS the upgrade arrives on the TLS socket, timed from its secure connection on (the TLS
    // handshake itself is bounded by `handshakeTimeout` of the https server).
    if (!o.tls) startHandshake(socket);
  });
  if (o.tls) httpServer.on('secureConnection', startHandshake);

  httpServer.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    const origin = request.headers.origin;
    // Only admitted connections have a handshake timer; a refused one may still have sent its upgrade.
    if (closing || !handshakes.has(request.socket)) {
      socket.destroy();
      return;
    }
    if (o.allowedOrigins && origin !== undefined && !o.allowedOrigins.includes(origin)) {
      refusals.refuse(
        'origin',
        `${request.socket.remoteAddress}: origin ${JSON.stringify(origin.slice(0, 256))}`,
      );
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () =>
        socket.destroy(),
      );
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => onConnection(ws, request));
  });

  /** Closes `conn` for `reason`, counted and logged once however often it is refused meanwhile. */
  const refuseSocket = (conn: Connection, reason: RefusalReason, detail: string, close: () => void): void => {
    if (conn.refused) return;
    conn.refused = true;
    const who = rooms.membership(conn);
    refusals.refuse(reason, `${conn.address}${who ? ` (${who.room}/${who.peerId})` : ''}: ${detail}`);
    close();
  };

  const send = (conn: Connection, frame: ServerFrame): boolean => {
    if (conn.socket.readyState !== conn.socket.OPEN) return false;
    const text = JSON.stringify(frame);
    // Checked before buffering, so that a reader that does not read costs at most the mark.
    if (conn.socket.bufferedAmount + Buffer.byteLength(text) > o.maxBufferedBytes) {
      refuseSocket(conn, 'slow-reader', `more than ${o.maxBufferedBytes} bytes unread`, () =>
        conn.socket.terminate(),
      );
      return false;
    }
    conn.socket.send(text);
    return true;
  };

  const sendError = (conn: Connection, code: ServerErrorCode, message: string): void => {
    send(conn, errorFrame(code, message));
  };

  const sendAll = (outbound: Outbound<Connection>[]): void => {
    for (const { to, frame } of outbound) send(to, frame);
  };

  /** Sends `code` and closes the socket: a join refused. */
  const refuseJoin = (
    conn: Connection,
    reason: RefusalReason,
    code: ServerErrorCode,
    message: string,
    closeCode: number,
  ): void => {
    sendError(conn, code, message);
    refuseSocket(conn, reason, message, () => conn.socket.close(closeCode, code));
  };

  const refuseFrame = (conn: Connection, reason: string): void => {
    totals.invalidFrames += 1;
    conn.invalidFrames += 1;
    sendError(conn, 'invalid-frame', reason);
    if (conn.invalidFrames >= o.maxInvalidFrames)
      refuseSocket(conn, 'invalid-frames', `${conn.invalidFrames} invalid frames`, () =>
        conn.socket.close(CLOSE_POLICY, 'too many invalid frames'),
      );
  };

  const welcome = (conn: Connection, room: string, peerId: string, peers: readonly string[]): void => {
    for (const page of welcomePages(room, peerId, peers)) send(conn, page);
    const timer = handshakes.get(conn.request.socket);
    if (timer) clearTimeout(timer);
  };

  /** Checks a join and answers it; frames that arrive meanwhile are refused (`joining`). */
  const onJoin = async (conn: Connection, frame: Extract<ClientFrame, { type: 'join' }>): Promise<void> => {
    const { room, peerId } = frame;
    if (rooms.membership(conn) || conn.joining) {
      sendError(conn, 'already-joined', 'this socket has already joined');
      return;
    }
    const overRate = admission.join(conn.address);
    if (overRate) {
      refuseJoin(
        conn,
        overRate,
        'rate-limited',
        'too many joins per minute; join again later',
        CLOSE_TRY_AGAIN_LATER,
      );
      return;
    }
    conn.joining = true;
    try {
      let authenticated = false;
      if (authenticate) {
        authenticated = await Promise.resolve()
          .then(() => authenticate(conn.request, { room, peerId, token: frame.token }))
          .then(
            (ok) => ok === true,
            () => false,
          );
        if (closing || conn.socket.readyState !== conn.socket.OPEN) return;
        if (!authenticated) {
          refuseJoin(
            conn,
            'unauthorized',
            'unauthorized',
            `not allowed to join ${room} as ${peerId}`,
            CLOSE_POLICY,
          );
          return;
        }
      }
      conn.digest = frame.secret === undefined ? '' : createHash('sha256').update(frame.secret).digest('hex');
      if (cluster) await clusterJoin(cluster, conn, room, peerId, authenticated);
      else localJoin(conn, room, peerId, authenticated);
    } finally {
      conn.joining = false;
    }
  };

  const refuseTaken = (conn: Connection, room: string, peerId: string) =>
    refuseJoin(
      conn,
      'peer-id-taken',
      'peer-id-taken',
      `${peerId} is held by another client in ${room}`,
      CLOSE_POLICY,
    );
  const refuseFull = (conn: Connection, room: string) =>
    refuseJoin(
      conn,
      'room-full',
      'room-full',
      `${room} holds ${o.maxRoomPeers} peers`,
      CLOSE_TRY_AGAIN_LATER,
    );

  const localJoin = (conn: Connection, room: string, peerId: string, authenticated: boolean): void => {
    const holder = rooms.holder(room, peerId);
    if (holder && !authenticated && (conn.digest === '' || conn.digest !== holder.digest)) {
      refuseTaken(conn, room, peerId);
      return;
    }
    if (!holder && rooms.size(room) >= o.maxRoomPeers) {
      refuseFull(conn, room);
      return;
    }
    const { sends, replaced } = rooms.join(conn, room, peerId);
    replaced?.replace();
    const [first, ...presence] = sends;
    if (first?.frame.type === 'welcome') welcome(conn, room, peerId, first.frame.peers);
    sendAll(presence);
  };

  /**
   * A join through the cluster: the peer id is claimed in Redis first (atomically, cluster-wide, with
   * the same rules as on one node), then the local registry follows; the welcome lists the room's
   * peers on every node, and presence reaches the others through Redis.
   */
  const clusterJoin = async (
    node: ClusterNode<Connection>,
    conn: Connection,
    room: string,
    peerId: string,
    authenticated: boolean,
  ): Promise<void> => {
    const peers = await node.claim(conn, room, peerId, {
      mayReplace: authenticated,
      digest: conn.digest,
      maxRoomPeers: o.maxRoomPeers,
    });
    if (peers === 'unavailable') {
      sendError(conn, 'unavailable', 'the cluster store (Redis) cannot be reached; join again later');
      conn.socket.close(CLOSE_TRY_AGAIN_LATER, 'cluster unavailable');
      return;
    }
    if (peers === 'peer-id-taken') return refuseTaken(conn, room, peerId);
    if (peers === 'room-full') return refuseFull(conn, room);
    // Closed while claiming: its leave already ran before it joined here, so it runs now.
    if (closing || conn.socket.readyState !== conn.socket.OPEN) return node.leave(conn);
    const { replaced } = rooms.join(conn, room, peerId);
    replaced?.replace();
    welcome(conn, room, peerId, peers);
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
    // A replaced or refused socket is on its way out; its frames must not act for anyone.
    if (closing || conn.replaced || conn.refused) return;
    // Before parsing, so that a flood costs as little as possible.
    if (!conn.frames.take()) {
      totals.rateLimited += 1;
      conn.rateLimitedFrames += 1;
      if (conn.rateLimitedFrames >= o.maxRateLimitedFrames) {
        refuseSocket(conn, 'flooding', `${conn.rateLimitedFrames} frames over the rate limit`, () =>
          conn.socket.close(CLOSE_POLICY, 'rate limit exceeded'),
        );
      } else if (conn.rateErrors.take()) {
        sendError(conn, 'rate-limited', `more than ${o.maxFramesPerSecond} frames per second`);
      }
      return;
    }
    if (isBinary) {
      refuseFrame(conn, 'binary frames are not accepted');
      return;
    }
    const parsed = parseClientFrame(rawToString(data));
    if (!parsed.ok) {
      refuseFrame(conn, parsed.reason);
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'join') void onJoin(conn, frame);
    else if (conn.joining) sendError(conn, 'not-joined', 'the join is not answered yet; wait for welcome');
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

  const onConnection = (socket: WebSocket, request: IncomingMessage): void => {
    if (closing) {
      socket.terminate();
      return;
    }
    const conn: Connection = {
      socket,
      request,
      address: request.socket.remoteAddress ?? '',
      send: (frame) => send(conn, frame),
      replace() {
        if (conn.replaced) return;
        conn.replaced = true;
        socket.close(CLOSE_REPLACED, 'replaced');
      },
      // At least one frame must pass, or a rate below 0.5/s would refuse everything.
      frames: createTokenBucket({
        ratePerSecond: o.maxFramesPerSecond,
        burst: Math.max(1, 2 * o.maxFramesPerSecond),
      }),
      rateErrors: createTokenBucket({ ratePerSecond: 1, burst: 1 }),
      replaced: false,
      joining: false,
      digest: '',
      pingPayload: undefined,
      refused: false,
      invalidFrames: 0,
      rateLimitedFrames: 0,
    };
    connections.add(conn);
    socket.on('message', (data, isBinary) => onMessage(conn, data, isBinary));
    socket.on('pong', (data) => {
      // Only the echo of our latest ping: a client that does not read cannot know it.
      if (conn.pingPayload?.equals(data)) conn.pingPayload = undefined;
    });
    // ws emits 'error' for frames it refuses (oversize: 1009, bad UTF-8: 1007, bad framing) and
    // closes the socket itself; the listener keeps the error from being thrown.
    socket.on('error', () => {
      totals.invalidFrames += 1;
    });
    socket.on('close', () => onClose(conn));
  };

  const heartbeat = setInterval(() => {
    admission.sweep();
    for (const conn of connections) {
      if (conn.pingPayload) {
        refuseSocket(conn, 'missed-pong', 'no pong to the latest ping', () => conn.socket.terminate());
        continue;
      }
      conn.pingPayload = randomBytes(8);
      conn.socket.ping(conn.pingPayload);
    }
  }, o.pingIntervalMs);
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
    url,
    port,
    stats: () => {
      let bufferedBytes = 0;
      for (const conn of connections) bufferedBytes += conn.socket.bufferedAmount;
      return {
        connections: connections.size,
        rooms: rooms.roomCount,
        peers: rooms.peerCount,
        bufferedBytes,
        ...totals,
        refused: refusals.counts(),
        ...(cluster ? { cluster: cluster.stats() } : {}),
      };
    },
    close,
  };
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
