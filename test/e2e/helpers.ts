/** Helpers for end-to-end tests on real @roamhq/wrtc peers and the real signaling server on 127.0.0.1. */
import wrtc from '@roamhq/wrtc';
import { filter, firstValueFrom } from 'rxjs';
import type { PeerHandle, PeerState, RtcImplementation } from '../../src/index.js';
import { wrtcImplementation } from '../../src/node/index.js';

/** Counts of what a counting wrtc implementation saw. */
export interface PcCounts {
  created: number;
  closed: number;
}

/** @roamhq/wrtc, with every RTCPeerConnection construction and `close()` call counted. */
export function countingWrtc(): { rtc: RtcImplementation; counts: PcCounts } {
  const counts: PcCounts = { created: 0, closed: 0 };
  class CountingPeerConnection extends wrtc.RTCPeerConnection {
    private closeCounted = false;
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      counts.created++;
    }
    override close(): void {
      if (!this.closeCounted) counts.closed++;
      this.closeCounted = true;
      super.close();
    }
  }
  return {
    rtc: {
      ...wrtcImplementation,
      RTCPeerConnection: CountingPeerConnection as unknown as RtcImplementation['RTCPeerConnection'],
    },
    counts,
  };
}

/**
 * Sends `count` messages each way (`a0`, `a1`, ... from `toBob`; `b0`, ... from `toAlice`) at once
 * and collects what arrives at each end, in arrival order.
 */
export function sendEachWay(
  toBob: PeerHandle,
  toAlice: PeerHandle,
  count: number,
): { atBob: (string | Uint8Array)[]; atAlice: (string | Uint8Array)[] } {
  const atBob: (string | Uint8Array)[] = [];
  const atAlice: (string | Uint8Array)[] = [];
  toAlice.messages$.subscribe((m) => atBob.push(m));
  toBob.messages$.subscribe((m) => atAlice.push(m));
  for (let i = 0; i < count; i++) {
    toBob.send(`a${i}`);
    toAlice.send(`b${i}`);
  }
  return { atBob, atAlice };
}

/** Resolves when the handle's peer reaches `state`. */
export function reach(handle: PeerHandle, state: PeerState): Promise<PeerState> {
  return firstValueFrom(handle.state$.pipe(filter((s) => s === state)));
}

/** Node's active resources (timers, sockets, servers) by kind, for leak checks. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}
