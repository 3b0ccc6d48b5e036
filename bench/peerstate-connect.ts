/**
 * One peerstate connect run: two Node peer systems in a fresh room, timed from `connect` to the
 * first echoed message.
 */
import type { PeerSystem, PeerstateError } from '../src/node/index.js';
import { createNodePeerSystem } from '../src/node/index.js';
import { within } from './deadline.js';

/** Where and how long one run may wait. */
export interface ConnectRunOptions {
  /** Signaling server URL, e.g. `ws://127.0.0.1:54321`. */
  url: string;
  /** Room name, fresh per run. */
  room: string;
  /** Peer id of the side that connects (and makes the offer). */
  aId: string;
  /** Peer id of the side that echoes. */
  bId: string;
  /** Bound of every wait, in ms. */
  timeoutMs: number;
}

/**
 * Runs once and resolves with the time from `a.connect(bId)` to the echo of `'ping'`, in ms
 * (performance.now()). Setup (both signaling sessions open) and teardown are not timed. Rejects
 * with a DeadlineError if any wait exceeds `timeoutMs`; both systems are stopped either way.
 */
export async function peerstateConnectMs(options: ConnectRunOptions): Promise<number> {
  const { url, room, aId, bId, timeoutMs } = options;
  const systems: PeerSystem[] = [];
  const errors: string[] = [];
  const open = (localId: string): Promise<PeerSystem> => {
    const system = createNodePeerSystem({ localId, url, room });
    systems.push(system);
    system.errors$.subscribe((e: PeerstateError) => errors.push(`${localId}: ${e.code}: ${e.message}`));
    return within(system.signalingOpen(), timeoutMs, `peerstate ${localId}: signaling open`).then(
      () => system,
    );
  };
  try {
    // B joins first, so A's welcome already lists B and `connect` never waits for a presence frame
    // that happens to be in flight (the raw run joins in the same order).
    const b = await open(bId);
    b.incoming$.subscribe((h) => h.messages$.subscribe((m) => h.send(m)));
    const a = await open(aId);

    let stoppedAt = 0;
    const start = performance.now();
    const h = a.connect(bId);
    const echoed = new Promise<void>((resolve) => {
      const sub = h.messages$.subscribe(() => {
        stoppedAt = performance.now();
        sub.unsubscribe();
        resolve();
      });
    });
    h.send('ping');
    await within(echoed, timeoutMs, `peerstate ${aId} → ${bId}: echo`, () =>
      [`A ${h.state}`, `B ${b.peer(aId)?.state ?? 'no actor'}`, ...errors].join('; '),
    );
    return stoppedAt - start;
  } finally {
    await within(Promise.all(systems.map((s) => s.stop())), timeoutMs, `peerstate ${aId}/${bId}: stop`);
  }
}
