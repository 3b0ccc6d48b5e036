/** payloadBytes counts a message's UTF-8 size without encoding it: it must agree with TextEncoder. */
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { payloadBytes } from '../../src/protocol/frames.js';

const encoder = new TextEncoder();

it('agrees with TextEncoder on ASCII, 2-, 3- and 4-byte characters and lone surrogates', () => {
  for (const text of ['', 'abc', 'é', '€', '😀', 'a😀b', '\ud800', '\udc00x', '\ud800\ud800']) {
    expect(payloadBytes(text)).toBe(encoder.encode(text).byteLength);
  }
});

it('agrees with TextEncoder on any string', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary' }),
      (text) => payloadBytes(text) === encoder.encode(text).byteLength,
    ),
    { numRuns: 2_000 },
  );
});

it('is the byte length of bytes', () => {
  expect(payloadBytes(new Uint8Array(17))).toBe(17);
});
