/**
 * The room registry of the signaling server: which member (a socket, for the server) is the current
 * one of each peer id in each room. Pure bookkeeping, no I/O: the server decides what to send.
 */

/** Rooms of peers; `T` is what the server keeps per peer (its connection). */
export class RoomRegistry<T> {
  readonly #rooms = new Map<string, Map<string, T>>();
  #peers = 0;

  /** Number of non-empty rooms. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Number of peers over all rooms. */
  get peerCount(): number {
    return this.#peers;
  }

  /**
   * Makes `member` the current member of (`room`, `peerId`).
   * @returns the member it replaced, or `undefined` if the peer id was not in the room.
   */
  add(room: string, peerId: string, member: T): T | undefined {
    let peers = this.#rooms.get(room);
    if (!peers) {
      peers = new Map();
      this.#rooms.set(room, peers);
    }
    const previous = peers.get(peerId);
    peers.set(peerId, member);
    if (previous === undefined) this.#peers += 1;
    return previous;
  }

  /**
   * Removes (`room`, `peerId`) if `member` is still its current member, and deletes the room if that
   * leaves it empty. A member that was replaced removes nothing: its successor stays.
   * @returns `true` if the peer left the room.
   */
  remove(room: string, peerId: string, member: T): boolean {
    const peers = this.#rooms.get(room);
    if (!peers || peers.get(peerId) !== member) return false;
    peers.delete(peerId);
    this.#peers -= 1;
    if (peers.size === 0) this.#rooms.delete(room);
    return true;
  }

  /** The current member of (`room`, `peerId`), if any. */
  get(room: string, peerId: string): T | undefined {
    return this.#rooms.get(room)?.get(peerId);
  }

  /** The peers of `room` other than `peerId`, as [peerId, member] pairs (unsorted). */
  others(room: string, peerId: string): Array<[string, T]> {
    const peers = this.#rooms.get(room);
    if (!peers) return [];
    return [...peers].filter(([id]) => id !== peerId);
  }
}
