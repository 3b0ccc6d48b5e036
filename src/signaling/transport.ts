/**
 * The WebSocket signaling session: the implementation of the signaling chart's `session` actor.
 * One instance per session generation. It joins the room, validates every inbound frame (a frame that
 * fails validation is reported as SESSION.INVALID and never processed), transmits SIGNALING.SEND
 * events as `signal` frames (paced under the server's rate limit: ./pacer.ts), and reports SESSION.CLOSED when the socket closes. After its cleanup ran
 * it reports nothing, and its socket is closed.
 */
import { fromCallback } from 'xstate';
import type { SignalingEvent, SignalingInput } from '../../machines/signaling.js';
import type { ClientFrame, Signal } from '../protocol/signals.js';
import { LIMITS, PROTOCOL_VERSION, parseServerFrame } from '../protocol/signals.js';
import { createPacer, SIGNALING_PACE } from './pacer.js';

/**
 * An event handler property. Its parameter is compared both ways (as a method's is), so that the
 * browser's `WebSocket`, whose handlers take `Event`, `MessageEvent` and `CloseEvent`, fits without
 * a cast.
 */
type EventHandler<E> = { handle(event: E): void }['handle'];

/** The part of the WebSocket API (WHATWG / `ws`) the session uses. */
export interface WebSocketLike {
  /** 0 connecting, 1 open, 2 closing, 3 closed (WHATWG WebSocket). */
  readonly readyState: number;
  /** Sends one text frame. Called only while `readyState` is 1 (open); a socket may throw otherwise. */
  send(data: string): void;
  /** Starts the closing handshake with a close `code` (1000 when the session ends) and a `reason`. */
  close(code?: number, reason?: string): void;
  /** Fires when the handshake succeeded: the session sends its `join` frame then. */
  onopen: EventHandler<unknown> | null;
  /** Fires for each frame received; a `data` that is not a string is refused as a binary frame. */
  onmessage: EventHandler<{ data: unknown }> | null;
  /** Fires once the socket is closed, with the close code and reason (1006: closed abnormally). */
  onclose: EventHandler<{ code: number; reason: string }> | null;
  /** Fires on a failure; ignored, since `close` always follows and is what the session acts on. */
  onerror: EventHandler<unknown> | null;
}

/** A WebSocket constructor: the global `WebSocket` in browsers, `ws`'s in Node. */
export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;
const CLOSED = 3;

/**
 * Tracks the sockets of every session so that `stop()` can wait until all of them are closed.
 * `closeAll` resolves when every tracked socket reported `close`, or after `timeoutMs`.
 */
export class SocketTracker {
  private readonly pending = new Set<Promise<void>>();

  /** Closes a socket (code 1000) and remembers until it is closed. */
  close(socket: WebSocketLike): void {
    if (socket.readyState === CLOSED) return;
    const closed = new Promise<void>((resolve) => {
      socket.onclose = () => resolve();
    });
    const entry = closed.then(() => {
      this.pending.delete(entry);
    });
    this.pending.add(entry);
    try {
      socket.close(1000, 'session ended');
    } catch {
      // A socket still CONNECTING may throw on close in some implementations; it closes anyway.
    }
  }

  /** Resolves once every socket closed (or `timeoutMs` passed; ms). */
  async settle(timeoutMs: number): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.all([...this.pending]), timeout]);
    clearTimeout(timer);
  }
}

/**
 * What a join carries to prove who we are: a token for the server's `authenticate` hook (e.g. a JWT
 * minted by `createJoinToken` of peerstate/server), or a function that gets a fresh one for each
 * session (it may reject: the session then ends and is retried after the usual backoff).
 */
export type SignalingToken = string | (() => string | Promise<string>);

/** A random secret for the joins of one system: 128 bits, in hex. */
function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * The `session` actor logic for a WebSocket implementation. Every join of its sessions carries one
 * secret, so that the server lets a new session of ours replace a half-dead old one, and nobody else.
 */
export function createSessionLogic(
  WebSocketImpl: WebSocketConstructor,
  tracker: SocketTracker,
  token?: SignalingToken,
) {
  const secret = randomSecret();
  return fromCallback<SignalingEvent, SignalingInput & { generation: number }>(
    ({ input, sendBack, receive }) => {
      const { generation } = input;
      let ended = false;
      /** Peer ids of the welcome pages so far (a welcome of a large room comes in pages). */
      let welcomed: string[] = [];
      const socket = new WebSocketImpl(input.url);
      const transmit = (frame: ClientFrame) => {
        const text = JSON.stringify(frame);
        if (text.length > LIMITS.maxFrameBytes) {
          sendBack({
            type: 'SESSION.INVALID',
            generation,
            reason: `outbound frame of ${text.length} bytes is too large`,
          });
          return;
        }
        socket.send(text);
      };
      const join = (joinToken: string | undefined) => {
        if (ended || socket.readyState !== OPEN) return;
        transmit({
          v: PROTOCOL_VERSION,
          type: 'join',
          room: input.room,
          peerId: input.peerId,
          secret,
          ...(joinToken === undefined ? {} : { token: joinToken }),
        });
      };
      socket.onopen = () => {
        if (ended) return;
        if (typeof token !== 'function') return join(token);
        // A token that cannot be had ends the session; the chart reconnects after its backoff.
        Promise.resolve()
          .then(token)
          .then(join, () => socket.close(1000, 'no signaling token'));
      };
      socket.onmessage = (event) => {
        if (ended) return;
        if (typeof event.data !== 'string') {
          sendBack({ type: 'SESSION.INVALID', generation, reason: 'binary frame' });
          return;
        }
        const parsed = parseServerFrame(event.data);
        if (!parsed.ok) {
          sendBack({ type: 'SESSION.INVALID', generation, reason: parsed.reason });
          return;
        }
        const frame = parsed.frame;
        if (frame.type !== 'welcome') {
          sendBack({ type: 'SESSION.FRAME', generation, frame });
          return;
        }
        welcomed = welcomed.concat(frame.peers);
        if (welcomed.length > LIMITS.maxWelcomePeers) {
          sendBack({ type: 'SESSION.INVALID', generation, reason: 'welcome lists too many peers' });
          welcomed = [];
          return;
        }
        if (frame.more) return;
        sendBack({ type: 'SESSION.OPEN', generation, peers: welcomed });
        welcomed = [];
      };
      socket.onclose = (event) => {
        if (!ended) sendBack({ type: 'SESSION.CLOSED', generation, code: event.code, reason: event.reason });
      };
      // An error is always followed by close, which is what the chart acts on.
      socket.onerror = () => {};
      // Signals go out at a pace the server's rate limit admits (a mesh starts with a burst).
      const pacer = createPacer<{ to: string; signal: Signal }>(
        SIGNALING_PACE,
        ({ to, signal }) => {
          if (ended) return;
          // The socket may be closing before its close event reached the chart (CB-4): drop by rule, and say so.
          if (socket.readyState !== OPEN) {
            sendBack({ type: 'SESSION.UNSENT', generation, to, reason: 'socket is not open' });
            return;
          }
          transmit({ v: PROTOCOL_VERSION, type: 'signal', to, signal });
        },
        ({ to }) => sendBack({ type: 'SESSION.UNSENT', generation, to, reason: 'too many signals waiting' }),
      );
      receive((event) => {
        if (ended || event.type !== 'SIGNALING.SEND') return;
        pacer.send({ to: event.to, signal: event.signal });
      });
      return () => {
        ended = true;
        pacer.close();
        socket.onmessage = null;
        tracker.close(socket);
      };
    },
  );
}
