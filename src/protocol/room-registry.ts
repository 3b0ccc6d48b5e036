/**
 * The rules of a signaling room, shared by the embedded server (src/server/signaling-server.ts) and
 * the in-memory hub of the tests (src/testing/fake-signaling.ts) so that the two cannot disagree:
 * who is present, what a join, a leave or a relay produces, and which frames are refused.
 *
 * Pure bookkeeping, no I/O: every operation returns the frames to send and to whom; the caller sends
 * them (and closes a replaced member), in the order given.
 */
import { PROTOCOL_VERSION, type ServerErrorCode, type ServerFrame, type Signal } from './signals.js';

/** Longest message quoted in an `error` frame, in characters (the schema allows 1024). */
export const MAX_ERROR_MESSAGE_CHARS = 256;

/** Where a member joined: its room and the peer id it speaks for. */
export interface Membership {
  readonly room: string;
  readonly peerId: string;
}

/** One frame for one member. */
export interface Outbound<T> {
  readonly to: T;
  readonly frame: ServerFrame;
}

/** What a join produces. */
export interface JoinOutcome<T> {
  /** In order: the `welcome` (or the refusal) to the joiner, then `presence` to the others. */
  readonly sends: Outbound<T>[];
  /**
   * The member that held (room, peerId) until now: the caller closes it (it speaks for no one from
   * now on, and its own leave changes nothing). `undefined` when the join replaced no one.
   */
  readonly replaced: T | undefined;
}

/** A `signal` frame as relayed, stamped with the sender's peer id. */
export type SignalFrame = Extract<ServerFrame, { type: 'signal' }>;
/** An `error` frame. */
export type ErrorFrame = Extract<ServerFrame, { type: 'error' }>;

/** What a relay produces: the signal for its recipient, or an error for the sender. */
export type RelayOutcome<T> = { to: T; frame: SignalFrame } | { to: T; frame: ErrorFrame };

/** An `error` frame; `message` is cut to {@link MAX_ERROR_MESSAGE_CHARS} so that it stays valid. */
export function errorFrame(code: ServerErrorCode, message: string): ErrorFrame {
  return { v: PROTOCOL_VERSION, type: 'error', code, message: message.slice(0, MAX_ERROR_MESSAGE_CHARS) };
}

/**
 * Rooms of peers. `T` is whatever the caller keeps per connection (a socket); it is the identity of
 * a member, compared with `===`.
 *
 * A member joins once: its membership stays after it leaves or is replaced, so a second join is
 * refused (`already-joined`) and its signals keep their sender's peer id. Memberships are held
 * weakly, so a dropped member costs nothing.
 */
export class RoomRegistry<T extends object> {
  readonly #rooms = new Map<string, Map<string, T>>();
  readonly #memberships = new WeakMap<T, Membership>();
  #peers = 0;

  /** Number of non-empty rooms. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Number of peers over all rooms. */
  get peerCount(): number {
    return this.#peers;
  }

  /** Where `member` joined, if it did (also after it left or was replaced). */
  membership(member: T): Membership | undefined {
    return this.#memberships.get(member);
  }

  /** The member that holds (room, peerId), if any. */
  holder(room: string, peerId: string): T | undefined {
    return this.#rooms.get(room)?.get(peerId);
  }

  /** Number of peers in `room`. */
  size(room: string): number {
    return this.#rooms.get(room)?.size ?? 0;
  }

  /** The peer ids present in `room`, sorted. */
  present(room: string): string[] {
    return [...(this.#rooms.get(room)?.keys() ?? [])].sort();
  }

  /**
   * `member` joins `room` as `peerId`. Refused with `already-joined` if it joined before. Otherwise
   * it gets `welcome` with the other peer ids (sorted); if it takes (room, peerId) over from another
   * member, that one is `replaced` and nobody else is told (for them the peer never left), else the
   * others get `presence: true`, in the order of the welcome's list.
   */
  join(member: T, room: string, peerId: string): JoinOutcome<T> {
    if (this.#memberships.has(member)) {
      return {
        sends: [{ to: member, frame: errorFrame('already-joined', 'this socket has already joined') }],
        replaced: undefined,
      };
    }
    this.#memberships.set(member, { room, peerId });
    let peers = this.#rooms.get(room);
    if (!peers) {
      peers = new Map();
      this.#rooms.set(room, peers);
    }
    const replaced = peers.get(peerId);
    peers.set(peerId, member);
    if (replaced === undefined) this.#peers += 1;
    const others = [...peers].filter(([id]) => id !== peerId).sort(([a], [b]) => (a < b ? -1 : 1));
    const sends: Outbound<T>[] = [
      {
        to: member,
        frame: { v: PROTOCOL_VERSION, type: 'welcome', room, peerId, peers: others.map(([id]) => id) },
      },
    ];
    if (replaced === undefined) {
      for (const [, to] of others) {
        sends.push({ to, frame: { v: PROTOCOL_VERSION, type: 'presence', peerId, present: true } });
      }
    }
    return { sends, replaced };
  }

  /**
   * `member` left (its connection closed). If it still held its (room, peerId), the peer leaves the
   * room (an empty room is deleted) and the others get `presence: false`, in join order. A member
   * that never joined or was replaced changes nothing: its successor stays.
   */
  leave(member: T): Outbound<T>[] {
    const joined = this.#memberships.get(member);
    if (!joined) return [];
    const { room, peerId } = joined;
    const peers = this.#rooms.get(room);
    if (!peers || peers.get(peerId) !== member) return [];
    peers.delete(peerId);
    this.#peers -= 1;
    if (peers.size === 0) this.#rooms.delete(room);
    return [...peers.values()].map((to) => ({
      to,
      frame: { v: PROTOCOL_VERSION, type: 'presence', peerId, present: false },
    }));
  }

  /**
   * `member` sends `signal` to the peer `to` of its room: the recipient gets it stamped with the
   * sender's peer id as `from` (never what the client claims). Refused with `not-joined` before a
   * join and with `unknown-peer` when `to` is not in the room.
   */
  relay(member: T, to: string, signal: Signal): RelayOutcome<T> {
    const joined = this.#memberships.get(member);
    if (!joined) return { to: member, frame: errorFrame('not-joined', 'the first frame must be join') };
    const target = this.#rooms.get(joined.room)?.get(to);
    if (target === undefined) {
      return { to: member, frame: errorFrame('unknown-peer', `no peer ${JSON.stringify(to)} in this room`) };
    }
    return { to: target, frame: { v: PROTOCOL_VERSION, type: 'signal', from: joined.peerId, signal } };
  }
}
