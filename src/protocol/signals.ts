/**
 * The signaling wire protocol: JSON text frames over a WebSocket, version 1.
 *
 * Every frame is validated on arrival with zod; a frame that fails validation is never processed
 * (the server counts it and answers with an `invalid-frame` error frame; a client reports it on
 * `errors$` as a `PeerstateError` with code `signaling-invalid-frame`). Sizes are bounded here so
 * that client and server enforce the same limits.
 *
 * Client → server: `join` (first frame, exactly once), `signal` (relayed to one peer in the room).
 * Server → client: `welcome` (answer to join, with the peers already present), `presence` (a peer
 * joined or left), `signal` (relayed, stamped with `from`), `error`.
 *
 * Terms follow W3C webrtc-pc (RTCSessionDescriptionInit, RTCIceCandidateInit, usernameFragment) and
 * RFC 8838 (trickle ICE; a `null` candidate is end-of-candidates).
 */
import { z } from 'zod';

/** Protocol version carried in every frame as `v`. */
export const PROTOCOL_VERSION = 1;

/** Limits shared by client and server (bytes or characters, as named). */
export const LIMITS = {
  /** Largest frame a peer may send or the server accepts, in bytes (ws `maxPayload`). */
  maxFrameBytes: 64 * 1024,
  /** Longest SDP accepted, in characters. */
  maxSdpChars: 48 * 1024,
  /** Longest candidate line accepted, in characters. */
  maxCandidateChars: 1024,
  /** Longest peer id or room name, in characters. */
  maxIdChars: 128,
} as const;

/** A peer id or a room name: 1-128 printable characters. */
export const idSchema = z
  .string()
  .min(1)
  .max(LIMITS.maxIdChars)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** RTCSessionDescriptionInit as sent over signaling (webrtc-pc §4.8.1). Rollback is never sent. */
export const descriptionSchema = z.object({
  type: z.enum(['offer', 'answer']),
  sdp: z.string().max(LIMITS.maxSdpChars),
});

/** RTCIceCandidateInit (webrtc-pc §4.8.2). */
export const candidateSchema = z.object({
  candidate: z.string().max(LIMITS.maxCandidateChars),
  sdpMid: z.string().max(64).nullable().optional(),
  sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
  usernameFragment: z.string().max(256).nullable().optional(),
});

/**
 * What one peer sends another through the server.
 * - `description`: an offer or an answer.
 * - `candidate`: a trickled ICE candidate; `null` means end-of-candidates (RFC 8838 §4.5).
 * - `hello`: "I want a connection": sent by the polite side so that an impolite side that has no
 *   actor yet starts one and makes the offer.
 * - `bye`: the sender closed its side on purpose. `recipient` is the `instance` of the peer actor it
 *   hangs up on, when the sender knows it: a bye that overtakes our own close and reconnect finds a
 *   newer actor of ours and must not hang it up.
 *
 * `connection` numbers the sender's RTCPeerConnections towards this peer (1, 2, ...): a signal of a
 * newer connection says the remote replaced its pc (a full reconnect), one of an older connection is
 * stale. Absent means 0. `instance` names the sending peer actor: a remote that restarts gets a new
 * one and numbers its connections from 1 again.
 */
const connection = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31)
  .optional();
const instance = z.string().max(64).optional();
export const signalSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('description'), description: descriptionSchema, instance, connection }),
  z.object({ type: z.literal('candidate'), candidate: candidateSchema.nullable(), instance, connection }),
  z.object({ type: z.literal('hello'), instance, connection }),
  z.object({ type: z.literal('bye'), instance, connection, recipient: instance }),
]);

const v = z.literal(PROTOCOL_VERSION);

/** Frames a client sends. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({ v, type: z.literal('join'), room: idSchema, peerId: idSchema }),
  z.object({ v, type: z.literal('signal'), to: idSchema, signal: signalSchema }),
]);

/** Error codes the server sends in an `error` frame. */
export const serverErrorCodeSchema = z.enum([
  'invalid-frame',
  'frame-too-large',
  'not-joined',
  'already-joined',
  'unknown-peer',
  'rate-limited',
  'unavailable',
]);

/** Frames the server sends. */
export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({ v, type: z.literal('welcome'), room: idSchema, peerId: idSchema, peers: z.array(idSchema) }),
  z.object({ v, type: z.literal('presence'), peerId: idSchema, present: z.boolean() }),
  z.object({ v, type: z.literal('signal'), from: idSchema, signal: signalSchema }),
  z.object({ v, type: z.literal('error'), code: serverErrorCodeSchema, message: z.string().max(1024) }),
]);

export type Description = z.infer<typeof descriptionSchema>;
export type Candidate = z.infer<typeof candidateSchema>;
export type Signal = z.infer<typeof signalSchema>;
export type ClientFrame = z.infer<typeof clientFrameSchema>;
export type ServerFrame = z.infer<typeof serverFrameSchema>;
export type ServerErrorCode = z.infer<typeof serverErrorCodeSchema>;

/** The outcome of parsing one frame: the frame, or why it was refused. */
export type ParseResult<T> = { ok: true; frame: T } | { ok: false; reason: string };

function parseWith<T>(schema: z.ZodType<T>, text: string): ParseResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, frame: result.data };
  return {
    ok: false,
    reason: result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
  };
}

/** Parses and validates a frame sent by a client. Never throws. */
export function parseClientFrame(text: string): ParseResult<ClientFrame> {
  return parseWith(clientFrameSchema, text);
}

/** Parses and validates a frame sent by the server. Never throws. */
export function parseServerFrame(text: string): ParseResult<ServerFrame> {
  return parseWith(serverFrameSchema, text);
}
