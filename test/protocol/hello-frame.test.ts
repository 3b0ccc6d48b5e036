/** The channel hello carries the peer actor's instance, the same identity its signals carry; hostile hellos are refused. */
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeHello, MAX_INSTANCE_LENGTH } from '../../src/protocol/frames.js';

const helloWith = (payload: Uint8Array): Uint8Array => {
  const frame = encodeHello(3, 'x', '');
  const out = new Uint8Array(9 + payload.byteLength);
  out.set(frame.subarray(0, 9));
  out.set(payload, 9);
  return out;
};

describe('hello frame', () => {
  it('round-trips the resume point, our instance and the remote instance it counts in', () => {
    expect(decodeFrame(encodeHello(41, 'k3x9.7', 'p0q2.1'))).toEqual({
      kind: 'hello',
      lastDelivered: 41,
      instance: 'k3x9.7',
      forInstance: 'p0q2.1',
    });
    expect(decodeFrame(encodeHello(0, 'a.1', ''))).toEqual({
      kind: 'hello',
      lastDelivered: 0,
      instance: 'a.1',
      forInstance: '',
    });
  });

  it('refuses a hello without instances, with an empty or too long instance, or not UTF-8', () => {
    const enc = new TextEncoder();
    const cases: [Uint8Array, string][] = [
      [new Uint8Array(0), 'hello without instances'],
      [enc.encode('only-one'), 'hello without instances'],
      [enc.encode('a\nb\nc'), 'hello without instances'],
      [enc.encode('\nb'), 'hello without instances'],
      [enc.encode(`${'a'.repeat(MAX_INSTANCE_LENGTH + 1)}\nb`), 'hello without instances'],
      [new Uint8Array([0xff, 0x0a, 0x61]), 'hello is not UTF-8'],
      [new Uint8Array(4 * (2 * MAX_INSTANCE_LENGTH + 1) + 1).fill(0x61), 'hello too long'],
    ];
    for (const [payload, reason] of cases)
      expect(decodeFrame(helloWith(payload))).toEqual({ kind: 'invalid', reason });
  });
});
