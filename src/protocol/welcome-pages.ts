/**
 * The `welcome` of a large room, cut into pages that each fit in one frame of the protocol
 * (src/protocol/signals.ts): a room of a few hundred members with long peer ids would otherwise make
 * a welcome larger than the frame limit every client enforces.
 */
import { LIMITS, PROTOCOL_VERSION, type ServerFrame } from './signals.js';

/** A `welcome` frame (one page). */
export type WelcomeFrame = Extract<ServerFrame, { type: 'welcome' }>;

/**
 * The welcome of `peerId` in `room` listing `peers` (in the order given), as pages of at most
 * `maxFrameBytes` bytes of JSON each: every page but the last carries `more: true`. One page when it
 * fits; an empty room is one page with no peers. A page holds at least one id, so `maxFrameBytes`
 * must leave room for one (the protocol's 64 KiB holds at least 250 of the longest). Ids and room
 * names are printable ASCII (the schema's), so a character is a byte.
 */
export function welcomePages(
  room: string,
  peerId: string,
  peers: readonly string[],
  maxFrameBytes: number = LIMITS.maxFrameBytes,
): WelcomeFrame[] {
  const page = (ids: string[], more: boolean): WelcomeFrame => ({
    v: PROTOCOL_VERSION,
    type: 'welcome',
    room,
    peerId,
    peers: ids,
    ...(more ? { more: true } : {}),
  });
  // The page with no peers but `more`, the largest frame without its ids.
  const base = JSON.stringify(page([], true)).length;
  const pages: WelcomeFrame[] = [];
  let ids: string[] = [];
  let bytes = base;
  for (const id of peers) {
    // The id as JSON (quotes, escapes) and the comma before it.
    const cost = JSON.stringify(id).length + 1;
    if (ids.length > 0 && bytes + cost > maxFrameBytes) {
      pages.push(page(ids, true));
      ids = [];
      bytes = base;
    }
    ids.push(id);
    bytes += cost;
  }
  pages.push(page(ids, false));
  return pages;
}
