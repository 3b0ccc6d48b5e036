import { describe, expect, it } from 'vitest';
import { errorFrame, MAX_ERROR_MESSAGE_CHARS, RoomRegistry } from '../../src/protocol/room-registry.js';
import type { Signal } from '../../src/protocol/signals.js';

/** A member as the server or the hub keeps it: an object, named for readable failures. */
const member = (name: string) => ({ name });
type Member = ReturnType<typeof member>;

const hello: Signal = { type: 'hello' };
const presence = (peerId: string, present: boolean) => ({ v: 1, type: 'presence', peerId, present });

describe('room registry', () => {
  it('welcomes a joiner with the others (sorted) and tells them, in that order', () => {
    const rooms = new RoomRegistry<Member>();
    const [carol, alice, bob] = [member('carol'), member('alice'), member('bob')];
    expect(rooms.join(carol, 'r', 'carol')).toEqual({
      sends: [{ to: carol, frame: { v: 1, type: 'welcome', room: 'r', peerId: 'carol', peers: [] } }],
      replaced: undefined,
    });
    rooms.join(alice, 'r', 'alice');
    const { sends, replaced } = rooms.join(bob, 'r', 'bob');
    expect(replaced).toBeUndefined();
    expect(sends).toEqual([
      { to: bob, frame: { v: 1, type: 'welcome', room: 'r', peerId: 'bob', peers: ['alice', 'carol'] } },
      { to: alice, frame: presence('bob', true) },
      { to: carol, frame: presence('bob', true) },
    ]);
    expect(rooms.present('r')).toEqual(['alice', 'bob', 'carol']);
    expect(rooms.present('nowhere')).toEqual([]);
  });

  it('counts rooms and peers, and deletes a room when its last peer leaves', () => {
    const rooms = new RoomRegistry<Member>();
    const [a, b, a2] = [member('a'), member('b'), member('a2')];
    rooms.join(a, 'r1', 'alice');
    rooms.join(b, 'r1', 'bob');
    rooms.join(a2, 'r2', 'alice');
    expect([rooms.roomCount, rooms.peerCount]).toEqual([2, 3]);
    expect(rooms.leave(a)).toEqual([{ to: b, frame: presence('alice', false) }]);
    expect([rooms.roomCount, rooms.peerCount]).toEqual([2, 2]);
    expect(rooms.leave(b)).toEqual([]);
    expect([rooms.roomCount, rooms.peerCount]).toEqual([1, 1]);
    // Leaving twice, or without having joined, changes nothing.
    expect(rooms.leave(b)).toEqual([]);
    expect(rooms.leave(member('stranger'))).toEqual([]);
    expect([rooms.roomCount, rooms.peerCount]).toEqual([1, 1]);
  });

  it('a join on a held peer id replaces its member, silently for the others', () => {
    const rooms = new RoomRegistry<Member>();
    const [old, fresh, bob] = [member('old'), member('new'), member('bob')];
    rooms.join(old, 'r', 'alice');
    rooms.join(bob, 'r', 'bob');
    const { sends, replaced } = rooms.join(fresh, 'r', 'alice');
    expect(replaced).toBe(old);
    expect(sends).toEqual([
      { to: fresh, frame: { v: 1, type: 'welcome', room: 'r', peerId: 'alice', peers: ['bob'] } },
    ]);
    expect(rooms.peerCount).toBe(2);
    // The replaced member cannot remove its successor.
    expect(rooms.leave(old)).toEqual([]);
    expect(rooms.present('r')).toEqual(['alice', 'bob']);
    expect(rooms.relay(bob, 'alice', hello).to).toBe(fresh);
  });

  it('refuses a second join of the same member, also after it left', () => {
    const rooms = new RoomRegistry<Member>();
    const a = member('a');
    rooms.join(a, 'r', 'alice');
    const refusal = {
      sends: [{ to: a, frame: errorFrame('already-joined', 'this socket has already joined') }],
      replaced: undefined,
    };
    expect(rooms.join(a, 'other', 'alias')).toEqual(refusal);
    rooms.leave(a);
    expect(rooms.join(a, 'r', 'alice')).toEqual(refusal);
    expect(rooms.membership(a)).toEqual({ room: 'r', peerId: 'alice' });
    expect(rooms.peerCount).toBe(0);
  });

  it('relays to the peer of the same room, stamped with the sender as from', () => {
    const rooms = new RoomRegistry<Member>();
    const [a, b, elsewhere] = [member('a'), member('b'), member('elsewhere')];
    rooms.join(a, 'r', 'alice');
    rooms.join(b, 'r', 'bob');
    rooms.join(elsewhere, 'r2', 'carol');
    expect(rooms.relay(a, 'bob', hello)).toEqual({
      to: b,
      frame: { v: 1, type: 'signal', from: 'alice', signal: hello },
    });
    expect(rooms.relay(a, 'carol', hello)).toEqual({
      to: a,
      frame: { v: 1, type: 'error', code: 'unknown-peer', message: 'no peer "carol" in this room' },
    });
    expect(rooms.relay(member('stranger'), 'bob', hello).frame).toMatchObject({
      type: 'error',
      code: 'not-joined',
    });
  });

  it('cuts error messages to a bound the schema accepts', () => {
    expect(errorFrame('invalid-frame', 'x'.repeat(5_000)).message).toHaveLength(MAX_ERROR_MESSAGE_CHARS);
  });
});
