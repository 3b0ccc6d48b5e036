/**
 * An in-memory signaling hub and a fake WebSocket speaking peerstate's signaling protocol (see
 * src/protocol/signals.ts), for deterministic tests. Frames are queued, not delivered, until the test
 * calls `deliver()` / `deliverAll()`, so the test picks the interleaving. Sockets open, close and fail
 * only when the test says so.
 */
import type { ServerFrame } from '../protocol/signals.js';
import { PROTOCOL_VERSION, parseClientFrame } from '../protocol/signals.js';
import type { WebSocketConstructor, WebSocketLike } from '../signaling/transport.js';

interface Queued {
  socket: FakeWebSocket;
  deliver: () => void;
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
  private readonly rooms = new Map<string, Map<string, FakeWebSocket>>();

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
    return [...(this.rooms.get(room)?.keys() ?? [])].sort();
  }

  /** @internal a client frame arrives at the hub. */
  receive(socket: FakeWebSocket, text: string): void {
    const parsed = parseClientFrame(text);
    if (!parsed.ok) {
      this.send(socket, {
        v: PROTOCOL_VERSION,
        type: 'error',
        code: 'invalid-frame',
        message: parsed.reason,
      });
      return;
    }
    const frame = parsed.frame;
    if (frame.type === 'join') {
      const room = this.rooms.get(frame.room) ?? new Map<string, FakeWebSocket>();
      this.rooms.set(frame.room, room);
      const replaced = room.get(frame.peerId);
      const peers = [...room.keys()].filter((id) => id !== frame.peerId).sort();
      room.set(frame.peerId, socket);
      socket.joined = { room: frame.room, peerId: frame.peerId };
      this.send(socket, {
        v: PROTOCOL_VERSION,
        type: 'welcome',
        room: frame.room,
        peerId: frame.peerId,
        peers,
      });
      if (replaced) replaced.closeFromServer(4001, 'replaced');
      else
        for (const id of peers)
          this.sendTo(frame.room, id, {
            v: PROTOCOL_VERSION,
            type: 'presence',
            peerId: frame.peerId,
            present: true,
          });
      return;
    }
    if (!socket.joined) {
      this.send(socket, { v: PROTOCOL_VERSION, type: 'error', code: 'not-joined', message: 'join first' });
      return;
    }
    const { room, peerId } = socket.joined;
    if (!this.rooms.get(room)?.has(frame.to)) {
      this.send(socket, {
        v: PROTOCOL_VERSION,
        type: 'error',
        code: 'unknown-peer',
        message: `no peer ${frame.to}`,
      });
      return;
    }
    this.sendTo(room, frame.to, { v: PROTOCOL_VERSION, type: 'signal', from: peerId, signal: frame.signal });
  }

  /** @internal a socket closed. */
  leave(socket: FakeWebSocket): void {
    if (!socket.joined) return;
    const { room, peerId } = socket.joined;
    const members = this.rooms.get(room);
    if (members?.get(peerId) !== socket) return;
    members.delete(peerId);
    for (const id of members.keys())
      this.sendTo(room, id, { v: PROTOCOL_VERSION, type: 'presence', peerId, present: false });
  }

  /** @internal queues a client → hub frame. */
  enqueueFromClient(socket: FakeWebSocket, text: string): void {
    const describe = `${socket.label} → hub ${text}`;
    this.queue.push({ socket, deliver: () => this.receive(socket, text), describe });
    this.onQueued?.(describe);
  }

  private sendTo(room: string, peerId: string, frame: ServerFrame): void {
    const socket = this.rooms.get(room)?.get(peerId);
    if (socket) this.send(socket, frame);
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
  readyState = 0;
  joined: { room: string; peerId: string } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
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

  /** A name for queue descriptions: the joined peer id, or the socket's index. */
  get label(): string {
    return this.joined?.peerId ?? `socket#${this.hub.sockets.indexOf(this)}`;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new DOMException('WebSocket is not open', 'InvalidStateError');
    this.sentFrames.push(data);
    this.hub.enqueueFromClient(this, data);
  }

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
