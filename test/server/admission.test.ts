import { expect, it } from 'vitest';
import { createAdmission } from '../../src/server/admission.js';

const limits = {
  maxConnections: 3,
  maxConnectionsPerAddress: 2,
  maxJoinsPerMinute: 3,
  maxJoinsPerMinutePerAddress: 2,
};

it('caps connections per address and in total; a closed one frees its place', () => {
  const admission = createAdmission(limits, () => 0);
  expect(['a', 'a', 'a', 'b', 'c'].map((address) => admission.open(address))).toEqual([
    undefined,
    undefined,
    'max-connections-per-address',
    undefined,
    'max-connections',
  ]);
  admission.close('a');
  expect(admission.open('c')).toBeUndefined();
  expect(admission.connections).toBe(3);
});

it('caps joins per minute per address and in total, refilled over the minute', () => {
  let now = 0;
  const admission = createAdmission(limits, () => now);
  expect(['a', 'a', 'a', 'b', 'c'].map((address) => admission.join(address))).toEqual([
    undefined,
    undefined,
    'joins-per-minute-per-address',
    undefined,
    'joins-per-minute',
  ]);
  now = 30_000; // half a minute: one join of 'a' back, one and a half of all
  expect(admission.join('a')).toBeUndefined();
  expect(admission.join('a')).toBe('joins-per-minute-per-address');
});

it('forgets an address a minute after its last join once it has no connection, and not before', () => {
  let now = 0;
  const admission = createAdmission(limits, () => now);
  admission.open('a');
  admission.join('a');
  admission.join('a');
  admission.close('a');
  now = 20_000; // a third of a minute: two thirds of a join back
  admission.sweep();
  // Still remembered: its bucket is not full yet, so a reconnect does not refill it.
  expect(admission.join('a')).toBe('joins-per-minute-per-address');
  now = 120_000;
  admission.sweep();
  expect(admission.join('a')).toBeUndefined();
});
