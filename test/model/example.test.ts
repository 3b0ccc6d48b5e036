/**
 * The README's example, as a test: an application built on peerstate, driven through every state of
 * the peer chart with `peerPaths()` and `createPeerDriver()` from peerstate/testing, checking the
 * application's own view (a status label per peer) after every step.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PeerHandle, PeerState, PeerSystemOptions } from '../../src/index.js';
import { createPeerSystem, peerStateOf } from '../../src/index.js';
import { createPeerDriver, peerPaths } from '../../src/testing/index.js';

/** The application under test: it calls peers and shows one status label per peer. */
function startApp(options: PeerSystemOptions) {
  const system = createPeerSystem(options);
  const labels = new Map<string, string>();
  const shown = new WeakSet<PeerHandle>();
  const show = (peer: PeerHandle) => {
    if (shown.has(peer)) return;
    shown.add(peer);
    peer.state$.subscribe((state) => labels.set(peer.id, LABELS[state]));
  };
  system.incoming$.subscribe(show);
  return {
    system,
    call: (peerId: string) => show(system.connect(peerId)),
    label: (peerId: string) => labels.get(peerId),
  };
}

const LABELS: Record<PeerState, string> = {
  disconnected: 'offline',
  discovering: 'waiting for peer',
  connecting: 'connecting…',
  handshaking: 'connecting…',
  connected: 'online',
  failed: 'failed',
  closed: 'closed',
};

describe('an application driven through every peer state', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const path of peerPaths()) {
    it(path.description, async () => {
      vi.useFakeTimers();
      let app: ReturnType<typeof startApp> | undefined;
      const driver = createPeerDriver({
        clock: { advance: (ms) => vi.advanceTimersByTimeAsync(ms).then(() => undefined) },
        input: path.input,
        start: (options) => {
          app = startApp(options);
          return app.system;
        },
      });
      // The application, not the driver, calls the peer.
      driver.executors.CONNECT = () => app?.call(path.input.remoteId);
      try {
        // The driver has checked the peer against the chart's state; the label must show that state.
        await driver.play(path, (step) => {
          if (step.event.type === 'xstate.init') return;
          expect(app?.label(path.input.remoteId)).toBe(LABELS[peerStateOf(step.snapshot)]);
        });
      } finally {
        await driver.stop();
      }
    });
  }
});
