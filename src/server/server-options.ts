/**
 * The options of `startSignalingServer` (src/server/signaling-server.ts), their defaults (one table,
 * `SERVER_DEFAULTS`) and `resolveServerOptions`, which checks and applies them. Every limit the
 * server enforces on what clients may make it spend is one of these options.
 */
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Signal } from '../protocol/signals.js';
import { LIMITS } from '../protocol/signals.js';
import type { ClusterOptions } from './cluster.js';
import type { Authenticate } from './join-token.js';

/** Options of `startSignalingServer`; all optional. Times in ms, sizes in bytes. */
export interface SignalingServerOptions {
  /** Interface to listen on. Default `'127.0.0.1'`. */
  host?: string;
  /** TCP port, 0-65535. Default `0`: a free port chosen by the OS (read it from `port` or `url`). */
  port?: number;
  /**
   * Checks each join (see `Authenticate`; `joinTokenAuthenticator` is a ready one for JWTs). A join it
   * refuses gets an `error` frame `unauthorized` and its socket is closed with 1008. Without it the
   * server runs unauthenticated (it says so in the log when it starts): fit for the demo on
   * 127.0.0.1, not for a network with strangers on it.
   */
  authenticate?: Authenticate;
  /**
   * `Origin` header values (e.g. `'https://app.example'`) an upgrade may carry; another is refused
   * with HTTP 403. An upgrade without `Origin` (not from a browser) is let through: the header only
   * guards against pages of other sites using a visitor's browser. Default: any origin.
   */
  allowedOrigins?: readonly string[];
  /**
   * Serve `wss://` with these options of Node's `https.createServer` (at least `key` and `cert`, PEM).
   * Default: plain `ws://` (put a TLS-terminating proxy in front, or give this).
   */
  tls?: HttpsServerOptions;
  /**
   * Largest frame accepted, in bytes (ws `maxPayload`); a larger frame closes its socket with code
   * 1009. Integer >= 1. Default `LIMITS.maxFrameBytes` (64 KiB).
   */
  maxFrameBytes?: number;
  /**
   * Frames a socket may send per second, on average (token bucket; bursts of twice this many, and
   * at least 1, are admitted). A frame over the limit is dropped and the socket gets an `error` frame
   * with code `'rate-limited'`, at most one such error per second. Finite, > 0. Default `500`.
   */
  maxFramesPerSecond?: number;
  /**
   * Frames of one socket dropped by the rate limit, in all, at which the socket is closed with 1008
   * (refusal `flooding`). Integer >= 1. Default `1000`.
   */
  maxRateLimitedFrames?: number;
  /**
   * Heartbeat period: every tick each socket is pinged with a fresh random payload, and a socket
   * that has not answered the previous ping with a pong echoing its payload is terminated (refusal
   * `missed-pong`); a pong that answers no ping, or an older one, counts for nothing.
   * Integer 1-2147483647. Default `10000`.
   */
  pingIntervalMs?: number;
  /**
   * Invalid frames a socket may send before it is closed with code 1008 (policy violation): the
   * socket is closed on its `maxInvalidFrames`-th invalid frame. Integer >= 1. Default `20`.
   */
  maxInvalidFrames?: number;
  /**
   * High-water mark of a socket's send buffer: bytes the server holds for a socket that has not
   * read them yet. A frame that would take it above this terminates the socket (refusal
   * `slow-reader`), so a client that does not read costs at most this much memory.
   * Integer >= `LIMITS.maxFrameBytes`. Default `524288` (512 KiB).
   */
  maxBufferedBytes?: number;
  /**
   * Time from a TCP connection's accept until its join is accepted (HTTP upgrade, TLS, join frame,
   * `authenticate`); past it the connection is destroyed (refusal `handshake-timeout`).
   * Integer 1-2147483647. Default `5000`.
   */
  handshakeTimeoutMs?: number;
  /**
   * Open TCP connections in all; one more is answered with HTTP 503 and closed (refusal
   * `max-connections`). Mind the process's file descriptor limit. Integer >= 1. Default `1000`.
   */
  maxConnections?: number;
  /**
   * Open TCP connections from one remote address (refusal `max-connections-per-address`). Behind a
   * reverse proxy every client has the proxy's address: raise it there. Integer >= 1. Default `32`.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Joins per minute in all (token bucket, bursts of as many): one more gets an `error` frame
   * `rate-limited` and is closed with 1013 (refusal `joins-per-minute`). Integer >= 1. Default `1200`.
   */
  maxJoinsPerMinute?: number;
  /** Joins per minute from one remote address, likewise (refusal `joins-per-minute-per-address`). Integer >= 1. Default `60`. */
  maxJoinsPerMinutePerAddress?: number;
  /**
   * Peers in one room (in the whole cluster with `cluster`); one more join gets an `error` frame
   * `room-full` and is closed with 1013. Integer 1-`LIMITS.maxWelcomePeers`. Default `256`.
   */
  maxRoomPeers?: number;
  /**
   * Where the server's log lines go: the unauthenticated-mode notice at start, and refusals (the
   * first of each reason at once, then at most one line a second per reason). Default `console.warn`.
   */
  log?: (line: string) => void;
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

/** The default of every limit of {@link SignalingServerOptions}. */
export const SERVER_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  maxFrameBytes: LIMITS.maxFrameBytes,
  maxFramesPerSecond: 500,
  maxRateLimitedFrames: 1_000,
  pingIntervalMs: 10_000,
  maxInvalidFrames: 20,
  maxBufferedBytes: 512 * 1024,
  handshakeTimeoutMs: 5_000,
  maxConnections: 1_000,
  maxConnectionsPerAddress: 32,
  maxJoinsPerMinute: 1_200,
  maxJoinsPerMinutePerAddress: 60,
  maxRoomPeers: 256,
} as const;

/** The options with every default applied and every limit checked. */
export type ResolvedServerOptions = Required<
  Omit<SignalingServerOptions, 'authenticate' | 'allowedOrigins' | 'tls' | 'transformSignal' | 'cluster'>
> &
  Pick<SignalingServerOptions, 'authenticate' | 'allowedOrigins' | 'tls' | 'transformSignal' | 'cluster'>;

/** setTimeout and setInterval silently turn larger delays into 1 ms. */
const MAX_DELAY_MS = 2 ** 31 - 1;

function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/**
 * Applies {@link SERVER_DEFAULTS} to `options`.
 * @throws RangeError for an option out of the range its documentation gives.
 */
export function resolveServerOptions(options: SignalingServerOptions): ResolvedServerOptions {
  const d = SERVER_DEFAULTS;
  const integer = (name: keyof typeof d, min: number, max?: number) =>
    checkInteger(name, (options[name] as number | undefined) ?? (d[name] as number), min, max);
  const maxFramesPerSecond = options.maxFramesPerSecond ?? d.maxFramesPerSecond;
  if (!(Number.isFinite(maxFramesPerSecond) && maxFramesPerSecond > 0)) {
    throw new RangeError(`maxFramesPerSecond must be a finite number > 0, got ${maxFramesPerSecond}`);
  }
  return {
    host: options.host ?? d.host,
    port: integer('port', 0, 65535),
    authenticate: options.authenticate,
    allowedOrigins: options.allowedOrigins,
    tls: options.tls,
    maxFrameBytes: integer('maxFrameBytes', 1),
    maxFramesPerSecond,
    maxRateLimitedFrames: integer('maxRateLimitedFrames', 1),
    pingIntervalMs: integer('pingIntervalMs', 1, MAX_DELAY_MS),
    maxInvalidFrames: integer('maxInvalidFrames', 1),
    maxBufferedBytes: integer('maxBufferedBytes', LIMITS.maxFrameBytes),
    handshakeTimeoutMs: integer('handshakeTimeoutMs', 1, MAX_DELAY_MS),
    maxConnections: integer('maxConnections', 1),
    maxConnectionsPerAddress: integer('maxConnectionsPerAddress', 1),
    maxJoinsPerMinute: integer('maxJoinsPerMinute', 1),
    maxJoinsPerMinutePerAddress: integer('maxJoinsPerMinutePerAddress', 1),
    maxRoomPeers: integer('maxRoomPeers', 1, LIMITS.maxWelcomePeers),
    log: options.log ?? ((line) => console.warn(line)),
    transformSignal: options.transformSignal,
    cluster: options.cluster,
  };
}
