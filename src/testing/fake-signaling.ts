/**
 * An in-memory signaling hub and a fake WebSocket speaking peerstate's signaling protocol (see
 * src/protocol/signals.ts), for deterministic tests. Frames are queued, not delivered, until the test
 * calls `deliver()` / `deliverAll()`, so the test picks the interleaving. Sockets open, close and fail
 * only when the test says so. The room rules are the server's own (src/protocol/room-registry.ts).
 */
import { errorFrame, type Membership, type Outbound, RoomRegistry } from '../protocol/room-registry.js';
import type { ServerFrame } from '../protocol/signals.js';
import { parseClientFrame } from '../protocol/signals.js';
import type { WebSocketConstructor, WebSocketLike } from '../signaling/transport.js';

/** A frame waiting in the hub's queue until the test delivers it. */
export interface Queued {
  /** The socket the frame came from (client → hub) or goes to (hub → client). */
  socket: FakeWebSocket;
  /** Delivers it: the hub takes the client frame, or the socket gets the server frame if still open. */
  deliver: () => void;
  /** `<from> → <to> <frame JSON>`, e.g. `alice → hub {"type":"join",...}`; `deliver(filter)` tests it. */
  describe: string;
}

/** The in-memory hub: rooms, presence and relay, with an explicit delivery queue. */
export class FakeSignalingHub {
  /** Called for every frame queued (e.g. to let a scheduler decide when it is delivered). */
  onQueued: ((describe: string) => void) | undefined;
  /** Called for every socket created (it stays CONNECTING until `acceptOpen`). */
  onSocket: ((socket: FakeWebSocket) => void) | undefined;
  /** Every socket ever created, in order. */
  readonly sockets: FakeWebSocket[] = [];
  /** Frames waiting to be delivered to a socket (server → client) or to the hub (client → server). */
  readonly queue: Queued[] = [];
  /** @internal the rooms, shared with FakeWebSocket for its membership. */
  readonly rooms = new RoomRegistry<FakeWebSocket>();

  /** The WebSocket constructor to pass as `createPeerSystem({ WebSocket })`. */
  get WebSocket(): WebSocketConstructor {
    const hub = this;
    return class extends FakeWebSocket {
      constructor(url: string) {
        super(url, hub);
      }
    };
  }

  /** Delivers the oldest queued frame (or the oldest one matching `filter`). False if none. */
  deliver(filter?: (description: string) => boolean): boolean {
    const index = filter ? this.queue.findIndex((q) => filter(q.describe)) : 0;
    const item = index >= 0 ? this.queue.splice(index, 1)[0] : undefined;
    if (!item) return false;
    item.deliver();
    return true;
  }

  /** Delivers queued frames (and whatever they cause) until none is left, at most `limit`. Returns how many. */
  deliverAll(limit = 10_000): number {
    let n = 0;
    while (n < limit && this.deliver()) n++;
    return n;
  }

  /** Opens every socket that is still connecting (the TCP/WebSocket handshake succeeds). */
  openAll(): void {
    for (const socket of this.sockets) if (socket.readyState === 0) socket.acceptOpen();
  }

  /** Peer ids present in `room`. */
  present(room: string): string[] {
    return this.rooms.present(room);
  }

  /** @internal a client frame arrives at the hub. */
  receive(socket: FakeWebSocket, text: string): void {
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      this.send(socket, errorFrame('invalid-frame', parsed.reason));
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'join') {
      const { sends, replaced } = this.rooms.join(socket, frame.room, frame.peerId);
      this.sendAll(sends);
      replaced?.closeFromServer(4001, 'replaced');
      return;
    }
    const { to, frame: out } = this.rooms.relay(socket, frame.to, frame.signal);
    this.send(to, out);
  }

  /** @internal a socket closed. */
  leave(socket: FakeWebSocket): void {
    this.sendAll(this.rooms.leave(socket));
  }

  /** @internal queues a client → hub frame. */
  enqueueFromClient(socket: FakeWebSocket, text: string): void {
    const describe = `${socket.label} → hub ${text}`;
    this.queue.push({ socket, deliver: () => this.receive(socket, text), describe });
    this.onQueued?.(describe);
  }

  private sendAll(outbound: Outbound<FakeWebSocket>[]): void {
    for (const { to, frame } of outbound) this.send(to, frame);
  }

  private send(socket: FakeWebSocket, frame: ServerFrame): void {
    const text = JSON.stringify(frame);
    const describe = `hub → ${socket.label} ${text}`;
    this.queue.push({ socket, deliver: () => socket.deliverText(text), describe });
    this.onQueued?.(describe);
  }
}

/** A fake WebSocket bound to a hub. States as in the WHATWG WebSocket: 0 connecting, 1 open, 3 closed. */
export class FakeWebSocket implements WebSocketLike {
  /** 0 connecting, 1 open, 3 closed (this fake never reports 2, closing). */
  readyState = 0;
  /** Called by `acceptOpen()`. */
  onopen: ((event: unknown) => void) | null = null;
  /** Called when the test delivers a server frame to this open socket; `data` is the frame's JSON text. */
  onmessage: ((event: { data: unknown }) => void) | null = null;
  /** Called by `close()` and `closeFromServer()` with the close code and reason. */
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  /** Never called by the fake: its failures are closes (`closeFromServer`). */
  onerror: ((event: unknown) => void) | null = null;
  /** Frames sent by the client, in order. */
  readonly sentFrames: string[] = [];

  constructor(
    readonly url: string,
    private readonly hub: FakeSignalingHub,
  ) {
    hub.sockets.push(this);
    hub.onSocket?.(this);
  }

  /** Where this socket joined, once the hub has taken its join (also after it left). */
  get joined(): Membership | undefined {
    return this.hub.rooms.membership(this);
  }

  /** A name for queue descriptions: the joined peer id, or the socket's index. */
  get label(): string {
    return this.joined?.peerId ?? `socket#${this.hub.sockets.indexOf(this)}`;
  }

  /** Queues the frame for the hub (and records it in `sentFrames`). Throws InvalidStateError unless open. */
  send(data: string): void {
    if (this.readyState !== 1) throw new DOMException('WebSocket is not open', 'InvalidStateError');
    this.sentFrames.push(data);
    this.hub.enqueueFromClient(this, data);
  }

  /** Closes at once (no handshake): leaves the room and calls `onclose`. Does nothing once closed. */
  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.hub.leave(this);
    this.onclose?.({ code, reason });
  }

  /** Test: the handshake succeeds. */
  acceptOpen(): void {
    if (this.readyState !== 0) return;
    this.readyState = 1;
    this.onopen?.({});
  }

  /** Test: the connection drops (network failure or server gone). */
  closeFromServer(code = 1006, reason = 'abnormal closure'): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.hub.leave(this);
    this.onclose?.({ code, reason });
  }

  /** @internal a server frame arrives. Frames to a closed socket are lost, as on a real network. */
  deliverText(text: string): void {
    if (this.readyState === 1) this.onmessage?.({ data: text });
  }
}

/** Creates a hub; pass `hub.WebSocket` to `createPeerSystem`. */
export function createFakeSignaling(): FakeSignalingHub {
  return new FakeSignalingHub();
}
