/**
 * Join tokens: JSON Web Tokens (RFC 7519) signed with HMAC SHA-256 (HS256, RFC 7518 §3.2) through
 * `jose`, naming the room (claim `room`), the peer id (claim `sub`) and an expiry (`exp`). The
 * application's backend mints one per user and session with {@link createJoinToken}; the signaling
 * server checks it with {@link joinTokenAuthenticator} as its `authenticate` hook; the client passes
 * it as `signalingToken`.
 */
import type { IncomingMessage } from 'node:http';
import { jwtVerify, SignJWT } from 'jose';

/** What a join asks for, as the `authenticate` hook sees it. */
export interface JoinRequest {
  readonly room: string;
  readonly peerId: string;
  /** The join frame's `token`, if it carried one. */
  readonly token: string | undefined;
}

/**
 * The `authenticate` hook of `startSignalingServer`: `true` when the connection that sent `join`
 * (over the HTTP upgrade `request`: its headers, cookies, URL, remote address) may speak as
 * `join.peerId` in `join.room`. A rejection or exception counts as `false`. A join it accepts for a
 * peer id that another socket holds replaces that socket: the token proved it is the same identity.
 */
export type Authenticate = (request: IncomingMessage, join: JoinRequest) => boolean | Promise<boolean>;

/** The `aud` claim of join tokens: a token minted for something else is never taken for one. */
const AUDIENCE = 'peerstate-signaling';
const ALGORITHM = 'HS256';
/** RFC 7518 §3.2: an HS256 key has at least as many bits as the hash. */
const MIN_SECRET_BYTES = 32;

/** Claims of {@link createJoinToken}. */
export interface JoinTokenClaims {
  room: string;
  peerId: string;
  /** Lifetime from now, in seconds. Integer ≥ 1. Default 600 (10 minutes). */
  expiresInSeconds?: number;
}

function checkSecret(secret: Uint8Array): void {
  if (secret.byteLength < MIN_SECRET_BYTES)
    throw new RangeError(`the join token secret must be at least ${MIN_SECRET_BYTES} bytes`);
}

/**
 * Mints a join token for `claims.peerId` in `claims.room`, signed with `secret` (the same bytes the
 * server's {@link joinTokenAuthenticator} is given; e.g. 32 random bytes kept by the backend).
 * @example const token = await createJoinToken(secret, { room: 'r', peerId: 'alice' });
 * @throws RangeError for a secret shorter than 32 bytes or an `expiresInSeconds` that is not an integer ≥ 1.
 */
export async function createJoinToken(secret: Uint8Array, claims: JoinTokenClaims): Promise<string> {
  checkSecret(secret);
  const lifetime = claims.expiresInSeconds ?? 600;
  if (!Number.isInteger(lifetime) || lifetime < 1)
    throw new RangeError(`expiresInSeconds must be an integer ≥ 1, got ${lifetime}`);
  return new SignJWT({ room: claims.room })
    .setProtectedHeader({ alg: ALGORITHM })
    .setSubject(claims.peerId)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${lifetime}s`)
    .sign(secret);
}

/**
 * An `authenticate` hook that accepts a join whose `token` is a join token signed with `secret`,
 * not expired (with `clockToleranceSeconds` of leeway, default 5), naming the join's room and peer id.
 * @throws RangeError for a secret shorter than 32 bytes.
 */
export function joinTokenAuthenticator(
  secret: Uint8Array,
  options: { clockToleranceSeconds?: number } = {},
): Authenticate {
  checkSecret(secret);
  const clockTolerance = options.clockToleranceSeconds ?? 5;
  return async (_request, join) => {
    if (join.token === undefined) return false;
    const { payload } = await jwtVerify(join.token, secret, {
      algorithms: [ALGORITHM],
      audience: AUDIENCE,
      subject: join.peerId,
      requiredClaims: ['exp'],
      clockTolerance,
    });
    return payload.room === join.room;
  };
}
