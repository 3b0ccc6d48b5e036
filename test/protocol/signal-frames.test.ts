/**
 * The signaling frame schemas at their edges: every bound of src/protocol/signals.ts accepts its
 * largest value and refuses one more, and every malformed shape is refused with a reason, never
 * thrown. Written against the schema's behaviour, not against the validation library behind it.
 */
import { describe, expect, it } from 'vitest';
import { LIMITS, parseClientFrame, parseServerFrame } from '../../src/protocol/signals.js';

const join = (room: string, peerId = 'alice') => JSON.stringify({ v: 1, type: 'join', room, peerId });
const signal = (s: unknown, to = 'bob') => JSON.stringify({ v: 1, type: 'signal', to, signal: s });
const accepted = (text: string) => parseClientFrame(text).ok;

describe('client frames', () => {
  it('accepts ids of 1 to maxIdChars printable ASCII characters, and nothing else', () => {
    expect(accepted(join('r'))).toBe(true);
    expect(accepted(join('x'.repeat(LIMITS.maxIdChars)))).toBe(true);
    expect(accepted(join('x'.repeat(LIMITS.maxIdChars + 1)))).toBe(false);
    expect(accepted(join(''))).toBe(false);
    expect(accepted(join('a b'))).toBe(false);
    expect(accepted(join('é'))).toBe(false);
    expect(accepted(join('room', 'x'.repeat(LIMITS.maxIdChars + 1)))).toBe(false);
    expect(accepted(signal({ type: 'hello' }, ''))).toBe(false);
  });

  it('bounds an SDP at maxSdpChars and accepts only offers and answers', () => {
    const description = (type: string, sdp: string) =>
      signal({ type: 'description', description: { type, sdp } });
    expect(accepted(description('offer', 'x'.repeat(LIMITS.maxSdpChars)))).toBe(true);
    expect(accepted(description('answer', ''))).toBe(true);
    expect(accepted(description('offer', 'x'.repeat(LIMITS.maxSdpChars + 1)))).toBe(false);
    expect(accepted(description('rollback', ''))).toBe(false);
    expect(accepted(description('pranswer', ''))).toBe(false);
    expect(accepted(signal({ type: 'description' }))).toBe(false);
  });

  it('bounds every candidate field, and takes null as end-of-candidates', () => {
    const candidate = (c: unknown) => signal({ type: 'candidate', candidate: c });
    expect(accepted(candidate(null))).toBe(true);
    expect(accepted(candidate({ candidate: 'x'.repeat(LIMITS.maxCandidateChars) }))).toBe(true);
    expect(accepted(candidate({ candidate: 'x'.repeat(LIMITS.maxCandidateChars + 1) }))).toBe(false);
    const full = {
      candidate: '',
      sdpMid: 'x'.repeat(64),
      sdpMLineIndex: 1024,
      usernameFragment: 'u'.repeat(256),
    };
    expect(accepted(candidate(full))).toBe(true);
    expect(accepted(candidate({ ...full, sdpMid: null, sdpMLineIndex: null, usernameFragment: null }))).toBe(
      true,
    );
    expect(accepted(candidate({ ...full, sdpMid: 'x'.repeat(65) }))).toBe(false);
    expect(accepted(candidate({ ...full, sdpMLineIndex: 1025 }))).toBe(false);
    expect(accepted(candidate({ ...full, sdpMLineIndex: -1 }))).toBe(false);
    expect(accepted(candidate({ ...full, sdpMLineIndex: 0.5 }))).toBe(false);
    expect(accepted(candidate({ ...full, usernameFragment: 'u'.repeat(257) }))).toBe(false);
    expect(accepted(candidate({ sdpMid: '0' }))).toBe(false);
  });

  it('bounds connection to integers 0..2^31 and instance to 64 characters', () => {
    const hello = (extra: object) => signal({ type: 'hello', ...extra });
    expect(accepted(hello({}))).toBe(true);
    expect(accepted(hello({ connection: 0, instance: 'i'.repeat(64) }))).toBe(true);
    expect(accepted(hello({ connection: 2 ** 31 }))).toBe(true);
    expect(accepted(hello({ connection: 2 ** 31 + 1 }))).toBe(false);
    expect(accepted(hello({ connection: -1 }))).toBe(false);
    expect(accepted(hello({ connection: 1.5 }))).toBe(false);
    expect(accepted(hello({ connection: '1' }))).toBe(false);
    expect(accepted(hello({ instance: 'i'.repeat(65) }))).toBe(false);
    expect(accepted(signal({ type: 'bye', connection: 3 }))).toBe(true);
  });

  it('refuses other versions, unknown types, missing fields and non-JSON with a reason', () => {
    for (const text of [
      JSON.stringify({ v: 2, type: 'join', room: 'r', peerId: 'a' }),
      JSON.stringify({ type: 'join', room: 'r', peerId: 'a' }),
      JSON.stringify({ v: 1, type: 'welcome', room: 'r', peerId: 'a', peers: [] }),
      JSON.stringify({ v: 1, type: 'join', room: 'r' }),
      JSON.stringify({ v: 1, type: 'signal', to: 'bob', signal: { type: 'shout' } }),
      JSON.stringify({ v: 1, type: 'signal', to: 'bob' }),
      JSON.stringify([1, 2]),
      'null',
      '"join"',
      '{"v":1,',
    ]) {
      const result = parseClientFrame(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/\S/);
    }
    expect(parseClientFrame('{')).toEqual({ ok: false, reason: 'not JSON' });
  });

  it('keeps the fields it knows and drops the ones it does not', () => {
    const result = parseClientFrame(
      JSON.stringify({ v: 1, type: 'join', room: 'r', peerId: 'a', admin: true }),
    );
    expect(result).toEqual({ ok: true, frame: { v: 1, type: 'join', room: 'r', peerId: 'a' } });
  });

  it('names the field that failed in the reason', () => {
    const result = parseClientFrame(join('x'.repeat(LIMITS.maxIdChars + 1)));
    expect(result.ok === false && result.reason).toMatch(/^room: /);
  });
});

describe('server frames', () => {
  const frame = (f: object) => parseServerFrame(JSON.stringify({ v: 1, ...f })).ok;

  it('accepts the four server frames and bounds their fields', () => {
    expect(frame({ type: 'welcome', room: 'r', peerId: 'a', peers: ['b', 'c'] })).toBe(true);
    expect(frame({ type: 'welcome', room: 'r', peerId: 'a', peers: [''] })).toBe(false);
    expect(frame({ type: 'presence', peerId: 'b', present: false })).toBe(true);
    expect(frame({ type: 'presence', peerId: 'b', present: 'yes' })).toBe(false);
    expect(frame({ type: 'signal', from: 'b', signal: { type: 'bye' } })).toBe(true);
    expect(frame({ type: 'signal', to: 'b', signal: { type: 'bye' } })).toBe(false);
    expect(frame({ type: 'error', code: 'rate-limited', message: 'm'.repeat(1024) })).toBe(true);
    expect(frame({ type: 'error', code: 'rate-limited', message: 'm'.repeat(1025) })).toBe(false);
    expect(frame({ type: 'error', code: 'teapot', message: '' })).toBe(false);
    expect(frame({ type: 'join', room: 'r', peerId: 'a' })).toBe(false);
  });
});
