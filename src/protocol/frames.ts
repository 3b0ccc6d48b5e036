/**
 * Data-channel framing. Every frame is binary: one kind byte, a float64 sequence number (exact up to
 * 2^53), then the payload.
 * - `hello` (kind 0): sent by each side when its channel opens; `seq` is the last sequence it
 *   delivered to its application (where delivery resumes).
 * - `text` (kind 1) / `binary` (kind 2): one application message, numbered from 1 per direction.
 * - `ping` (kind 3): the heartbeat; any frame received proves the remote alive, so it needs no answer.
 */

export type Frame =
  | { kind: 'hello'; lastDelivered: number }
  | { kind: 'data'; seq: number; data: string | Uint8Array }
  | { kind: 'ping' }
  | { kind: 'invalid'; reason: string };

const HEADER_BYTES = 9;
const KIND_HELLO = 0;
const KIND_TEXT = 1;
const KIND_BINARY = 2;
const KIND_PING = 3;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function header(kind: number, seq: number, payloadBytes: number): { frame: Uint8Array; view: DataView } {
  const frame = new Uint8Array(HEADER_BYTES + payloadBytes);
  const view = new DataView(frame.buffer);
  view.setUint8(0, kind);
  view.setFloat64(1, seq);
  return { frame, view };
}

/** Encodes our resume point: the last sequence number delivered to the application. */
export function encodeHello(lastDelivered: number): Uint8Array {
  return header(KIND_HELLO, lastDelivered, 0).frame;
}

/** Encodes a heartbeat frame. */
export function encodePing(): Uint8Array {
  return header(KIND_PING, 0, 0).frame;
}

/** Encodes one application message with its sequence number. */
export function encodeData(seq: number, data: string | Uint8Array): Uint8Array {
  const payload = typeof data === 'string' ? encoder.encode(data) : data;
  const { frame } = header(typeof data === 'string' ? KIND_TEXT : KIND_BINARY, seq, payload.byteLength);
  frame.set(payload, HEADER_BYTES);
  return frame;
}

/** Size of a message's frame in bytes (what it adds to `bufferedAmount`). */
export function frameBytes(data: string | Uint8Array): number {
  return HEADER_BYTES + (typeof data === 'string' ? encoder.encode(data).byteLength : data.byteLength);
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
  const seq = view.getFloat64(1);
  if (!Number.isSafeInteger(seq) || seq < 0) return { kind: 'invalid', reason: 'bad sequence number' };
  const payload = bytes.subarray(HEADER_BYTES);
  switch (kind) {
    case KIND_HELLO:
      return { kind: 'hello', lastDelivered: seq };
    case KIND_TEXT:
      try {
        return { kind: 'data', seq, data: decoder.decode(payload) };
      } catch {
        return { kind: 'invalid', reason: 'text frame is not UTF-8' };
      }
    case KIND_BINARY:
      return { kind: 'data', seq, data: payload.slice() };
    case KIND_PING:
      return { kind: 'ping' };
    default:
      return { kind: 'invalid', reason: `unknown frame kind ${kind}` };
  }
}
