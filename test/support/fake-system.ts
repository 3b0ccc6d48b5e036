/** One peer system on the scripted fakes (peerstate/testing), its signaling session open. */
import type { PeerSystem, PeerSystemOptions } from '../../src/system.js';
import { createPeerSystem } from '../../src/system.js';
import { createFakeRtc, createFakeSignaling } from '../../src/testing/index.js';

/** `alice` on a fake pc and a fake signaling hub, signaling open; `options` are added to hers. */
export function fakeSystem(options: Partial<PeerSystemOptions> = {}): PeerSystem {
  const hub = createFakeSignaling();
  const system = createPeerSystem({
    localId: 'alice',
    url: 'ws://fake',
    rtc: createFakeRtc().rtc,
    WebSocket: hub.WebSocket,
    ...options,
  });
  hub.openAll();
  hub.deliverAll();
  return system;
}
