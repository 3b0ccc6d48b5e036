/**
 * A hostile remote on the data channel (docs/security.md's data-channel attacks), on the scripted
 * fakes: frames are written straight into our end of the channel, as a hand-made peer could send
 * them. What must hold: a frame that breaks the protocol is reported once and ends that connection
 * (the peer recovers on a new one); nothing is delivered partly; memory stays bounded however the
 * remote cuts a message.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  decodeFrame,
  encodeMessage,
  HEADER_BYTES,
  MIN_PART_BYTES,
  Reassembler,
} from '../../src/protocol/frames.js';
import type { Harness } from '../races/harness.js';
import { createHarness, link } from '../races/harness.js';
import { toArrayBuffer } from '../support/bytes.js';
import { flushMicrotasks } from '../support/microtasks.js';
import { useFakeTime } from '../support/time.js';

let h: Harness;
afterEach(async () => {
  await h?.stopAll();
  vi.useRealTimers();
});

const BINARY_PART = 6;
const BINARY = 2;

/** A frame as a hostile peer would write it: any kind, any sequence number, any payload. */
function rawFrame(kind: number, seq: number, payload = new Uint8Array(0)): ArrayBuffer {
  const frame = new Uint8Array(HEADER_BYTES + payload.byteLength);
  const view = new DataView(frame.buffer);
  view.setUint8(0, kind);
  view.setFloat64(1, seq);
  frame.set(payload, HEADER_BYTES);
  return frame.buffer;
}

const messageFrames = (seq: number, payload: Uint8Array, maxFrameBytes: number) =>
  encodeMessage(seq, payload, false, maxFrameBytes).map((f) => decodeFrame(toArrayBuffer(f)));

describe('reassembly of a hostile remote’s frames', () => {
  it('an empty or undersized part is refused, and so is every frame after it', () => {
    const r = new Reassembler(1 << 20);
    const [empty, small] = [0, MIN_PART_BYTES - 1].map((n) =>
      decodeFrame(rawFrame(BINARY_PART, 1, new Uint8Array(n))),
    );
    expect(r.push(empty as never)).toBeInstanceOf(Error);
    expect(new Reassembler(1 << 20).push(small as never)).toBeInstanceOf(Error);
    // A well-formed message after the violation is refused too: the channel is done.
    const [whole] = messageFrames(2, new Uint8Array(10), 65_536);
    expect(r.push(whole as never)).toBeInstanceOf(Error);
  });

  it('interleaved chunks end the channel: the second message’s last frame is not taken for a whole message', () => {
    const r = new Reassembler(1 << 20);
    const a = messageFrames(1, new Uint8Array(5_000).fill(1), 2_048);
    const b = messageFrames(2, new Uint8Array(5_000).fill(2), 2_048);
    expect(r.push(a[0] as never)).toBeNull();
    expect(r.push(b[0] as never)).toBeInstanceOf(Error);
    // Before, a bare last frame after the interleaving error was delivered with its parts missing.
    expect(r.push(b.at(-1) as never)).toBeInstanceOf(Error);
    expect(r.push(a.at(-1) as never)).toBeInstanceOf(Error);
  });

  it('parts per message are bounded by maxMessageBytes / MIN_PART_BYTES; one byte over the budget ends the channel', () => {
    const max = 64 * MIN_PART_BYTES;
    const r = new Reassembler(max);
    const part = decodeFrame(rawFrame(BINARY_PART, 1, new Uint8Array(MIN_PART_BYTES)));
    let accepted = 0;
    let verdict: unknown = null;
    for (let i = 0; i < 1_000 && verdict === null; i++) {
      verdict = r.push(part as never);
      if (verdict === null) accepted++;
    }
    expect(accepted).toBe(max / MIN_PART_BYTES);
    expect(verdict).toBeInstanceOf(Error);
  });

  it('a message cut at the smallest legal part size reassembles whole', () => {
    const r = new Reassembler(1 << 20);
    const payload = new Uint8Array(10_000).map((_, i) => i % 251);
    const frames = messageFrames(1, payload, HEADER_BYTES + MIN_PART_BYTES);
    const results = frames.map((f) => r.push(f as never));
    expect(results.slice(0, -1).every((x) => x === null)).toBe(true);
    expect(Array.from((results.at(-1) as { data: Uint8Array }).data)).toEqual(Array.from(payload));
  });
});

describe('a hostile remote on a live link', () => {
  it('a flood of empty parts is reported once and ends the connection; no partial message is delivered, and delivery resumes on a new connection', async () => {
    h = createHarness();
    useFakeTime();
    const { toBob, toAlice, pcA, pcB } = await h.connectedPair();
    const errors: string[] = [];
    const got: unknown[] = [];
    toAlice.errors$.subscribe((e) => errors.push(e.code));
    toAlice.messages$.subscribe((m) => got.push(m));
    const bobEnd = pcB.channels[0];
    if (!bobEnd) throw new Error('no channel');
    // alice's end is hostile: a real part, then 100,000 empty parts of the same message.
    bobEnd.receive(rawFrame(BINARY_PART, 1, new Uint8Array(MIN_PART_BYTES)));
    for (let i = 0; i < 100_000; i++) bobEnd.receive(rawFrame(BINARY_PART, 1));
    bobEnd.receive(rawFrame(BINARY, 1, new Uint8Array([7])));
    await flushMicrotasks();
    // The violation once, then the attempt it ended (bob reconnects after his backoff).
    expect(errors).toEqual(['invalid-frame', 'attempt-failed']);
    expect(got).toEqual([]);
    // bob gave that connection up: his pc is closed and he is working on a new one.
    expect(pcB.closed).toBe(true);
    expect(toAlice.state).not.toBe('connected');
    expect(toAlice.actor.getSnapshot().context.error?.code).toBe('protocol-violation');
    // The pair reconnects on new pcs, and alice's next message arrives, once.
    toBob.send('honest');
    await vi.advanceTimersByTimeAsync(300);
    const pcB2 = h.pcOf('bob');
    await h.quiesce(pcB2, pcA);
    const pcA2 = h.pcOf('alice');
    await h.quiesce(pcA2, pcB2);
    await link(pcA2, pcB2);
    expect([pcA2, pcB2]).not.toContain(pcA);
    expect(toAlice.state).toBe('connected');
    expect(got).toEqual(['honest']);
  });
});
