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
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: EventHandler<unknown> | null;
  onmessage: EventHandler<{ data: unknown }> | null;
  onclose: EventHandler<{ code: number; reason: string }> | null;
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

/** The `session` actor logic for a WebSocket implementation. */
export function createSessionLogic(WebSocketImpl: WebSocketConstructor, tracker: SocketTracker) {
  return fromCallback<SignalingEvent, SignalingInput & { generation: number }>(
    ({ input, sendBack, receive }) => {
      const { generation } = input;
      let ended = false;
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
      socket.onopen = () => {
        if (!ended) transmit({ v: PROTOCOL_VERSION, type: 'join', room: input.room, peerId: input.peerId });
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
        if (frame.type === 'welcome') sendBack({ type: 'SESSION.OPEN', generation, peers: frame.peers });
        else sendBack({ type: 'SESSION.FRAME', generation, frame });
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
