/**
 * Data-channel framing. Every frame is binary: one kind byte, a float64 number (exact up to 2^53),
 * then the payload.
 * - `hello` (kind 0): sent by each side when its channel opens, and again by a receiver that refused a
 *   message as a gap (a resync); the number is the last sequence it delivered to its application:
 *   where the other side resumes sending. Its payload is UTF-8
 *   `instance \n forInstance`: the sending peer actor's instance (the same identity its signals carry;
 *   sequence numbers restart with a new actor) and the remote instance the number refers to (empty
 *   before any). Each is at most `MAX_INSTANCE_LENGTH` characters.
 * - `text` (kind 1) / `binary` (kind 2): one application message (or its last chunk), numbered
 *   from 1 per direction.
 * - `ping` (kind 3): the heartbeat; any frame received proves the remote alive. Its number is a token:
 *   0 asks for no reply (what peers before round-trip timing send); any other asks the receiver to
 *   echo it in a `pong`: a kind 3 frame with the same number and a one-byte payload, `PONG_MARK`.
 *   A receiver that predates pongs reads one as a ping and ignores its payload, so the reply needs
 *   no new frame kind and both stay within the protocol version.
 * - `ack` (kind 4): cumulative acknowledgement: every message up to the number was delivered.
 * - `text part` (kind 5) / `binary part` (kind 6): a chunk of a message larger than the channel's
 *   maxMessageSize (webrtc-pc §6.1); the message's last chunk is a kind 1/2 frame with the same number.
 */

export type Frame =
  | { kind: 'hello'; lastDelivered: number; instance: string; forInstance: string }
  | { kind: 'part'; seq: number; text: boolean; bytes: Uint8Array }
  | { kind: 'last'; seq: number; text: boolean; bytes: Uint8Array }
  | { kind: 'ack'; delivered: number }
  | { kind: 'ping'; token: number }
  | { kind: 'pong'; token: number }
  | { kind: 'invalid'; reason: string };

/** Bytes of the frame header (kind + number). */
export const HEADER_BYTES = 9;
const KIND_HELLO = 0;
const KIND_TEXT = 1;
const KIND_BINARY = 2;
const KIND_PING = 3;
const KIND_ACK = 4;
const KIND_TEXT_PART = 5;
const KIND_BINARY_PART = 6;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function frameOf(kind: number, n: number, payload?: Uint8Array): Uint8Array {
  const frame = new Uint8Array(HEADER_BYTES + (payload?.byteLength ?? 0));
  const view = new DataView(frame.buffer);
  view.setUint8(0, kind);
  view.setFloat64(1, n);
  if (payload) frame.set(payload, HEADER_BYTES);
  return frame;
}

/** Longest peer actor instance a hello may carry, in characters (the signaling schema's bound too). */
export const MAX_INSTANCE_LENGTH = 64;

/**
 * Encodes our resume point: the last sequence delivered to the application, counted in the numbering
 * of the remote actor `forInstance` ('' before any), sent by our actor `instance`.
 * @example encodeHello(41, 'k3x9.7', 'p0q2.1')
 */
export function encodeHello(lastDelivered: number, instance: string, forInstance: string): Uint8Array {
  return frameOf(KIND_HELLO, lastDelivered, encoder.encode(`${instance}\n${forInstance}`));
}

/** The payload that makes a kind 3 frame a pong: a reply to the ping of the same token. */
export const PONG_MARK = 1;

/** Encodes a heartbeat frame; a `token` ≥ 1 asks the remote to echo it in a pong (0: no reply). */
export function encodePing(token = 0): Uint8Array {
  return frameOf(KIND_PING, token);
}

/** Encodes the reply to a ping that carried `token`. */
export function encodePong(token: number): Uint8Array {
  return frameOf(KIND_PING, token, Uint8Array.of(PONG_MARK));
}

/** Encodes a cumulative acknowledgement. */
export function encodeAck(delivered: number): Uint8Array {
  return frameOf(KIND_ACK, delivered);
}

/** The payload bytes of a message (UTF-8 for strings). */
export function payloadOf(data: string | Uint8Array): Uint8Array {
  return typeof data === 'string' ? encoder.encode(data) : data;
}

/** The payload size of a message in bytes, counted without encoding it (UTF-8 for strings). */
export function payloadBytes(data: string | Uint8Array): number {
  if (typeof data !== 'string') return data.byteLength;
  let bytes = 0;
  for (let i = 0; i < data.length; i++) {
    const code = data.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && i + 1 < data.length) {
      const next = data.charCodeAt(i + 1);
      // A surrogate pair is one 4-byte code point; a lone surrogate becomes U+FFFD (3 bytes).
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Encodes one message (its payload bytes; `text` for a string) as frames of at most `maxFrameBytes`
 * bytes each (header included): one frame when it fits, else `part` frames and a last frame, all with
 * the message's sequence number.
 */
export function encodeMessage(
  seq: number,
  payload: Uint8Array,
  text: boolean,
  maxFrameBytes: number,
): Uint8Array[] {
  const room = Math.max(1, maxFrameBytes - HEADER_BYTES);
  if (payload.byteLength <= room) return [frameOf(text ? KIND_TEXT : KIND_BINARY, seq, payload)];
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < payload.byteLength; offset += room) {
    const last = offset + room >= payload.byteLength;
    const kind = last ? (text ? KIND_TEXT : KIND_BINARY) : text ? KIND_TEXT_PART : KIND_BINARY_PART;
    frames.push(frameOf(kind, seq, payload.subarray(offset, offset + room)));
  }
  return frames;
}

/** Decodes a received frame. Never throws: anything malformed is `{ kind: 'invalid' }`. */
export function decodeFrame(raw: ArrayBuffer | ArrayBufferView | string): Frame {
  if (typeof raw === 'string') return { kind: 'invalid', reason: 'text frame' };
  const bytes =
    raw instanceof ArrayBuffer
      ? new Uint8Array(raw)
      : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes.byteLength < HEADER_BYTES) return { kind: 'invalid', reason: 'short frame' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = view.getUint8(0);
  const n = view.getFloat64(1);
  if (!Number.isSafeInteger(n) || n < 0) return { kind: 'invalid', reason: 'bad sequence number' };
  const payload = bytes.subarray(HEADER_BYTES);
  switch (kind) {
    case KIND_HELLO: {
      // Bounded before decoding: two instances, a separator, at most 4 UTF-8 bytes a character.
      if (payload.byteLength > 4 * (2 * MAX_INSTANCE_LENGTH + 1))
        return { kind: 'invalid', reason: 'hello too long' };
      let text: string;
      try {
        text = decoder.decode(payload);
      } catch {
        return { kind: 'invalid', reason: 'hello is not UTF-8' };
      }
      const parts = text.split('\n');
      const [instance, forInstance] = parts;
      if (
        parts.length !== 2 ||
        instance === undefined ||
        forInstance === undefined ||
        instance === '' ||
        instance.length > MAX_INSTANCE_LENGTH ||
        forInstance.length > MAX_INSTANCE_LENGTH
      )
        return { kind: 'invalid', reason: 'hello without instances' };
      return { kind: 'hello', lastDelivered: n, instance, forInstance };
    }
    case KIND_PING:
      if (payload.byteLength === 0) return { kind: 'ping', token: n };
      if (payload.byteLength === 1 && payload[0] === PONG_MARK) return { kind: 'pong', token: n };
      return { kind: 'invalid', reason: 'ping with an unknown payload' };
    case KIND_ACK:
      return { kind: 'ack', delivered: n };
    case KIND_TEXT:
    case KIND_BINARY:
      return { kind: 'last', seq: n, text: kind === KIND_TEXT, bytes: payload };
    case KIND_TEXT_PART:
    case KIND_BINARY_PART:
      return { kind: 'part', seq: n, text: kind === KIND_TEXT_PART, bytes: payload };
    default:
      return { kind: 'invalid', reason: `unknown frame kind ${kind}` };
  }
}

/**
 * Smallest payload a `part` frame may carry, in bytes. Our sender cuts parts at the channel's
 * maxMessageSize (at least this much plus the header), so a smaller part is a remote that grows our
 * memory with frames (each part costs an object, whatever its size): refused.
 */
export const MIN_PART_BYTES = 1_024;

/**
 * Reassembles messages from `part` and `last` frames of one channel. A `last` frame with no parts
 * before it is a whole message. Returns the message once complete, or an error.
 *
 * Every error is a protocol violation that ends the channel: after one, every frame is refused, so
 * a message is never delivered partly (a `last` frame after a broken message is not taken for a
 * whole one). A message holds at most `maxMessageBytes` of payload and, since every part but the
 * last carries at least MIN_PART_BYTES, at most maxMessageBytes / MIN_PART_BYTES parts: memory per
 * message stays bounded however a remote cuts it.
 */
export class Reassembler {
  private seq = -1;
  private parts: Uint8Array[] = [];
  private bytes = 0;
  private violation: Error | null = null;

  constructor(private readonly maxMessageBytes: number) {}

  /** Feeds a `part` or `last` frame; resolves to a whole message, `null` (more to come) or an error. */
  push(
    frame: Extract<Frame, { kind: 'part' | 'last' }>,
  ): { seq: number; data: string | Uint8Array } | null | Error {
    if (this.violation) return this.violation;
    if (this.parts.length > 0 && frame.seq !== this.seq)
      return this.violate(`chunk of message ${frame.seq} inside message ${this.seq}`);
    if (frame.kind === 'part' && frame.bytes.byteLength < MIN_PART_BYTES)
      return this.violate(
        `part of message ${frame.seq} carries ${frame.bytes.byteLength} bytes (< ${MIN_PART_BYTES})`,
      );
    this.seq = frame.seq;
    this.bytes += frame.bytes.byteLength;
    if (this.bytes > this.maxMessageBytes)
      return this.violate(`message ${frame.seq} is larger than ${this.maxMessageBytes} bytes`);
    if (frame.kind === 'part') {
      // Each received frame arrives in its own buffer: a view needs no copy.
      this.parts.push(frame.bytes);
      return null;
    }
    const whole = this.parts.length === 0 ? frame.bytes : concat([...this.parts, frame.bytes], this.bytes);
    this.reset();
    if (!frame.text) return { seq: frame.seq, data: whole };
    try {
      return { seq: frame.seq, data: decoder.decode(whole) };
    } catch {
      return this.violate(`message ${frame.seq} is not UTF-8`);
    }
  }

  private violate(reason: string): Error {
    this.reset();
    this.violation = new Error(reason);
    return this.violation;
  }

  private reset(): void {
    this.seq = -1;
    this.parts = [];
    this.bytes = 0;
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
