/** Reading what peerstate needs from SDP (RFC 8866) without a full parser. */

/** The ICE username fragment of a session description (`a=ice-ufrag`, RFC 8839 §5.4), or null. */
export function ufragOf(sdp: string): string | null {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1] ?? null;
}
