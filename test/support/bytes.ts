/** Bytes as a channel carries them. */

/**
 * A frame a fake data channel recorded (a Uint8Array view, or a string), as the standalone
 * ArrayBuffer the other side receives: only the view's bytes, copied.
 */
export function toArrayBuffer(frame: unknown): ArrayBuffer {
  if (typeof frame === 'string') return new TextEncoder().encode(frame).buffer as ArrayBuffer;
  const bytes = frame as Uint8Array;
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}
