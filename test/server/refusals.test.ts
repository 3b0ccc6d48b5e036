import { expect, it } from 'vitest';
import { createRefusals } from '../../src/server/refusals.js';

it('counts every refusal; logs the first of a reason at once, then a line a second per reason with how many were left out', () => {
  let now = 0;
  const lines: string[] = [];
  const refusals = createRefusals(
    (line) => lines.push(line),
    () => now,
  );
  for (let i = 0; i < 20; i++) refusals.refuse('max-connections', `refusal ${i}`);
  refusals.refuse('origin', 'another reason');
  expect(lines).toEqual([
    'peerstate signaling server refused (max-connections): refusal 0',
    'peerstate signaling server refused (origin): another reason',
  ]);
  now = 999;
  refusals.refuse('max-connections', 'still within the second');
  now = 1_000;
  refusals.refuse('max-connections', 'next second');
  expect(lines.at(-1)).toBe(
    'peerstate signaling server refused (max-connections): next second (and 20 more since the last line)',
  );
  expect(refusals.counts()).toMatchObject({ 'max-connections': 22, origin: 1, 'slow-reader': 0 });
});
