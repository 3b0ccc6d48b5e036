/**
 * The signaling wire protocol: JSON text frames over a WebSocket, version 1.
 *
 * Every frame is validated on arrival with zod/mini (zod's tree-shakable form, which keeps the
 * browser bundle small); a frame that fails validation is never processed
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
import * as z from 'zod/mini';

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
  /** Longest join token (e.g. a JWT), in characters. */
  maxTokenChars: 4096,
  /** Most peer ids a client takes from one welcome, over all its pages. */
  maxWelcomePeers: 10_000,
} as const;

/** A string of at most `max` characters. */
const text = (max: number) => z.string().check(z.maxLength(max));

/** A peer id or a room name: 1-128 printable characters. */
export const idSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(LIMITS.maxIdChars),
    z.regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  );

/** RTCSessionDescriptionInit as sent over signaling (webrtc-pc §4.8.1). Rollback is never sent. */
export const descriptionSchema = z.object({
  type: z.enum(['offer', 'answer']),
  sdp: text(LIMITS.maxSdpChars),
});

/** RTCIceCandidateInit (webrtc-pc §4.8.2). */
export const candidateSchema = z.object({
  candidate: text(LIMITS.maxCandidateChars),
  sdpMid: z.nullish(text(64)),
  sdpMLineIndex: z.nullish(z.int().check(z.gte(0), z.lte(1024))),
  usernameFragment: z.nullish(text(256)),
});

/**
 * What one peer sends another through the server.
 * - `description`: an offer or an answer.
 * - `candidate`: a trickled ICE candidate; `null` means end-of-candidates (RFC 8838 §4.5).
 * - `hello`: "I want a connection": sent by the polite side so that an impolite side that has no
 *   actor yet starts one and makes the offer.
 * - `bye`: the sender closed its side on purpose. `recipient` is the `instance` of the peer actor it
 *   hangs up on, when the sender knows it: a bye that overtakes our own close and reconnect finds a
 *   newer actor of ours and must not hang it up. `reason` is there when the sender refused us (a
 *   `PeerRefusal`); absent, the sender's application closed the link.
 *
 * `connection` numbers the sender's RTCPeerConnections towards this peer (1, 2, ...): a signal of a
 * newer connection says the remote replaced its pc (a full reconnect), one of an older connection is
 * stale. Absent means 0. `instance` names the sending peer actor: a remote that restarts gets a new
 * one and numbers its connections from 1 again.
 */
/**
 * Why a system refused a remote (the `reason` of its `bye`): `max-peers`, `max-pending-incoming` or
 * `not-accepted` (its accept policy) for a remote it holds no actor for, or `negotiation-rate` (the
 * remote sent hellos and offers faster than `maxRemoteNegotiationsPerMinute`).
 */
export type PeerRefusal = 'max-peers' | 'max-pending-incoming' | 'not-accepted' | 'negotiation-rate';
const peerRefusalSchema = z.enum([
  'max-peers',
  'max-pending-incoming',
  'not-accepted',
  'negotiation-rate',
] as const satisfies readonly PeerRefusal[]);

const connection = z.optional(z.int().check(z.gte(0), z.lte(2 ** 31)));
const instance = z.optional(text(64));
export const signalSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('description'), description: descriptionSchema, instance, connection }),
  z.object({ type: z.literal('candidate'), candidate: z.nullable(candidateSchema), instance, connection }),
  z.object({ type: z.literal('hello'), instance, connection }),
  z.object({
    type: z.literal('bye'),
    instance,
    connection,
    recipient: instance,
    reason: z.optional(peerRefusalSchema),
  }),
]);

const v = z.literal(PROTOCOL_VERSION);

/**
 * Frames a client sends. A `join` may carry a `token` that the server's `authenticate` hook checks
 * (e.g. a JWT naming the room and peer id), and a `secret`: random, kept by the client for the life
 * of its system and sent only to the server, it proves that a later join of the same peer id comes
 * from the same client (which then replaces its old socket) rather than from an impostor.
 */
export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({
    v,
    type: z.literal('join'),
    room: idSchema,
    peerId: idSchema,
    token: z.optional(text(LIMITS.maxTokenChars)),
    secret: z.optional(idSchema),
  }),
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
  'unauthorized',
  'peer-id-taken',
  'room-full',
]);

/**
 * Frames the server sends. A welcome too large for one frame comes in pages: every page but the
 * last has `more: true`, and the room's peers are the pages' `peers` together.
 */
export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({
    v,
    type: z.literal('welcome'),
    room: idSchema,
    peerId: idSchema,
    peers: z.array(idSchema),
    more: z.optional(z.boolean()),
  }),
  z.object({ v, type: z.literal('presence'), peerId: idSchema, present: z.boolean() }),
  z.object({ v, type: z.literal('signal'), from: idSchema, signal: signalSchema }),
  z.object({ v, type: z.literal('error'), code: serverErrorCodeSchema, message: text(1024) }),
]);

/**
 * A session description as signaled: `{ type: 'offer' | 'answer'; sdp: string }`, the
 * RTCSessionDescriptionInit of webrtc-pc §4.8.1 without `pranswer` and `rollback`. `sdp` is at most
 * 49,152 characters (`LIMITS.maxSdpChars`).
 */
export type Description = z.infer<typeof descriptionSchema>;
/**
 * An ICE candidate as signaled: `{ candidate: string; sdpMid?: string | null; sdpMLineIndex?: number |
 * null; usernameFragment?: string | null }`, the RTCIceCandidateInit of webrtc-pc §4.8.2. Bounds:
 * `candidate` at most 1024 characters (`LIMITS.maxCandidateChars`), `sdpMid` 64, `usernameFragment`
 * 256, `sdpMLineIndex` an integer 0-1024.
 */
export type Candidate = z.infer<typeof candidateSchema>;
/**
 * What one peer sends another through the server, by `type`:
 * - `description` `{ description: Description }`: an offer or an answer.
 * - `candidate` `{ candidate: Candidate | null }`: a trickled candidate (`null`: end-of-candidates,
 *   RFC 8838).
 * - `hello`: the polite side asks for a connection, so that an impolite side with no actor yet starts
 *   one and makes the offer (MDN perfect negotiation).
 * - `bye` `{ recipient?: string; reason?: PeerRefusal }`: the sender closed its side on purpose;
 *   `recipient` is the `instance` of the peer actor it hangs up on, when known; `reason` says why it
 *   refused us, when it did.
 *
 * Each may carry `instance` (at most 64 characters: the sending peer actor) and `connection` (an
 * integer 0 to 2^31 numbering the sender's RTCPeerConnections towards this peer; absent means 0).
 */
export type Signal = z.infer<typeof signalSchema>;
export type ClientFrame = z.infer<typeof clientFrameSchema>;
/**
 * A frame the server sends, by `type`; each carries `v: 1` (`PROTOCOL_VERSION`). Peer ids and rooms
 * are 1-128 printable ASCII characters without spaces.
 * - `welcome` `{ room; peerId; peers: string[] }`: the join was taken; `peers` are the others present.
 * - `presence` `{ peerId; present: boolean }`: a peer joined or left the room.
 * - `signal` `{ from; signal: Signal }`: a signal relayed from the peer `from`.
 * - `error` `{ code; message }`: a refusal; `code` is `invalid-frame`, `frame-too-large`, `not-joined`,
 *   `already-joined`, `unknown-peer`, `rate-limited` or `unavailable`; `message` at most 1024
 *   characters.
 */
export type ServerFrame = z.infer<typeof serverFrameSchema>;
export type ServerErrorCode = z.infer<typeof serverErrorCodeSchema>;

/** The outcome of parsing one frame: the frame, or why it was refused. */
export type ParseResult<T> = { ok: true; frame: T } | { ok: false; reason: string };

/**
 * Says in a few words why a value was refused. zod/mini ships no messages of its own (its locales
 * would be most of the browser bundle), so the reasons of a refused frame are worded here.
 */
function describeIssue(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected}`;
    case 'too_big':
      return `more than ${String(issue.maximum)}`;
    case 'too_small':
      return `less than ${String(issue.minimum)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((value) => JSON.stringify(value)).join(' or ')}`;
    case 'invalid_union':
      return 'no frame of this type';
    default:
      return `invalid (${issue.code ?? 'unknown'})`;
  }
}

function parseWith<T>(schema: z.ZodMiniType<T>, text: string): ParseResult<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const result = schema.safeParse(json, { error: describeIssue });
  if (result.success) return { ok: true, frame: result.data };
  return {
    ok: false,
    reason: result.error.issues.map((i) => `${i.path.join('.') || 'frame'}: ${i.message}`).join('; '),
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
