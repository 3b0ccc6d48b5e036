/** Reading chart states in tests. */
import type { PeerState } from '../../machines/peer.js';
import { peerStateOf } from '../../machines/peer.js';

/** The public state of a peer snapshot (its state tag), e.g. `connected`; undefined without a snapshot. */
export function topState(snapshot: { hasTag(tag: string): boolean } | undefined): PeerState | undefined {
  return snapshot === undefined ? undefined : peerStateOf(snapshot);
}
