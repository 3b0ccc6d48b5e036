/**
 * Fuzzing the signaling protocol's parsers with what a hostile client or server may send. What must
 * hold for every input: the parser returns (never throws), and a frame it accepts keeps every bound
 * of the protocol (ids, SDP and candidate lengths, version), so nothing unbounded gets past it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LIMITS,
  type ParseResult,
  PROTOCOL_VERSION,
  parseClientFrame,
  parseServerFrame,
  type Signal,
} from '../../src/protocol/signals.js';
import { clientFrame, serverFrame, wireText } from './arbitraries.js';
import { fuzzParameters, heapAfterGc, summary } from './runs.js';

const ID = /^[\x21-\x7e]{1,128}$/;

/** Every bound a parsed signal must keep. */
function expectBoundedSignal(signal: Signal): void {
  if (signal.type === 'description') {
    expect(['offer', 'answer']).toContain(signal.description.type);
    expect(signal.description.sdp.length).toBeLessThanOrEqual(LIMITS.maxSdpChars);
  }
  if (signal.type === 'candidate' && signal.candidate)
    expect(signal.candidate.candidate.length).toBeLessThanOrEqual(LIMITS.maxCandidateChars);
  if (signal.instance !== undefined) expect(signal.instance.length).toBeLessThanOrEqual(64);
  if (signal.connection !== undefined)
    expect(Number.isInteger(signal.connection) && signal.connection >= 0).toBe(true);
}

/** Runs `check` on every text `arbitrary` gives; `parse` must answer each, a refusal with a reason. */
function fuzzParser<T>(
  target: string,
  arbitrary: fc.Arbitrary<string>,
  parse: (text: string) => ParseResult<T>,
  check: (frame: T) => void,
): void {
  const heap = heapAfterGc();
  let cases = 0;
  fc.assert(
    fc.property(arbitrary, (text) => {
      cases++;
      const parsed = parse(text);
      if (parsed.ok) check(parsed.frame);
      else expect(parsed.reason.length).toBeGreaterThan(0);
    }),
    fuzzParameters(),
  );
  console.log(summary(target, cases, heap));
}

describe('fuzz: signaling frames', () => {
  it('client frames: parsed or refused with a reason, never thrown; an accepted one keeps every bound', () => {
    fuzzParser('client frames', wireText(clientFrame), parseClientFrame, (frame) => {
      expect(frame.v).toBe(PROTOCOL_VERSION);
      if (frame.type === 'join') {
        expect(frame.room).toMatch(ID);
        expect(frame.peerId).toMatch(ID);
      } else {
        expect(frame.to).toMatch(ID);
        expectBoundedSignal(frame.signal);
      }
    });
  });

  it('server frames: parsed or refused with a reason, never thrown; an accepted one keeps every bound', () => {
    fuzzParser('server frames', wireText(serverFrame), parseServerFrame, (frame) => {
      expect(frame.v).toBe(PROTOCOL_VERSION);
      if (frame.type === 'welcome')
        for (const id of [frame.room, frame.peerId, ...frame.peers]) expect(id).toMatch(ID);
      if (frame.type === 'presence') expect(frame.peerId).toMatch(ID);
      if (frame.type === 'signal') {
        expect(frame.from).toMatch(ID);
        expectBoundedSignal(frame.signal);
      }
      if (frame.type === 'error') expect(frame.message.length).toBeLessThanOrEqual(1024);
    });
  });
});
