import type { PeerSystemOptions } from '../../src/index.js';

/**
 * The options of an endpoint's peer system that cross a page boundary as JSON: those of
 * `createPeerSystem` without the stack's parts (`rtc`, `WebSocket`) and without functions.
 */
export type EndpointOptions = Omit<
  PeerSystemOptions,
  'rtc' | 'WebSocket' | 'accept' | 'reconnectPolicy' | 'signalingReconnectPolicy' | 'inspect'
>;
