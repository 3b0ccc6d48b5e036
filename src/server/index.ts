/**
 * peerstate/server: the embedded signaling server (rooms, presence, relay) for Node.
 */
export {
  type SignalingServer,
  type SignalingServerOptions,
  type SignalingServerStats,
  startSignalingServer,
} from './signaling-server.js';
