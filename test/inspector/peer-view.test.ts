/** Why a peer is not connected, read from the peer chart for a state value. */
import { expect, it } from 'vitest';
import { activeStateIds, publicStateOf, waitingOf } from '../../src/node/inspector/peer-view.js';

const connecting = {
  live: {
    connecting: {
      negotiation: 'stable',
      remoteCandidates: 'applying',
      transport: 'checking',
      dataChannel: 'opening',
    },
  },
};

it('lists what the parallel regions share once, then what each region waits for on its own', () => {
  const waiting = waitingOf(connecting);
  expect(waiting.map((w) => w.state)).toEqual([
    'live.connecting',
    'live.connecting.negotiation.stable',
    'live.connecting.remoteCandidates.applying',
    'live.connecting.transport.checking',
    'live.connecting.dataChannel.opening',
  ]);
  expect(waiting[0]?.waitsFor).toContain('after connectTimeout');
  expect(waiting[3]?.waitsFor).toEqual([
    'PC.CONNECTION_STATE [isTransportConnected]',
    'always [isPeerConnectionConnected]',
  ]);
  for (const leaf of waiting.slice(1))
    for (const trigger of leaf.waitsFor) expect(waiting[0]?.waitsFor).not.toContain(trigger);
});

it('names the active states as the chart SVG ids do and reads the public state from the tags', () => {
  expect(activeStateIds({ live: { connected: 'unstable' } })).toEqual([
    'peer',
    'peer.live',
    'peer.live.connected',
    'peer.live.connected.unstable',
  ]);
  expect(publicStateOf(connecting)).toBe('connecting');
  expect(publicStateOf({ live: { handshaking: 'resuming' } })).toBe('handshaking');
  expect(publicStateOf('closed')).toBe('closed');
});
