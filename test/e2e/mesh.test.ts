/**
 * A full mesh on real @roamhq/wrtc peers through the embedded signaling server on 127.0.0.1: every
 * system connects to every other in the same tick, and admission control (`maxConcurrentNegotiations`)
 * brings every link up. Counts only; the time it takes is the mesh bench's business (bench/mesh.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerHandle, PeerSystem } from '../../src/index.js';
import { createNodePeerSystem } from '../../src/node/index.js';
import type { SignalingServer } from '../../src/server/index.js';
import { startSignalingServer } from '../../src/server/index.js';
import { until } from '../support/time.js';

const PEERS = 8;

let server: SignalingServer | undefined;
let systems: PeerSystem[] = [];

afterEach(async () => {
  await Promise.all(systems.map((s) => s.stop()));
  await server?.close();
  systems = [];
});

describe('a mesh of 8 wrtc peers started at once (real stack)', () => {
  it('every link connects and carries one message each way; no signal is dropped or rate-limited', async () => {
    server = await startSignalingServer({ host: '127.0.0.1', port: 0 });
    const url = server.url;
    const ids = Array.from({ length: PEERS }, (_, i) => `p${i}`);
    const dropped: string[] = [];
    systems = ids.map((localId) => {
      const s = createNodePeerSystem({ localId, url, room: 'mesh' });
      s.errors$.subscribe((e) => {
        if (e.code === 'signaling-dropped' || e.code === 'signaling-server-error') dropped.push(e.message);
      });
      return s;
    });
    await Promise.all(systems.map((s) => s.signalingOpen()));
    const presentEverywhere = () =>
      systems.every((s) => Object.keys(s.actor.getSnapshot().context.present).length === PEERS - 1);
    expect(await until(presentEverywhere, 20_000)).toBe(true);

    // All connect calls in one tick: 8 × 7 handles, 28 links.
    const handles: PeerHandle[] = systems.flatMap((s) =>
      ids.filter((id) => id !== s.localId).map((id) => s.connect(id)),
    );
    const received = new Set<PeerHandle>();
    for (const h of handles) {
      h.messages$.subscribe(() => received.add(h));
      h.send(`from ${h.id}`);
    }
    expect(await until(() => received.size === handles.length, 120_000)).toBe(true);
    expect(handles.filter((h) => h.state === 'connected')).toHaveLength(PEERS * (PEERS - 1));
    expect(dropped).toEqual([]);
    expect(server.stats().rateLimited).toBe(0);
  });
});
