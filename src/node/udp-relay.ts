/**
 * A UDP relay on 127.0.0.1 for fault injection in real-stack tests and benches (no root needed;
 * docs/stacks.md).
 *
 * Every real endpoint E (an ip:port a peer sends from or receives on) gets its own relay socket
 * R(E) on 127.0.0.1 with a port of its own. A datagram from E arriving at R(X) is forwarded to X
 * from R(E), so X sees it coming from R(E) and answers there; that answer is forwarded to E from
 * R(X). Both directions of every path pass through the relay, and the peers never see each other's
 * real addresses.
 *
 * To put a pair of peers behind the relay, the signaling between them is rewritten:
 * - every trickled candidate goes through {@link UdpRelay.rewriteCandidate}, which points a UDP host
 *   candidate on 127.0.0.1 (or another of `hostAddresses`) at its relay socket and returns `null`
 *   for every other candidate (IPv6, TCP, other interfaces, srflx/relay): the caller drops those, so
 *   that no path can bypass the relay;
 * - every description goes through {@link UdpRelay.rewriteSdp}, which strips the candidates that an
 *   SDP may carry.
 *
 * {@link UdpRelay.rewriteSignal} does both for a signal of src/protocol/signals.ts, e.g. as the
 * `transformSignal` hook of the embedded signaling server. Then {@link UdpRelay.block} cuts every
 * path silently (datagrams are dropped and counted, no ICMP, no send error) and
 * {@link UdpRelay.heal} restores them.
 *
 * Relay sockets are created synchronously (a rewrite must answer at once), bounded by
 * `maxSockets`, and all released by {@link UdpRelay.close}.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { Signal } from '../protocol/signals.js';

/** The address every relay socket is bound to. */
export const RELAY_HOST = '127.0.0.1';

/** Default cap on relay sockets per relay. */
export const DEFAULT_MAX_RELAY_SOCKETS = 256;

/** Options of {@link createUdpRelay}; all optional. */
export interface UdpRelayOptions {
  /**
   * Most relay sockets open at once (one per real endpoint seen). Integer 1-4096. Default 256.
   * {@link UdpRelay.relayFor} / {@link UdpRelay.rewriteCandidate} throw {@link UdpRelayCapacityError}
   * beyond it; a datagram from an unknown endpoint beyond it is dropped and counted in `overCapacity`.
   */
  maxSockets?: number;
  /**
   * The IPv4 addresses whose UDP host candidates are relayed. Default `['127.0.0.1']`. Chromium never
   * gathers loopback: add the machine's own interface address to carry its candidates.
   */
  hostAddresses?: readonly string[];
}

/** An IPv4 UDP endpoint. */
export interface UdpEndpoint {
  /** Dotted-quad IPv4 address. */
  readonly address: string;
  /** UDP port, 1-65535. */
  readonly port: number;
}

/** Counters of a relay. Totals count datagrams since creation; `sockets` is a gauge. */
export interface UdpRelayStats {
  /** Total: datagrams forwarded (sent on by the relay). */
  forwarded: number;
  /** Total: datagrams dropped because the relay was blocked. */
  dropped: number;
  /** Total: datagrams dropped because a relay socket for their sender would exceed `maxSockets`. */
  overCapacity: number;
  /**
   * Total: datagrams lost to an error: a failed send, a socket error, or a datagram sent by a relay
   * socket to another one (a loop; nothing legitimate does that).
   */
  errors: number;
  /** Gauge: relay sockets open now. */
  sockets: number;
}

/** A running UDP relay. */
export interface UdpRelay {
  /** The address of every relay socket: {@link RELAY_HOST}. */
  readonly host: string;
  /**
   * The relay endpoint standing for the real endpoint `address`:`port`: datagrams sent to it are
   * forwarded there. Creates the relay socket on first use; the same endpoint always gets the same
   * relay socket, and a relay endpoint stands for itself (so rewriting twice changes nothing).
   * @throws UdpRelayCapacityError if a new socket would exceed `maxSockets`.
   * @throws Error if the relay is closed, or the socket cannot be bound.
   */
  relayFor(address: string, port: number): UdpEndpoint;
  /**
   * Rewrites one candidate line (`candidate:...`, with or without a leading `a=`) of a UDP host
   * candidate on one of `hostAddresses` (default 127.0.0.1) so that it points at the relay socket of
   * that endpoint; every other field is kept. Returns `null` for anything the relay cannot carry (TCP, IPv6, other addresses,
   * non-host types, an unparsable line, or a closed relay): the caller must drop that candidate,
   * or the peers could find a path around the relay.
   * @throws UdpRelayCapacityError if a new socket would exceed `maxSockets`.
   */
  rewriteCandidate(candidateLine: string): string | null;
  /**
   * Removes every `a=candidate:` and `a=end-of-candidates` line from an SDP, keeping its line
   * endings, so that only trickled (rewritten) candidates are used.
   */
  rewriteSdp(sdp: string): string;
  /**
   * Rewrites a signaling message: descriptions through {@link rewriteSdp}, candidates through
   * {@link rewriteCandidate} (`null`, i.e. drop the signal, for a candidate the relay cannot carry);
   * end-of-candidates, `hello` and `bye` unchanged. Fits the `transformSignal` option of
   * `startSignalingServer`.
   * @throws UdpRelayCapacityError if a new socket would exceed `maxSockets`.
   */
  rewriteSignal(signal: Signal): Signal | null;
  /**
   * Drops every datagram from now on, silently, counting them in `dropped`, until {@link heal}.
   * `direction` is `'both'`, the only direction supported so far. Idempotent.
   */
  block(direction?: 'both'): void;
  /** Forwards datagrams again. Idempotent. */
  heal(): void;
  /** True between {@link block} and {@link heal}. */
  readonly blocked: boolean;
  /** A snapshot of the counters. */
  stats(): UdpRelayStats;
  /** Closes every relay socket; resolves once all are closed. Idempotent: every call returns the same promise. */
  close(): Promise<void>;
}

/** Thrown when a relay would need more than `maxSockets` sockets. */
export class UdpRelayCapacityError extends Error {
  override readonly name = 'UdpRelayCapacityError';
  constructor(readonly maxSockets: number) {
    super(`udp relay: all ${maxSockets} relay sockets are in use (raise maxSockets)`);
  }
}

/** One relay socket R(E): it stands for the real endpoint E. */
interface RelaySocket {
  readonly socket: Socket;
  /** The real endpoint this socket stands for. */
  readonly real: UdpEndpoint;
  /** The port the socket is bound to on {@link RELAY_HOST}. */
  readonly port: number;
}

/** `candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type> ...`. */
const CANDIDATE_LINE = /^(a=)?candidate:(\S+) (\d+) (\S+) (\d+) (\S+) (\d+) typ (\S+)(.*)$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * A lookup that answers at once. With it, and `exclusive` (no cluster round trip), Node's
 * `socket.bind` binds synchronously: the port is known when `bind` returns, bind errors are emitted
 * before it returns. createUdpRelay checks this on start.
 */
function immediateLookup(
  hostname: string,
  options: unknown,
  callback?: (error: Error | null, address: string, family: number) => void,
): void {
  const cb = (typeof options === 'function' ? options : callback) as (
    error: Error | null,
    address: string,
    family: number,
  ) => void;
  cb(null, hostname, 4);
}

/**
 * Creates a UDP relay on 127.0.0.1. It owns no socket until the first endpoint is relayed.
 * @throws (rejects) RangeError for `maxSockets` out of range, TypeError for a `hostAddresses` entry
 * that is not IPv4; Error if this Node binds UDP sockets
 * asynchronously (the relay needs the port of a new socket at once).
 */
export async function createUdpRelay(options: UdpRelayOptions = {}): Promise<UdpRelay> {
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_RELAY_SOCKETS;
  if (!Number.isInteger(maxSockets) || maxSockets < 1 || maxSockets > 4096) {
    throw new RangeError(`maxSockets must be an integer in [1, 4096], got ${maxSockets}`);
  }
  const hostAddresses = new Set(options.hostAddresses ?? [RELAY_HOST]);
  for (const address of hostAddresses)
    if (!isIpv4(address)) throw new TypeError(`udp relay: not an IPv4 address: ${JSON.stringify(address)}`);

  /** Relay sockets by the real endpoint they stand for (`ip:port`). */
  const byReal = new Map<string, RelaySocket>();
  /** Ports of relay sockets, to recognise a relay endpoint. */
  const relayPorts = new Map<number, RelaySocket>();
  const totals = { forwarded: 0, dropped: 0, overCapacity: 0, errors: 0 };
  let blocked = false;
  let closed: Promise<void> | undefined;

  const countError = (error: Error | null): void => {
    if (error) totals.errors += 1;
  };

  /** A socket bound on 127.0.0.1 before this returns. */
  const bindNow = (): { socket: Socket; port: number } => {
    const socket = createSocket({ type: 'udp4', lookup: immediateLookup });
    let bindError: Error | undefined;
    const onBindError = (error: Error) => {
      bindError = error;
    };
    socket.once('error', onBindError);
    socket.bind({ port: 0, address: RELAY_HOST, exclusive: true });
    socket.off('error', onBindError);
    let port: number | undefined;
    try {
      port = socket.address().port;
    } catch {
      // Not bound yet: this Node binds asynchronously.
    }
    if (bindError || port === undefined) {
      try {
        socket.close();
      } catch {
        // Never bound: nothing to release.
      }
      throw new Error(
        `udp relay: could not bind a socket on ${RELAY_HOST} synchronously${bindError ? `: ${bindError.message}` : ''}`,
      );
    }
    socket.on('error', countError);
    return { socket, port };
  };

  // Fail now, not at the first rewrite, if this Node cannot bind synchronously.
  const probe = bindNow();
  await new Promise<void>((resolve) => probe.socket.close(() => resolve()));

  const open = (real: UdpEndpoint): RelaySocket => {
    if (byReal.size >= maxSockets) throw new UdpRelayCapacityError(maxSockets);
    const { socket, port } = bindNow();
    const relaySocket: RelaySocket = { socket, real, port };
    byReal.set(key(real.address, real.port), relaySocket);
    relayPorts.set(port, relaySocket);
    socket.on('message', (data, from) => onMessage(relaySocket, data, from));
    return relaySocket;
  };

  /** The relay socket standing for a real endpoint (created on demand), or for itself if it is one. */
  const socketFor = (address: string, port: number): RelaySocket => {
    if (closed) throw new Error('udp relay: closed');
    if (address === RELAY_HOST) {
      const own = relayPorts.get(port);
      if (own) return own;
    }
    return byReal.get(key(address, port)) ?? open({ address, port });
  };

  /** A datagram from `from` arrived at `target` = R(X): forward it to X from R(from). */
  const onMessage = (target: RelaySocket, data: Buffer, from: RemoteInfo): void => {
    if (closed) return;
    if (blocked) {
      totals.dropped += 1;
      return;
    }
    // A relay socket sending to another one would loop; nothing legitimate does that.
    if (from.address === RELAY_HOST && relayPorts.has(from.port)) {
      totals.errors += 1;
      return;
    }
    let source = byReal.get(key(from.address, from.port));
    if (!source) {
      try {
        source = open({ address: from.address, port: from.port });
      } catch (error) {
        if (error instanceof UdpRelayCapacityError) totals.overCapacity += 1;
        else totals.errors += 1;
        return;
      }
    }
    totals.forwarded += 1;
    source.socket.send(data, target.real.port, target.real.address, countError);
  };

  const relayFor = (address: string, port: number): UdpEndpoint => {
    if (!isIpv4(address)) throw new TypeError(`udp relay: not an IPv4 address: ${JSON.stringify(address)}`);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`udp relay: port must be an integer in [1, 65535], got ${port}`);
    }
    return { address: RELAY_HOST, port: socketFor(address, port).port };
  };

  const rewriteCandidate = (candidateLine: string): string | null => {
    if (closed) return null;
    const match = CANDIDATE_LINE.exec(candidateLine.trim());
    if (!match) return null;
    const [, prefix = '', foundation, component, transport, priority, address, port, type, rest] = match;
    if (transport?.toLowerCase() !== 'udp' || type !== 'host' || !hostAddresses.has(address ?? ''))
      return null;
    const portNumber = Number(port);
    if (portNumber < 1 || portNumber > 65535) return null;
    const relay = relayFor(address ?? RELAY_HOST, portNumber);
    return `${prefix}candidate:${foundation} ${component} ${transport} ${priority} ${relay.address} ${relay.port} typ host${rest}`;
  };

  const rewriteSdp = (sdp: string): string =>
    sdp.replace(/^a=(?:candidate:|end-of-candidates)[^\r\n]*(?:\r\n|\n|\r)?/gm, '');

  const rewriteSignal = (signal: Signal): Signal | null => {
    if (signal.type === 'description') {
      return { ...signal, description: { ...signal.description, sdp: rewriteSdp(signal.description.sdp) } };
    }
    if (signal.type === 'candidate' && signal.candidate) {
      const line = rewriteCandidate(signal.candidate.candidate);
      return line === null ? null : { ...signal, candidate: { ...signal.candidate, candidate: line } };
    }
    return signal;
  };

  const close = (): Promise<void> => {
    closed ??= (async () => {
      const sockets = [...byReal.values()];
      byReal.clear();
      relayPorts.clear();
      await Promise.all(
        sockets.map(({ socket }) => new Promise<void>((resolve) => socket.close(() => resolve()))),
      );
    })();
    return closed;
  };

  return {
    host: RELAY_HOST,
    relayFor,
    rewriteCandidate,
    rewriteSdp,
    rewriteSignal,
    block(direction: 'both' = 'both') {
      if (direction !== 'both') throw new TypeError(`udp relay: unsupported direction ${String(direction)}`);
      blocked = true;
    },
    heal() {
      blocked = false;
    },
    get blocked() {
      return blocked;
    },
    stats: () => ({ ...totals, sockets: byReal.size }),
    close,
  };
}

function key(address: string, port: number): string {
  return `${address}:${port}`;
}

function isIpv4(address: string): boolean {
  const match = IPV4.exec(address);
  if (!match) return false;
  return match.slice(1).every((octet) => Number(octet) <= 255);
}
