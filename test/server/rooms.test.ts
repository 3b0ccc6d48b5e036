import { describe, expect, it } from 'vitest';
import { RoomRegistry } from '../../src/server/rooms.js';

describe('room registry', () => {
  it('tracks peers per room and counts rooms and peers', () => {
    const rooms = new RoomRegistry<string>();
    expect(rooms.add('r1', 'alice', 'a')).toBeUndefined();
    expect(rooms.add('r1', 'bob', 'b')).toBeUndefined();
    expect(rooms.add('r2', 'alice', 'a2')).toBeUndefined();
    expect(rooms.roomCount).toBe(2);
    expect(rooms.peerCount).toBe(3);
    expect(rooms.get('r1', 'bob')).toBe('b');
    expect(rooms.get('r2', 'bob')).toBeUndefined();
    expect(rooms.others('r1', 'alice')).toEqual([['bob', 'b']]);
    expect(rooms.others('nowhere', 'alice')).toEqual([]);
  });

  it('replaces the member of a peer id and returns the previous one', () => {
    const rooms = new RoomRegistry<string>();
    rooms.add('r', 'alice', 'old');
    expect(rooms.add('r', 'alice', 'new')).toBe('old');
    expect(rooms.peerCount).toBe(1);
    // The replaced member cannot remove its successor.
    expect(rooms.remove('r', 'alice', 'old')).toBe(false);
    expect(rooms.get('r', 'alice')).toBe('new');
  });

  it('deletes a room when its last peer leaves', () => {
    const rooms = new RoomRegistry<string>();
    rooms.add('r', 'alice', 'a');
    rooms.add('r', 'bob', 'b');
    expect(rooms.remove('r', 'alice', 'a')).toBe(true);
    expect(rooms.roomCount).toBe(1);
    expect(rooms.remove('r', 'bob', 'b')).toBe(true);
    expect(rooms.roomCount).toBe(0);
    expect(rooms.peerCount).toBe(0);
    expect(rooms.remove('r', 'bob', 'b')).toBe(false);
  });
});
